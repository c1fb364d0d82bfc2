"""The ASGI application: /graphql (with GraphiQL), /files, /healthz, /readyz and /metrics."""

from __future__ import annotations

import functools
import gc
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from gql.api.core.context import Services
from gql.auth.tokens import TokenReader
from gql.auth.viewers import ActiveViewers
from gql.schema import build_schema
from gql.server import graphiql
from gql.server.documents import PersistedDocuments, open_store
from gql.server.downloads import FileDownloads
from gql.server.endpoint import GraphQLEndpoint
from gql.server.metrics import Metrics
from gql.server.middleware import REQUEST_ID_HEADER, BodyLimit, RequestId
from gql.server.rate_limits import RateLimit, rate_limit_storage
from gql.server.subscriptions import SubscriptionEndpoint
from gql.server.telemetry import RequestTelemetry
from gql.server.uploads import PREFLIGHT_HEADERS as PREFLIGHT
from gql.server.write_marks import shared_write_marks
from gql.settings import Settings, get_settings
from persistence.engine import (
    create_engine,
    create_event_bus,
    create_replica_set,
    create_session_factory,
)
from persistence.health import HealthMonitor, HealthStatus
from persistence.services.credentials import Passwords
from persistence.storage import LocalStorage

if TYPE_CHECKING:
    from gql.server.tracing import Tracing

# Young collections every this many allocations, instead of Python's 700: a
# large response allocates tens of thousands of short-lived objects, and with
# many requests in flight each young collection walks all of them again. Under
# 16 concurrent deep reads this took about a quarter off each request.
GC_YOUNG_THRESHOLD = 50_000


@functools.cache
def tune_garbage_collection() -> None:
    """Settle the collector for serving, once per process, at the first startup.

    What startup built (the schema, the mappers, the imported modules: several
    hundred thousand long-lived objects) is frozen out of the cycle collector's
    sight, so full collections during large responses no longer walk it all;
    frozen objects are still freed by reference counting. Young collections
    run less often (see GC_YOUNG_THRESHOLD).
    """
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def create_app(
    settings: Settings | None = None,
    engine: AsyncEngine | None = None,
    tracing: Tracing | None = None,
) -> Starlette:
    """Build the application. The engine connects lazily, on the first request.

    ``tracing`` is made from the settings when ``TRACING=true`` and none is given
    (tests give one with an in-memory exporter)."""
    settings = settings or get_settings()
    settings.signing_key  # noqa: B018  (refuses to start in production without SECRET_KEY)
    owns_engine = engine is None
    engine = engine or create_engine(settings)
    services = Services(
        settings=settings,
        engine=engine,
        session_factory=create_session_factory(engine),
        started_at=time.monotonic(),
        passwords=Passwords(settings),
        health=HealthMonitor(engine, settings.health_timeout_s, settings.health_cache_s),
        viewers=ActiveViewers(settings.viewer_cache_seconds, settings.viewer_cache_size),
        tokens=TokenReader(settings),
        storage=LocalStorage(settings.files_root),
        events=create_event_bus(settings),
        compiled_reads=settings.compiled_reads,
        replicas=create_replica_set(settings, engine, shared_write_marks(settings)),
    )
    if tracing is None and settings.tracing:
        from gql.server.tracing import Tracing

        tracing = Tracing.otlp(settings.tracing_resolver_ms)
    if tracing is not None:
        tracing.attach(engine)
    store = open_store(settings)
    schema = build_schema(settings, tracing.extensions() if tracing is not None else ())
    graphql = GraphQLEndpoint(
        services,
        schema,
        graphiql_html=graphiql.page() if settings.graphiql_enabled else None,
        documents=PersistedDocuments(store, settings),
    )

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        report = await services.health.report()
        ready = report.status is HealthStatus.OK
        body: dict[str, object] = {
            "status": report.status.value,
            "reason": report.reason,
            "database": {"ok": report.database.ok, "latencyMs": report.database.latency_ms},
            "migrations": {
                "current": report.migrations.current,
                "head": report.migrations.head,
                "upToDate": report.migrations.up_to_date,
            },
        }
        if services.replicas is not None:
            # Replicas do not decide readiness: queries read from the primary without them.
            body["replicas"] = [
                {
                    "name": state.name,
                    "ok": state.ok,
                    "lagSeconds": state.lag_s,
                    "reason": state.reason,
                }
                for state in services.replicas.states()
            ]
        return JSONResponse(body, status_code=200 if ready else 503)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        tune_garbage_collection()
        if services.replicas is not None:
            services.replicas.watch()
        yield
        await services.events.close()
        if services.replicas is not None:
            await services.replicas.close()
        await store.close()
        if tracing is not None:
            tracing.shutdown()
        if owns_engine:
            await engine.dispose()

    metrics = Metrics(engine) if settings.metrics_enabled else None
    routes: list[BaseRoute] = [
        # Every method reaches the endpoint, which answers 405 with `Allow` itself.
        Route("/graphql", graphql),
        WebSocketRoute("/graphql", SubscriptionEndpoint(services, schema)),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/files/{file_id}", FileDownloads(services).respond, methods=["GET", "HEAD"]),
    ]
    if settings.graphiql_enabled:
        routes.append(Mount(f"/{graphiql.ASSETS_PATH}", graphiql.assets(), name="graphiql"))
    if metrics is not None:
        routes.append(Route("/metrics", metrics.endpoint, methods=["GET"]))

    rate_limits = []
    if settings.rate_limit_per_token or settings.rate_limit_per_address:
        rate_limits.append(
            Middleware(
                RateLimit,
                storage=rate_limit_storage(settings),
                per_token=settings.rate_limit_per_token,
                per_address=settings.rate_limit_per_address,
            )
        )
    traced = []
    if tracing is not None:
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

        # Outermost, so that the request's span is the parent of every other.
        traced.append(Middleware(OpenTelemetryMiddleware, tracer_provider=tracing.provider))
    app = Starlette(
        routes=routes,
        middleware=[
            *traced,
            Middleware(RequestId),
            Middleware(RequestTelemetry, metrics=metrics),
            Middleware(
                BodyLimit,
                max_bytes=settings.max_body_bytes,
                # Each file is limited while it streams (gql/server/uploads.py); this
                # bounds the whole request, its files and their part headers.
                multipart_max_bytes=settings.max_body_bytes
                + settings.max_upload_files * (settings.max_upload_bytes + 1024),
            ),
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=[*settings.cors_allow_headers, *PREFLIGHT],
                expose_headers=[REQUEST_ID_HEADER],
                max_age=600,
            ),
            *rate_limits,
        ],
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.tracing = tracing
    return app
