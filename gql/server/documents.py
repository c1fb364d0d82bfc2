"""Persisted documents: Apollo's automatic persisted queries (APQ) and trusted documents.

A client may send, instead of (or beside) a ``query``, the SHA-256 of its text in
``extensions.persistedQuery`` (``{"version": 1, "sha256Hash": "…"}``) or, as
Relay's and the GraphQL-over-HTTP persisted-documents conventions do, a
``documentId`` / ``doc_id``. Two modes:

- **APQ** (``PERSISTED_QUERIES``, on by default): a hash the server has not seen is
  answered ``PersistedQueryNotFound`` (404, ``PERSISTED_QUERY_NOT_FOUND``); the
  client retries with the text and the hash, the server checks that the hash is
  the text's SHA-256 and remembers it (bounded, with a TTL) once it has passed
  validation.
- **Trusted documents** (``TRUSTED_DOCUMENTS=true``): only operations registered
  from a client's manifest (``concierge register-documents``, or the files in
  ``TRUSTED_DOCUMENT_MANIFESTS``) run, whether sent by id or as the full text;
  anything else is ``PERSISTED_QUERY_NOT_IN_LIST``.

Documents live in the process (a cachetools TTL cache, and a dict of the
registered ones), or in Redis when ``REDIS_URL`` is set, shared by every instance.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import orjson
import redis.asyncio as aioredis
from cachetools import TTLCache
from redis.exceptions import RedisError

from gql.settings import Settings

APQ_VERSION = 1
_HEX = re.compile(r"^[0-9a-f]+$")
# The digests a manifest's id may be, by length in hex digits (Relay writes MD5 by
# default, SHA-1 or SHA-256 when configured; Apollo's generator writes SHA-256).
_DIGESTS = {32: "md5", 40: "sha1", 64: "sha256"}


class DocumentRefused(Exception):
    """A persisted-document request that cannot run; ``status`` and ``code`` say why."""

    def __init__(self, status: int, message: str, code: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


class StoreUnavailable(Exception):
    """The shared store (Redis) did not answer."""


def sha256_of(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class InvalidManifest(ValueError):
    """A manifest file that is neither Relay's nor Apollo's format, or whose ids lie."""


def read_manifest(data: bytes) -> dict[str, str]:
    """The ``{id: document}`` pairs of a persisted-query manifest.

    Accepts Relay's ``persisted_queries.json`` (``{"<hash>": "<text>"}``) and
    Apollo's ``persisted-query-manifest.json`` (``{"format":
    "apollo-persisted-query-manifest", "version": 1, "operations": [{"id", "body",
    "name", "type"}]}``). An id that is an MD5, SHA-1 or SHA-256 hex digest must
    be the digest of its document.

    Raises:
        InvalidManifest: the file is not one of these formats, or an id lies.
    """
    try:
        manifest = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise InvalidManifest(f"not JSON: {error}") from error
    if isinstance(manifest, dict) and "operations" in manifest:
        if manifest.get("format") != "apollo-persisted-query-manifest":
            raise InvalidManifest("`format` must be apollo-persisted-query-manifest")
        if manifest.get("version") != 1:
            raise InvalidManifest("only version 1 of Apollo's manifest is known")
        operations = manifest["operations"]
        if not isinstance(operations, list) or not all(
            isinstance(op, dict)
            and isinstance(op.get("id"), str)
            and isinstance(op.get("body"), str)
            for op in operations
        ):
            raise InvalidManifest("`operations` must be a list of {id, body, name, type}")
        documents = {op["id"]: op["body"] for op in operations}
    elif isinstance(manifest, dict) and all(
        isinstance(key, str) and isinstance(value, str) for key, value in manifest.items()
    ):
        documents = manifest
    else:
        raise InvalidManifest("expected Relay's {hash: text} or Apollo's persisted-query manifest")
    for document_id, text in documents.items():
        check_id(document_id, text)
    return documents


def check_id(document_id: str, text: str) -> None:
    """Refuses an id that has the form of a digest but is not the digest of ``text``."""
    digest = document_id.removeprefix("sha256:").lower()
    algorithm = _DIGESTS.get(len(digest)) if _HEX.match(digest) else None
    if algorithm is not None and hashlib.new(algorithm, text.encode()).hexdigest() != digest:
        raise InvalidManifest(f"id {document_id} is not the {algorithm} of its document")


class DocumentStore(Protocol):
    """Where persisted documents are kept: APQ's cache and the registered ones."""

    async def find(self, key: str) -> str | None:
        """A registered document or, failing that, one remembered by APQ."""

    async def registered(self, key: str) -> str | None:
        """A document registered from a manifest (trusted documents)."""

    async def remember(self, key: str, document: str) -> None:
        """Keep an APQ document (bounded, expires)."""

    async def register(self, documents: Mapping[str, str]) -> None:
        """Add registered documents; they never expire."""

    async def close(self) -> None: ...


class MemoryDocuments:
    """One process's documents: APQ in a bounded TTL cache, registrations in a dict."""

    def __init__(self, size: int, ttl_s: float) -> None:
        self._apq: TTLCache[str, str] = TTLCache(maxsize=size, ttl=ttl_s)
        self._registered: dict[str, str] = {}

    async def find(self, key: str) -> str | None:
        return self._registered.get(key) or self._apq.get(key)

    async def registered(self, key: str) -> str | None:
        return self._registered.get(key)

    async def remember(self, key: str, document: str) -> None:
        self._apq[key] = document

    async def register(self, documents: Mapping[str, str]) -> None:
        self.keep_locally(documents)

    def keep_locally(self, documents: Mapping[str, str]) -> None:
        self._registered.update(documents)

    async def close(self) -> None:
        return None


class RedisDocuments:
    """Documents every instance shares, in Redis: ``<prefix>apq:<hash>`` with a TTL,
    ``<prefix>doc:<id>`` without. Documents registered in this process from
    manifest files are kept locally too, so they never cost a round trip."""

    def __init__(self, url: str, prefix: str, ttl_s: int) -> None:
        # Connects on first use, never at construction.
        self._redis = aioredis.Redis.from_url(url, decode_responses=True)
        self._prefix = prefix
        self._ttl_s = ttl_s
        self._local: dict[str, str] = {}

    async def find(self, key: str) -> str | None:
        if key in self._local:
            return self._local[key]
        try:
            found: list[Any] = await self._redis.mget(
                self._prefix + "doc:" + key, self._prefix + "apq:" + key
            )
        except RedisError as error:
            raise StoreUnavailable() from error
        text = found[0] or found[1]
        return None if text is None else str(text)

    async def registered(self, key: str) -> str | None:
        if key in self._local:
            return self._local[key]
        try:
            found: Any = await self._redis.get(self._prefix + "doc:" + key)
        except RedisError as error:
            raise StoreUnavailable() from error
        return None if found is None else str(found)

    async def remember(self, key: str, document: str) -> None:
        try:
            await self._redis.set(self._prefix + "apq:" + key, document, ex=self._ttl_s)
        except RedisError as error:
            raise StoreUnavailable() from error

    async def register(self, documents: Mapping[str, str]) -> None:
        if not documents:
            return
        try:
            await self._redis.mset({self._prefix + "doc:" + k: v for k, v in documents.items()})
        except RedisError as error:
            raise StoreUnavailable() from error

    def keep_locally(self, documents: Mapping[str, str]) -> None:
        self._local.update(documents)

    async def close(self) -> None:
        await self._redis.aclose()


def open_store(settings: Settings) -> DocumentStore:
    """The store the settings ask for, holding the manifests they name.

    Raises:
        InvalidManifest: a manifest named in ``TRUSTED_DOCUMENT_MANIFESTS`` is unusable.
    """
    manifests: dict[str, str] = {}
    for path in settings.trusted_document_manifests:
        try:
            manifests.update(read_manifest(Path(path).read_bytes()))
        except (OSError, InvalidManifest) as error:
            raise InvalidManifest(f"TRUSTED_DOCUMENT_MANIFESTS {path}: {error}") from error
    if settings.redis_url:
        store = RedisDocuments(
            settings.redis_url, settings.redis_key_prefix, settings.persisted_query_ttl_s
        )
        store.keep_locally(manifests)
        return store
    memory = MemoryDocuments(settings.persisted_query_cache_size, settings.persisted_query_ttl_s)
    memory.keep_locally(manifests)
    return memory


@dataclass(frozen=True)
class Resolved:
    """A request's parameters with its document's text in ``query``; ``remember`` is
    the hash to keep the text under once it has passed validation (APQ registration)."""

    raw: dict[str, Any]
    remember: str | None = None


class PersistedDocuments:
    """Puts the document's text into each request that sends an id or a hash, and
    keeps what APQ clients register; in trusted mode refuses everything else."""

    def __init__(self, store: DocumentStore, settings: Settings) -> None:
        self.store = store
        self.apq = settings.persisted_queries
        self.trusted = settings.trusted_documents

    async def resolve(self, raw: dict[str, Any]) -> Resolved:
        """The request with its document; raises :class:`DocumentRefused` or
        :class:`StoreUnavailable`."""
        query = raw.get("query")
        extensions = raw.get("extensions")
        persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
        document_id = raw.get("documentId", raw.get("doc_id"))
        if persisted is not None:
            return await self._persisted_query(raw, query, persisted)
        if document_id is not None:
            if not isinstance(document_id, str):
                raise DocumentRefused(400, "`documentId` must be a string.", "BAD_REQUEST")
            return Resolved(
                {**raw, "query": await self._lookup(document_id.removeprefix("sha256:"))}
            )
        if (
            self.trusted
            and isinstance(query, str)
            and await self.store.registered(sha256_of(query)) is None
        ):
            raise _not_in_list()
        return Resolved(raw)

    async def _lookup(self, key: str) -> str:
        """The text of a document sent by id: only a registered one in trusted mode."""
        text = await (self.store.registered(key) if self.trusted else self.store.find(key))
        if text is None:
            raise _not_in_list() if self.trusted else _not_found()
        return text

    async def _persisted_query(self, raw: dict[str, Any], query: Any, persisted: Any) -> Resolved:
        if not self.apq and not self.trusted:
            raise DocumentRefused(
                400, "PersistedQueryNotSupported", "PERSISTED_QUERY_NOT_SUPPORTED"
            )
        if not isinstance(persisted, dict) or persisted.get("version") != APQ_VERSION:
            raise DocumentRefused(400, "Unsupported persisted query version.", "BAD_REQUEST")
        digest = persisted.get("sha256Hash")
        if not isinstance(digest, str) or not digest:
            raise DocumentRefused(
                400, "`extensions.persistedQuery.sha256Hash` must be a string.", "BAD_REQUEST"
            )
        if query is None:
            text = await (
                self.store.registered(digest) if self.trusted else self.store.find(digest)
            )
            if text is None:
                raise _not_in_list() if self.trusted else _not_found()
            return Resolved({**raw, "query": text})
        if not isinstance(query, str):
            return Resolved(raw)  # refused as any non-string query is
        if sha256_of(query) != digest.lower():
            raise DocumentRefused(400, "provided sha does not match query", "BAD_REQUEST")
        if self.trusted:
            if await self.store.registered(digest) is None:
                raise _not_in_list()
            return Resolved(raw)
        return Resolved(raw, remember=digest.lower())

    async def remember(self, digest: str, document: str) -> None:
        await self.store.remember(digest, document)


def _not_found() -> DocumentRefused:
    # Apollo's link retries with the full document on this message and code.
    return DocumentRefused(404, "PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")


def _not_in_list() -> DocumentRefused:
    return DocumentRefused(
        400,
        "Only registered operations run on this server (trusted documents).",
        "PERSISTED_QUERY_NOT_IN_LIST",
    )
