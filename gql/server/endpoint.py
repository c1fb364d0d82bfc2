"""GraphQL over HTTP, to the letter of the GraphQL-over-HTTP specification.

Strawberry's schema executes; this endpoint owns the HTTP contract around it:
content negotiation (``application/graphql-response+json`` and
``application/json``), strict request bodies (a UTF-8 JSON object, or a
multipart upload with CSRF protection: gql/server/uploads.py), GET for
queries only, and status codes that tell request errors (4xx) from
execution results (200).
"""

from __future__ import annotations

import asyncio
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

from gql.api.core.context import Services, build_context
from gql.api.core.errors import DATABASE_CODES
from gql.api.core.observation import current_request_id
from gql.api.core.scalars import MAX_NESTING, json_problem
from gql.server.uploads import MultipartReader, UploadRefused, forces_preflight, is_multipart

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
RETRY_AFTER_SECONDS = 1
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

    def __init__(self, services: Services, schema: Schema, graphiql_html: str | None) -> None:
        self.services = services
        self.schema = schema
        self.graphiql_html = graphiql_html

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = await self.respond(Request(scope, receive))
        await response(scope, receive, send)

    async def respond(self, request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            return _problem(405, "GraphQL is served over GET and POST.", JSON, Allow="GET, POST")
        if request.method == "GET" and "query" not in request.query_params and _wants_html(request):
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
                params = await read_params(request)
                result = await self.execute(request, params)
        except ClientDisconnect:
            # Nobody is left to answer; the reader removed what it had written.
            return Response(status_code=400)
        except RequestError as error:
            return _problem(
                error.status, error.message, media_type, error.extensions, **error.headers
            )
        return _result_response(result, media_type)

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
            return await self.execute(request, _validate_params(raw))
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
                return await self.schema.execute(
                    params.query,
                    variable_values=params.variables,
                    context_value=context,
                    operation_name=params.operation_name,
                    allowed_operation_types=allowed,
                    operation_extensions=params.extensions,
                )
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


async def read_params(request: Request) -> GraphQLParams:
    """The GraphQL parameters of a GET query string or a POST JSON body.

    Raises :class:`RequestError` for anything the specification calls a bad request.
    """
    if request.method == "GET":
        raw: dict[str, Any] = dict(request.query_params)
        for key in ("variables", "extensions"):
            if raw.get(key):
                raw[key] = _decode_json(raw[key].encode(), key)
    else:
        raw = await _read_body(request)
    return _validate_params(raw)


async def _read_body(request: Request) -> dict[str, Any]:
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
    if not isinstance(document, dict):
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
    return result.data is None and any(
        (error.extensions or {}).get("code") in DATABASE_CODES for error in result.errors or ()
    )


def _result_response(result: ExecutionResult, media_type: str) -> Response:
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
        return _json(body, 503, media_type, {"Retry-After": str(RETRY_AFTER_SECONDS)})
    status = 400 if request_error and media_type == GRAPHQL_RESPONSE_JSON else 200
    return _json(body, status, media_type)


def _problem(
    status: int,
    message: str,
    media_type: str,
    extensions: dict[str, Any] | None = None,
    **headers: str,
) -> Response:
    error = GraphQLError(message, extensions=extensions or {"code": HTTPStatus(status).name})
    return _json({"errors": [error.formatted]}, status, media_type, headers)


def _json(
    body: dict[str, Any], status: int, media_type: str, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status,
        media_type=f"{media_type}; charset=utf-8",
        headers=headers,
    )
