"""GraphQL over HTTP, to the letter of the GraphQL-over-HTTP specification.

Strawberry's schema executes; this endpoint owns the HTTP contract around it:
content negotiation (``application/graphql-response+json`` and
``application/json``), strict request bodies (a UTF-8 JSON object, an array
of them: a batch, or a multipart upload with CSRF protection:
gql/server/uploads.py), GET for queries only, persisted documents
(gql/server/documents.py), and status codes that tell request errors (4xx)
from execution results (200).
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import orjson
from graphql import GraphQLError
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry import Schema
from strawberry.exceptions import MissingQueryError
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from gql.api.core.context import Context, Services, build_context
from gql.api.core.errors import DATABASE_CODES
from gql.api.core.observation import current_observation, current_request_id
from gql.api.core.scalars import MAX_NESTING, json_problem
from gql.server.documents import DocumentRefused, PersistedDocuments, StoreUnavailable
from gql.server.uploads import MultipartReader, UploadRefused, forces_preflight, is_multipart

logger = logging.getLogger(__name__)

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
RETRY_AFTER_SECONDS = 1
# A GET with any of these is a GraphQL request, from a browser too (not GraphiQL).
_GRAPHQL_PARAMETERS = frozenset({"query", "extensions", "documentId", "doc_id"})
# `\u0000` and `\u{0}` in a GraphQL string literal, which no database column can store.
_NUL_ESCAPE = re.compile(r"\\u(?:0000|\{0+\})", re.IGNORECASE)


class RequestError(Exception):
    """The request cannot be executed at all; answered with ``status`` and no ``data``."""

    def __init__(
        self,
        status: int,
        message: str,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.extensions = extensions


@dataclass(frozen=True)
class GraphQLParams:
    query: str
    variables: dict[str, Any] | None
    operation_name: str | None
    extensions: dict[str, Any] | None


class GraphQLEndpoint:
    """The ``/graphql`` ASGI endpoint: GraphiQL for browsers, GraphQL for everyone else."""

    def __init__(
        self,
        services: Services,
        schema: Schema,
        graphiql_html: str | None,
        documents: PersistedDocuments,
    ) -> None:
        self.services = services
        self.schema = schema
        self.graphiql_html = graphiql_html
        self.documents = documents

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.respond(Request(scope, receive))
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            return _problem(405, "GraphQL is served over GET and POST.", JSON, Allow="GET, POST")
        asks_graphql = not _GRAPHQL_PARAMETERS.isdisjoint(request.query_params.keys())
        if request.method == "GET" and not asks_graphql and _wants_html(request):
            if self.graphiql_html is None:
                return _problem(404, "GraphiQL is disabled on this server.", JSON)
            return HTMLResponse(self.graphiql_html)
        media_type = negotiate(request.headers.get("accept"))
        if media_type is None:
            return _problem(406, f"This endpoint answers {GRAPHQL_RESPONSE_JSON} or {JSON}.", JSON)
        try:
            if request.method == "POST" and is_multipart(request):
                result = await self.execute_multipart(request)
            else:
                raw = await read_request(request)
                if isinstance(raw, list):
                    return await self.respond_to_batch(request, raw, media_type)
                result = await self.answer(request, raw)
        except ClientDisconnect:
            # Nobody is left to answer; the reader removed what it had written.
            return Response(status_code=400)
        except RequestError as error:
            return _problem(
                error.status, error.message, media_type, error.extensions, **error.headers
            )
        body, status, headers = _result_body(result, media_type)
        return _json(body, status, media_type, headers)

    async def respond_to_batch(
        self, request: Request, batch: list[Any], media_type: str
    ) -> Response:
        """Answers each operation of a JSON array body as if it came alone (its own
        context, loaders and unit of work), in order, in an array of results; one
        operation's refusal is its own entry's errors."""
        limit = self.services.settings.max_batch_size
        if limit == 0:
            raise RequestError(400, "Batched requests are disabled on this server.")
        if not batch:
            raise RequestError(400, "The batch is empty; send at least one operation.")
        if len(batch) > limit:
            raise RequestError(
                400,
                f"A batch may hold at most {limit} operations, not {len(batch)}.",
                extensions={"code": "BATCH_TOO_LARGE", "limit": limit},
            )
        answers: list[dict[str, Any]] = []
        for raw in batch:
            try:
                if not isinstance(raw, dict):
                    raise RequestError(400, "Each operation of a batch must be a JSON object.")
                body, _, _ = _result_body(await self.answer(request, raw), media_type)
            except RequestError as error:
                body = _problem_body(error.status, error.message, error.extensions)
            answers.append(body)
        return Response(
            orjson.dumps(answers), status_code=200, media_type=f"{media_type}; charset=utf-8"
        )

    async def answer(self, request: Request, raw: dict[str, Any]) -> ExecutionResult:
        """One operation: its persisted document looked up, its parameters checked,
        executed; an APQ registration kept once the document passed validation."""
        try:
            resolved = await self.documents.resolve(raw)
        except DocumentRefused as error:
            raise RequestError(
                error.status, error.message, extensions={"code": error.code}
            ) from None
        except StoreUnavailable as error:
            raise _store_unavailable() from error
        params = _validate_params(resolved.raw)
        result = await self.execute(request, params)
        if resolved.remember is not None and not _document_refused(result):
            try:
                await self.documents.remember(resolved.remember, params.query)
            except StoreUnavailable:
                logger.warning("could not keep a persisted query: the store is unavailable")
        return result

    async def execute_multipart(self, request: Request) -> ExecutionResult:
        """A multipart request (gql/server/uploads.py): refused without a header that
        forces a CORS preflight; its files are staged while they stream in, and
        whatever the operation did not store is removed once it has run."""
        if not forces_preflight(request):
            raise RequestError(
                400,
                "This multipart request may be a cross-site request forgery: send it with "
                "an `Apollo-Require-Preflight: true` (or `X-Apollo-Operation-Name`) header.",
                extensions={"code": "CSRF_PREFLIGHT_REQUIRED"},
            )
        settings = self.services.settings
        reader = MultipartReader(
            self.services.storage,
            max_file_bytes=settings.max_upload_bytes,
            max_files=settings.max_upload_files,
        )
        try:
            try:
                raw = await reader.read(request)
            except UploadRefused as refused:
                raise RequestError(
                    refused.status, refused.message, extensions={"code": refused.code}
                ) from refused
            # Through the persisted-document checks too: trusted mode covers uploads.
            return await self.answer(request, raw)
        finally:
            await reader.discard()

    async def execute(self, request: Request, params: GraphQLParams) -> ExecutionResult:
        allowed = {OperationType.QUERY}
        if request.method == "POST":
            allowed |= {OperationType.MUTATION}
        context = build_context(self.services, request)
        limit = self.services.settings.request_timeout_s
        try:
            async with asyncio.timeout(limit) as deadline:
                result = await self._run(context, params, allowed)
                replicas, replica = self.services.replicas, context.replica
                if replicas and replica and _failed_on_the_database(result):
                    # A query that a replica could not serve is answered again, from
                    # the primary: it wrote nothing, so running it twice is harmless.
                    replicas.unusable(replica, "a query failed on it")
                    await context.close()
                    observation = current_observation()
                    if observation is not None:
                        observation.read_from = None
                    context = build_context(self.services, request, replicas=False)
                    result = await self._run(context, params, allowed)
                return result
        except TimeoutError as error:
            if not deadline.expired():
                raise
            raise RequestError(
                503,
                f"The request did not finish within {limit:g} s; retry it.",
                {"Retry-After": str(RETRY_AFTER_SECONDS)},
                {"code": "REQUEST_TIMEOUT", "retryable": True, "requestId": current_request_id()},
            ) from error
        except InvalidOperationTypeError as error:
            raise RequestError(
                405, "Mutations are only accepted over POST.", {"Allow": "POST"}
            ) from error
        except CannotGetOperationTypeError as error:
            raise RequestError(400, error.as_http_error_reason()) from error
        except MissingQueryError as error:
            raise RequestError(400, "The request has no GraphQL query.") from error
        finally:
            await context.close()

    async def _run(
        self, context: Context, params: GraphQLParams, allowed: set[OperationType]
    ) -> ExecutionResult:
        return await self.schema.execute(
            params.query,
            variable_values=params.variables,
            context_value=context,
            operation_name=params.operation_name,
            allowed_operation_types=allowed,
            operation_extensions=params.extensions,
        )


def _failed_on_the_database(result: ExecutionResult) -> bool:
    """Whether any part of the operation failed because its database could not serve."""
    return any(
        (error.extensions or {}).get("code") in DATABASE_CODES for error in result.errors or ()
    )


def negotiate(accept: str | None) -> str | None:
    """The response media type for an ``Accept`` header, or ``None`` when none is acceptable.

    Without an ``Accept`` header the answer is ``application/json``, as the
    specification asks of servers during the transition to the new media type.
    """
    if not accept or not accept.strip():
        return JSON
    ranges: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept.split(",")):
        media, *parameters = (part.strip() for part in item.split(";"))
        quality = 1.0
        for parameter in parameters:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            ranges.append((-quality, position, media.lower()))
    for _, _, media in sorted(ranges):
        if media in (GRAPHQL_RESPONSE_JSON, JSON):
            return media
        if media in ("*/*", "application/*"):
            return JSON
    return None


async def read_request(request: Request) -> dict[str, Any] | list[Any]:
    """The GraphQL parameters of a GET query string or a POST JSON body: one object,
    or (POST only) an array of them, a batch.

    Raises :class:`RequestError` for anything the specification calls a bad request.
    """
    if request.method == "GET":
        raw: dict[str, Any] = dict(request.query_params)
        for key in ("variables", "extensions"):
            if raw.get(key):
                raw[key] = _decode_json(raw[key].encode(), key)
        return raw
    return await _read_body(request)


async def _read_body(request: Request) -> dict[str, Any] | list[Any]:
    content_type = request.headers.get("content-type")
    if content_type is None:
        raise RequestError(415, f"Send the request with Content-Type: {JSON}.")
    media, *parameters = (part.strip().lower() for part in content_type.split(";"))
    if media != JSON:
        raise RequestError(415, f"Unsupported Content-Type {media!r}; send {JSON}.")
    for parameter in parameters:
        key, _, value = parameter.partition("=")
        if key.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            raise RequestError(415, "Request bodies must be encoded in UTF-8.")
    body = await request.body()
    if not body.strip():
        raise RequestError(400, "The request body is empty; send a JSON object with a `query`.")
    document = _decode_json(body, "request body")
    if not isinstance(document, dict | list):
        raise RequestError(400, "The request body must be a JSON object with a `query`.")
    return document


def _decode_json(data: bytes, what: str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        # orjson also refuses bytes that are not UTF-8 and nesting deeper than 1024.
        raise RequestError(400, f"The {what} is not valid UTF-8 JSON: {error}") from error


def _validate_params(raw: dict[str, Any]) -> GraphQLParams:
    query = raw.get("query")
    if query is None:
        raise RequestError(400, "The request has no `query` parameter.")
    if not isinstance(query, str):
        raise RequestError(400, "The `query` parameter must be a string.")
    operation_name = raw.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError(400, "The `operationName` parameter must be a string or null.")
    variables = raw.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError(400, "The `variables` parameter must be a JSON object or null.")
    extensions = raw.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestError(400, "The `extensions` parameter must be a JSON object or null.")
    if "\x00" in query or _NUL_ESCAPE.search(query):
        raise RequestError(400, "NUL characters are not allowed in queries or variables.")
    problem = json_problem(variables, MAX_NESTING)
    if problem is not None:
        raise RequestError(400, f"The variables {problem}.")
    return GraphQLParams(query, variables, operation_name, extensions)


def _wants_html(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return "text/html" in accept


def is_request_error(result: ExecutionResult) -> bool:
    """Whether the operation never ran: parse, validation, limit and variable errors
    carry no ``path``; errors raised while resolving fields always do."""
    return (
        result.data is None
        and bool(result.errors)
        and all(error.path is None for error in result.errors or ())
    )


def is_database_failure(result: ExecutionResult) -> bool:
    """Whether the whole request failed because the database could not serve it."""
    return result.data is None and _failed_on_the_database(result)


def _document_refused(result: ExecutionResult) -> bool:
    """Whether the document did not parse or validate (APQ keeps only those that did)."""
    codes = {(error.extensions or {}).get("code") for error in result.errors or ()}
    return bool(codes & {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED"})


def _result_body(
    result: ExecutionResult, media_type: str
) -> tuple[dict[str, Any], int, dict[str, str] | None]:
    """The response body of an execution result, its status and extra headers."""
    body: dict[str, Any] = {}
    request_error = is_request_error(result)
    if not request_error:
        body["data"] = result.data
    if result.errors:
        body["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        body["extensions"] = result.extensions
    if is_database_failure(result):
        # Nothing was answered and a retry may well succeed: say so to every client.
        return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}
    status = 400 if request_error and media_type == GRAPHQL_RESPONSE_JSON else 200
    return body, status, None


def _store_unavailable() -> RequestError:
    return RequestError(
        503,
        "The persisted-document store is unavailable; retry with the full document.",
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
        {"code": "PERSISTED_DOCUMENTS_UNAVAILABLE", "retryable": True},
    )


def _problem_body(
    status: int, message: str, extensions: dict[str, Any] | None = None
) -> dict[str, Any]:
    error = GraphQLError(message, extensions=extensions or {"code": HTTPStatus(status).name})
    return {"errors": [error.formatted]}


def _problem(
    status: int,
    message: str,
    media_type: str,
    extensions: dict[str, Any] | None = None,
    **headers: str,
) -> Response:
    return _json(_problem_body(status, message, extensions), status, media_type, headers)


def _json(
    body: dict[str, Any], status: int, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=f"{media_type}; charset=utf-8",
        headers=headers,
    )
