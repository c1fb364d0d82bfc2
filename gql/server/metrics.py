"""Prometheus metrics at ``/metrics`` (``METRICS_ENABLED=true``): requests, latency,
errors, SQL statements per request, selections that left the plain-field
execution path, and connection-pool use.

Each app has its own registry, so several apps in one process (tests) do not
collide. With several uvicorn workers, set ``PROMETHEUS_MULTIPROC_DIR`` to an
empty directory before starting: every worker then writes its samples there and
any worker's ``/metrics`` reports the sum over all of them.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import Response

from persistence.health import pool_usage

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_STATEMENT_BUCKETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 100)


class Metrics:
    """The service's metrics and the ``/metrics`` endpoint that exposes them."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "concierge_http_requests",
            "HTTP requests served.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "concierge_http_request_duration_seconds",
            "Time from receiving a request to sending its last byte.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = Counter(
            "concierge_http_request_errors",
            "Requests that failed: kind=server (HTTP 5xx) or kind=graphql (errors in the result).",
            ["route", "kind"],
            registry=self.registry,
        )
        self.statements = Histogram(
            "concierge_sql_statements_per_request",
            "SQL statements one request ran.",
            ["route"],
            buckets=_STATEMENT_BUCKETS,
            registry=self.registry,
        )
        self.fallbacks = Counter(
            "concierge_plain_path_fallbacks",
            "Selections that left the plain-field execution path for graphql-core's full one "
            "(a null, a refused value, an error, or internals that changed on an upgrade).",
            ["route"],
            registry=self.registry,
        )
        self.reads = Counter(
            "concierge_read_paths",
            "Requests that read lists or nodes, by the path their root fields took: "
            "path=compiled (one statement's JSON), loader (dataloaders) or mixed.",
            ["route", "path"],
            registry=self.registry,
        )
        self.pool = Gauge(
            "concierge_db_pool_connections",
            "Database connections: state=size (kept open), checked_out, overflow.",
            ["state"],
            registry=self.registry,
            multiprocess_mode="livesum",
        )

    def observe_request(
        self,
        *,
        method: str,
        route: str,
        status: int,
        seconds: float,
        statements: int,
        graphql_errors: int,
        plain_path_fallbacks: int = 0,
        read_path: str | None = None,
    ) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        self.statements.labels(route).observe(statements)
        if status >= 500:
            self.errors.labels(route, "server").inc()
        if graphql_errors:
            self.errors.labels(route, "graphql").inc()
        if plain_path_fallbacks:
            self.fallbacks.labels(route).inc(plain_path_fallbacks)
        if read_path is not None:
            self.reads.labels(route, read_path).inc()
        # Sampled per request too, so each worker's share is current in multiprocess mode.
        self.sample_pool()

    def sample_pool(self) -> None:
        usage = pool_usage(self.engine)
        if usage is None:  # no pool of our own (PgBouncer mode): nothing to report
            return
        self.pool.labels("size").set(usage.size)
        self.pool.labels("checked_out").set(usage.checked_out)
        self.pool.labels("overflow").set(usage.overflow)

    async def endpoint(self, _: Request) -> Response:
        """``GET /metrics`` in Prometheus' text format."""
        self.sample_pool()
        registry = self.registry
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
