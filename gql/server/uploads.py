"""Multipart GraphQL requests (the GraphQL multipart request specification, what
``apollo-upload-client`` sends): ``operations``, then ``map``, then the files.

Each file streams straight into storage under a temporary name, hashed and
counted as it arrives, and stands in its variable as an :class:`UploadedFile`
(the value of Strawberry's ``Upload`` scalar). Nothing is buffered whole:
a file over MAX_UPLOAD_BYTES is refused (413) as soon as it passes the limit.
Whoever reads a request must :func:`discard` its staged files once it is
answered; a use case that stored one has placed it by then.

Browsers send multipart forms across sites without a preflight, so such a
request must carry a header no simple form can set (as Apollo Server asks):
``Apollo-Require-Preflight`` or ``X-Apollo-Operation-Name``.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from typing import Any

import orjson
from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header
from starlette.requests import Request

from gql.api.files.types import UploadedFile
from persistence.storage import BlobWriter, StagedBlob, Storage, UploadTooLarge

MULTIPART = "multipart/form-data"
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")
# `operations` and `map` are small JSON documents.
MAX_FIELD_BYTES = 1_000_000


class UploadRefused(Exception):
    """The multipart request cannot be taken; answered with ``status``."""

    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    content_type: str | None = None
    data: bytearray = field(default_factory=bytearray)
    writer: BlobWriter | None = None


def is_multipart(request: Request) -> bool:
    content_type = request.headers.get("content-type", "")
    return content_type.split(";", 1)[0].strip().lower() == MULTIPART


def forces_preflight(request: Request) -> bool:
    """Whether the request carries a header that a cross-site form cannot send."""
    return any(request.headers.get(name, "").strip() for name in PREFLIGHT_HEADERS)


class MultipartReader:
    """Reads one multipart GraphQL request; :attr:`staged` holds every file it wrote."""

    def __init__(self, storage: Storage, *, max_file_bytes: int, max_files: int) -> None:
        self.storage = storage
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self.staged: list[StagedBlob] = []
        self._writers: list[BlobWriter] = []
        self._fields: dict[str, bytes] = {}
        self._files: dict[str, UploadedFile] = {}
        self._events: list[tuple[str, Any]] = []
        self._part = _Part()
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}

    async def read(self, request: Request) -> dict[str, Any]:
        """The GraphQL request (``query``, ``variables``, …) with each mapped variable
        set to its :class:`UploadedFile`. Raises UploadRefused; a client that goes
        away mid-stream raises Starlette's ClientDisconnect. Either way every
        temporary written so far is gone."""
        _, options = parse_options_header(request.headers["content-type"])
        boundary = options.get(b"boundary")
        if not boundary:
            raise UploadRefused(400, "The multipart request has no boundary.", "BAD_REQUEST")
        parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._on_part_begin,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
            },
        )
        try:
            async for chunk in request.stream():
                try:
                    parser.write(chunk)
                except FormParserError as error:
                    raise UploadRefused(
                        400, "The multipart body is malformed.", "BAD_REQUEST"
                    ) from error
                await self._drain()
            parser.finalize()
            await self._drain()
            return self._operations()
        except BaseException:
            await self.discard()
            raise

    async def discard(self) -> None:
        """Remove every temporary of this request that was not placed."""
        for writer in self._writers:
            await writer.abort()
        for staged in self.staged:
            await self.storage.discard(staged)

    # -- the parser's callbacks (synchronous: they queue what _drain does) -----

    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name = self._header_value = b""

    def _on_headers_finished(self) -> None:
        self._events.append(("begin", dict(self._headers)))

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        self._events.append(("data", data[start:end]))

    def _on_part_end(self) -> None:
        self._events.append(("end", None))

    # -- what the callbacks queued, with the awaits they cannot make ------------

    async def _drain(self) -> None:
        events, self._events = self._events, []
        for kind, value in events:
            if kind == "begin":
                await self._begin(value)
            elif kind == "data":
                await self._data(value)
            else:
                await self._end()

    async def _begin(self, headers: dict[bytes, bytes]) -> None:
        _, options = parse_options_header(headers.get(b"content-disposition", b""))
        if b"name" not in options:
            raise UploadRefused(400, "A multipart part has no name.", "BAD_REQUEST")
        self._part = _Part(name=_text(options[b"name"]))
        if b"filename" not in options:
            if self._part.name not in ("operations", "map"):
                raise UploadRefused(
                    400, f"Unexpected multipart field {self._part.name!r}.", "BAD_REQUEST"
                )
            return
        if "map" not in self._fields:
            raise UploadRefused(400, "Send `operations` and `map` before the files.", "BAD_REQUEST")
        if len(self._writers) + len(self.staged) >= self.max_files:
            raise UploadRefused(
                413, f"A request may carry at most {self.max_files} files.", "TOO_MANY_FILES"
            )
        self._part.filename = _text(options[b"filename"])
        claimed = headers.get(b"content-type")
        self._part.content_type = _text(claimed) if claimed else None
        self._part.writer = self.storage.writer(self.max_file_bytes)
        self._writers.append(self._part.writer)

    async def _data(self, data: bytes) -> None:
        part = self._part
        if part.writer is None:
            if len(part.data) + len(data) > MAX_FIELD_BYTES:
                raise UploadRefused(
                    413, f"The `{part.name}` field is over {MAX_FIELD_BYTES} bytes.", "TOO_LARGE"
                )
            part.data.extend(data)
            return
        try:
            await part.writer.write(data)
        except UploadTooLarge as error:
            raise UploadRefused(
                413,
                f"The file {part.filename!r} is over the upload limit of "
                f"{self.max_file_bytes} bytes.",
                "UPLOAD_TOO_LARGE",
            ) from error

    async def _end(self) -> None:
        part = self._part
        if part.writer is None:
            self._fields[part.name] = bytes(part.data)
            return
        staged = await part.writer.finish()
        self._writers.remove(part.writer)
        self.staged.append(staged)
        self._files[part.name] = UploadedFile(staged, part.filename, part.content_type)

    def _operations(self) -> dict[str, Any]:
        operations = _json(self._fields, "operations")
        mapping = _json(self._fields, "map")
        if not isinstance(operations, dict):
            raise UploadRefused(
                400, "`operations` must be one JSON object (batches are not served).", "BAD_REQUEST"
            )
        if not isinstance(mapping, dict):
            raise UploadRefused(400, "`map` must be a JSON object.", "BAD_REQUEST")
        for key, paths in mapping.items():
            if key not in self._files:
                raise UploadRefused(400, f"`map` names a missing file {key!r}.", "BAD_REQUEST")
            if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths):
                raise UploadRefused(400, f"`map.{key}` must be a list of paths.", "BAD_REQUEST")
            for path in paths:
                _place(operations, path, self._files[key])
        return operations


def _text(raw: bytes) -> str:
    return codecs.decode(raw, "utf-8", errors="replace")


def _json(fields: dict[str, bytes], name: str) -> Any:
    if name not in fields:
        raise UploadRefused(400, f"The multipart request has no `{name}` field.", "BAD_REQUEST")
    try:
        return orjson.loads(fields[name])
    except orjson.JSONDecodeError as error:
        raise UploadRefused(400, f"`{name}` is not valid JSON.", "BAD_REQUEST") from error


def _place(operations: dict[str, Any], path: str, value: UploadedFile) -> None:
    """Set the ``variables.…`` ``path`` (object keys and list indexes) to ``value``;
    the spot must hold ``null``, as the specification asks of clients."""
    steps = path.split(".")
    if steps[0] != "variables" or len(steps) < 2:
        raise UploadRefused(400, f"`map` path {path!r} is not under `variables`.", "BAD_REQUEST")
    target: Any = operations
    for step in steps[:-1]:
        target = _step(target, step, path)
    last = steps[-1]
    if isinstance(target, dict) and target.get(last, ...) is None:
        target[last] = value
    elif isinstance(target, list) and last.isdigit() and int(last) < len(target):
        if target[int(last)] is not None:
            raise UploadRefused(400, f"`map` path {path!r} does not hold null.", "BAD_REQUEST")
        target[int(last)] = value
    else:
        raise UploadRefused(400, f"`map` path {path!r} does not hold null.", "BAD_REQUEST")


def _step(target: Any, step: str, path: str) -> Any:
    if isinstance(target, dict) and isinstance(target.get(step), dict | list):
        return target[step]
    if isinstance(target, list) and step.isdigit() and int(step) < len(target):
        return target[int(step)]
    raise UploadRefused(400, f"`map` path {path!r} does not exist in `operations`.", "BAD_REQUEST")
