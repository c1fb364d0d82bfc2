"""The ASGI application: /graphql (with GraphiQL), /healthz and /readyz."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL

from gql.context import Context, Services, build_context
from gql.schema import build_schema
from persistence.config import Settings, get_settings
from persistence.engine import create_engine, create_session_factory
from persistence.health import HealthStatus, probe

_CONTEXT_KEY = "concierge.context"


class GraphQLEndpoint(GraphQL[Context, None]):
    """Strawberry's ASGI view with Concierge's per-request context.

    The request's unit of work is closed after the response whatever happened,
    including requests refused before execution.
    """

    def __init__(self, services: Services, **options: Any) -> None:
        super().__init__(build_schema(services.settings), **options)
        self.services = services

    async def get_context(self, request: Any, response: Any) -> Context:
        context = await build_context(self.services, request, response)
        request.scope.setdefault("state", {})[_CONTEXT_KEY] = context
        return context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            context: Context | None = scope.get("state", {}).pop(_CONTEXT_KEY, None)
            if context is not None:
                await context.uow.close()


def create_app(settings: Settings | None = None, engine: AsyncEngine | None = None) -> Starlette:
    """Build the application. The engine connects lazily, on the first request."""
    settings = settings or get_settings()
    owns_engine = engine is None
    engine = engine or create_engine(settings)
    services = Services(
        settings=settings,
        engine=engine,
        session_factory=create_session_factory(engine),
        started_at=time.monotonic(),
    )
    graphql = GraphQLEndpoint(
        services,
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        allow_queries_via_get=True,
    )

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        report = await probe(engine, settings.health_timeout_s)
        ready = report.status is HealthStatus.OK
        body = {
            "status": report.status.value,
            "reason": report.reason,
            "database": {"ok": report.database.ok, "latencyMs": report.database.latency_ms},
            "migrations": {
                "current": report.migrations.current,
                "head": report.migrations.head,
                "upToDate": report.migrations.up_to_date,
            },
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        yield
        if owns_engine:
            await engine.dispose()

    app = Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    return app
