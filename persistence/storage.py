"""Where the bytes of files live: a small interface and its local-directory kind.

Blobs are content-addressed: a blob's key is the sha256 of its bytes, so equal
uploads are stored once. A blob is written while it streams in, under a
temporary name (:class:`BlobWriter`), and becomes visible under its key only
when :meth:`Storage.place` is called, which use cases do after the row that
names it has committed (``UnitOfWork.after_commit``). Whatever is not placed
is discarded: an interrupted or refused upload leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from persistence.errors import PersistenceError

# Bytes kept from a blob's start, for sniffing its type (rules/files.py).
HEAD_BYTES = 512
_KEY = re.compile(r"^[0-9a-f]{64}$")


class UploadTooLarge(PersistenceError):
    """A blob grew past the size limit while it was being written."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the file is over the limit of {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class StagedBlob:
    """A blob written in full under a temporary name, not yet placed."""

    temporary: Path
    sha256: str
    size: int
    head: bytes

    @property
    def key(self) -> str:
        """The storage key the blob will be placed under: its content address."""
        return self.sha256


class BlobWriter(Protocol):
    async def write(self, data: bytes) -> None:
        """Append ``data``; raises UploadTooLarge past the limit (the temporary is removed)."""

    async def finish(self) -> StagedBlob:
        """Close the temporary; the blob is complete but not placed."""

    async def abort(self) -> None:
        """Remove the temporary; safe to call at any point, and more than once."""


class Storage(Protocol):
    """Blobs by content address; ``place`` and ``remove`` are idempotent."""

    def writer(self, limit: int) -> BlobWriter: ...

    async def place(self, staged: StagedBlob) -> None:
        """Make a staged blob readable under its key (once: an equal blob already
        placed stays, and the temporary goes)."""

    async def discard(self, staged: StagedBlob) -> None:
        """Remove a staged blob's temporary if it is still there."""

    async def remove(self, key: str, still_held: Callable[[], Awaitable[bool]]) -> None:
        """Remove the blob under ``key`` unless ``still_held()`` says a file holds it
        again (an equal upload may commit at any moment): the blob is first taken
        out of sight, then the question is asked, then it is dropped or put back."""

    def path(self, key: str) -> Path | None:
        """The local file holding the blob under ``key``; ``None`` if there is none."""


class LocalStorage:
    """Blobs in a local directory: ``blobs/ab/cd/<sha256>``, temporaries in ``tmp/``
    on the same file system, so placing one is an atomic rename."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs"
        self.temporaries = root / "tmp"

    def writer(self, limit: int) -> LocalBlobWriter:
        self.temporaries.mkdir(parents=True, exist_ok=True)
        return LocalBlobWriter(self.temporaries / f"{uuid.uuid4().hex}.part", limit)

    def _blob_path(self, key: str) -> Path | None:
        """Where the blob under ``key`` lives; ``None`` for a key that is no content
        address (which can name no blob, nor any path outside the directory)."""
        if not _KEY.match(key):
            return None
        return self.blobs / key[:2] / key[2:4] / key

    async def place(self, staged: StagedBlob) -> None:
        target = self._blob_path(staged.key)
        assert target is not None, "a staged blob's key is its sha256"

        def move() -> None:
            if target.exists():
                staged.temporary.unlink(missing_ok=True)
                return
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged.temporary, target)

        await asyncio.to_thread(move)

    async def discard(self, staged: StagedBlob) -> None:
        await asyncio.to_thread(staged.temporary.unlink, missing_ok=True)

    async def remove(self, key: str, still_held: Callable[[], Awaitable[bool]]) -> None:
        # An upload placing an equal blob meanwhile finds no blob and places its own;
        # one that committed before the question is counted by it.
        blob = self._blob_path(key)
        if blob is None:
            return
        self.temporaries.mkdir(parents=True, exist_ok=True)
        retired = self.temporaries / f"{uuid.uuid4().hex}.retired"
        try:
            await asyncio.to_thread(os.replace, blob, retired)
        except FileNotFoundError:
            return
        keep = True  # if the question cannot be answered, keep the bytes
        try:
            keep = await still_held()
        finally:

            def settle() -> None:
                if keep and not blob.exists():
                    os.replace(retired, blob)
                else:
                    retired.unlink(missing_ok=True)

            await asyncio.to_thread(settle)

    def path(self, key: str) -> Path | None:
        path = self._blob_path(key)
        return path if path is not None and path.is_file() else None

    def temporary_names(self) -> list[str]:
        """Temporaries present now (for checks that nothing was left behind)."""
        if not self.temporaries.is_dir():
            return []
        return sorted(entry.name for entry in self.temporaries.iterdir())

    def blob_keys(self) -> list[str]:
        """Keys of every placed blob."""
        if not self.blobs.is_dir():
            return []
        return sorted(path.name for path in self.blobs.glob("*/*/*") if path.is_file())


class LocalBlobWriter:
    """Streams one blob to a temporary file, hashing and counting as it goes."""

    def __init__(self, temporary: Path, limit: int) -> None:
        self.temporary = temporary
        self.limit = limit
        self.size = 0
        self._hash = hashlib.sha256()
        self._head = b""
        self._file = temporary.open("xb")

    async def write(self, data: bytes) -> None:
        if not data:
            return
        self.size += len(data)
        if self.size > self.limit:
            await self.abort()
            raise UploadTooLarge(self.limit)
        self._hash.update(data)
        if len(self._head) < HEAD_BYTES:
            self._head += data[: HEAD_BYTES - len(self._head)]
        await asyncio.to_thread(self._file.write, data)

    async def finish(self) -> StagedBlob:
        await asyncio.to_thread(self._file.close)
        return StagedBlob(self.temporary, self._hash.hexdigest(), self.size, self._head)

    async def abort(self) -> None:
        def remove() -> None:
            with contextlib.suppress(OSError):
                self._file.close()
            self.temporary.unlink(missing_ok=True)

        await asyncio.to_thread(remove)
