"""What every request did, told three ways: one structured log line, a
``Server-Timing`` header (total, database time, SQL statement count, and the
read path its lists and nodes took: ``compiled``, ``loader`` or ``mixed``) and,
when enabled, Prometheus metrics.

:class:`RequestTelemetry` is ASGI middleware placed after
:class:`~gql.server.middleware.RequestId`, so its log line carries the request id;
the schema extension :class:`gql.api.core.extensions.OperationName` tells it
which GraphQL operation ran.
"""

from __future__ import annotations

import logging
import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gql.api.core.observation import Observation, current_request_id, observation_var
from gql.server.metrics import Metrics
from persistence.instrumentation import QueryStats, track_queries

request_logger = logging.getLogger("concierge.request")


def server_timing(total_ms: float, queries: QueryStats, observation: Observation) -> str:
    """The ``Server-Timing`` value: total and database time, the statement count
    (as the ``dur`` of ``sql``, so browser developer tools display it), the read
    path (see gql/api/core/compiled.py) when lists or nodes were read, and the
    replica read from, if any."""
    timing = (
        f"total;dur={total_ms:.2f}, "
        f'db;desc="database";dur={queries.milliseconds:.2f}, '
        f'sql;desc="SQL statements";dur={queries.statements}'
    )
    if observation.read_path is not None:
        timing += f', read;desc="{observation.read_path}"'
    if observation.read_from is not None:
        timing += f', replica;desc="{observation.read_from}"'
    return timing


class RequestTelemetry:
    """Times each HTTP request, counts its SQL statements, adds ``Server-Timing`` to the
    response, logs one line when it is done, and updates ``metrics`` if given."""

    def __init__(self, app: ASGIApp, metrics: Metrics | None = None) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        observation = Observation()
        status = 500  # what the client gets if the app fails before answering

        with track_queries() as queries:

            async def send_with_timing(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    total_ms = (time.perf_counter() - started) * 1000
                    MutableHeaders(scope=message)["Server-Timing"] = server_timing(
                        total_ms, queries, observation
                    )
                await send(message)

            token = observation_var.set(observation)
            try:
                await self.app(scope, receive, send_with_timing)
            finally:
                observation_var.reset(token)
                duration_ms = (time.perf_counter() - started) * 1000
                route = _route(scope)
                _log(scope, status, duration_ms, queries, observation)
                if self.metrics is not None:
                    self.metrics.observe_request(
                        method=scope["method"],
                        route=route,
                        status=status,
                        seconds=duration_ms / 1000,
                        statements=queries.statements,
                        graphql_errors=observation.graphql_errors,
                        plain_path_fallbacks=observation.plain_path_fallbacks,
                        read_path=observation.read_path,
                    )


def _route(scope: Scope) -> str:
    """The matched route's path template: bounded, unlike raw paths, as a metric label."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


def _log(
    scope: Scope, status: int, duration_ms: float, queries: QueryStats, observation: Observation
) -> None:
    if not request_logger.isEnabledFor(logging.INFO):
        return  # nothing is built for a line nobody reads
    fields = {
        "request_id": current_request_id(),
        "method": scope["method"],
        "path": scope["path"],
        "status": status,
        "operation": observation.operation,
        "operation_type": observation.operation_type,
        "graphql_errors": observation.graphql_errors,
        "plain_path_fallbacks": observation.plain_path_fallbacks,
        "read_path": observation.read_path,
        "read_from": observation.read_from,
        "prepared": observation.prepared,
        "duration_ms": round(duration_ms, 2),
        "db_ms": round(queries.milliseconds, 2),
        "sql_statements": queries.statements,
    }
    shown = " ".join(
        f"{key}={'-' if value is None else value}"
        for key, value in fields.items()
        if key != "request_id"
    )
    request_logger.info("request %s", shown, extra=fields)
