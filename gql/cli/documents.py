"""`concierge register-documents`: a client's persisted-query manifests, checked
against the schema, registered as trusted documents in the shared store."""

from __future__ import annotations

from pathlib import Path

from graphql import GraphQLError, GraphQLSchema, parse, validate

from gql.schema import build_schema
from gql.server.documents import InvalidManifest, RedisDocuments, StoreUnavailable, read_manifest
from gql.settings import Settings


class DocumentsRefused(Exception):
    """Some manifest or document cannot be registered; the message lists each problem."""


def problems_of(text: str, schema: GraphQLSchema) -> str | None:
    """Why a document cannot run against the schema, or ``None``."""
    try:
        document = parse(text)
    except GraphQLError as error:
        return error.message
    errors = validate(schema, document)
    return "; ".join(error.message for error in errors) or None


async def register(paths: list[Path], *, check_only: bool) -> str:
    """Check every manifest and document, then register them all (or none).

    Raises:
        DocumentsRefused: a manifest is unreadable, an id is not its document's
            digest, a document does not validate, or Redis is not configured or down.
    """
    settings = Settings()  # read when the command runs
    documents: dict[str, str] = {}
    problems: list[str] = []
    for path in paths:
        try:
            documents.update(read_manifest(path.read_bytes()))
        except InvalidManifest as error:
            problems.append(f"{path}: {error}")
    schema = build_schema(settings)._schema
    for document_id, text in documents.items():
        problem = problems_of(text, schema)
        if problem is not None:
            problems.append(f"{document_id}: {problem}")
    if problems:
        raise DocumentsRefused("nothing registered:\n" + "\n".join(problems))
    count = f"{len(documents)} document{'s' if len(documents) != 1 else ''}"
    if check_only:
        return f"{count} fit the schema"
    if not settings.redis_url:
        raise DocumentsRefused(
            f"{count} fit the schema, but REDIS_URL is not set: a server without Redis "
            "reads its trusted documents from the files in TRUSTED_DOCUMENT_MANIFESTS"
        )
    store = RedisDocuments(
        settings.redis_url, settings.redis_key_prefix, settings.persisted_query_ttl_s
    )
    try:
        await store.register(documents)
    except StoreUnavailable as error:
        raise DocumentsRefused(f"Redis at REDIS_URL did not answer: {error.__cause__}") from error
    finally:
        await store.close()
    return f"registered {count} in Redis"
