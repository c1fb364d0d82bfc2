"""OpenTelemetry tracing (``TRACING=true``): a span per HTTP request (the ASGI
instrumentation), per GraphQL operation, per SQL statement and, when
``TRACING_RESOLVER_MS`` is above 0, per resolver at least that slow; exported
over OTLP/HTTP (``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_SERVICE_NAME`` and the
other standard variables apply).

SQL spans come from SQLAlchemy's cursor events on the app's own engine rather
than from the SQLAlchemy instrumentation package, whose instrumentor patches
the process once; here each app attaches to its engine and detaches when it
stops, so several apps (and the tests) each trace their own.

Timing every resolver turns off the plain-field fast paths and compiled reads
(a field hook must see every field), hence resolver spans are off by default.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLResolveInfo
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import Span, Status, StatusCode
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine
from strawberry.extensions import SchemaExtension

_SPAN = "concierge_span"


class Tracing:
    """The app's tracer and the hooks that make its spans."""

    def __init__(self, provider: TracerProvider, resolver_ms: float = 0.0) -> None:
        self.provider = provider
        self.tracer = provider.get_tracer("concierge")
        self.resolver_ms = resolver_ms
        self._engines: list[AsyncEngine] = []

    @classmethod
    def exporting(cls, exporter: SpanExporter, resolver_ms: float = 0.0) -> Tracing:
        """Tracing that sends batches of spans to ``exporter``."""
        provider = TracerProvider(resource=Resource.create({"service.name": "concierge"}))
        provider.add_span_processor(BatchSpanProcessor(exporter))
        return cls(provider, resolver_ms)

    @classmethod
    def otlp(cls, resolver_ms: float) -> Tracing:
        """Tracing exported over OTLP/HTTP as the ``OTEL_*`` variables configure it."""
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return cls.exporting(OTLPSpanExporter(), resolver_ms)

    def extensions(self) -> list[Any]:
        """The schema extensions that trace operations (and slow resolvers)."""
        tracer, threshold = self.tracer, self.resolver_ms
        hooks: list[Any] = [lambda: TraceOperation(tracer)]
        if threshold > 0:
            hooks.append(lambda: TraceSlowResolvers(tracer, threshold))
        return hooks

    def attach(self, engine: AsyncEngine) -> None:
        """Trace each SQL statement ``engine`` runs (its text, never its parameters)."""
        target = engine.sync_engine
        event.listen(target, "before_cursor_execute", self._statement_starts)
        event.listen(target, "after_cursor_execute", self._statement_ends)
        event.listen(target, "handle_error", self._statement_fails)
        self._engines.append(engine)

    def shutdown(self) -> None:
        """Detach from the engines and send the spans still buffered."""
        for engine in self._engines:
            target = engine.sync_engine
            event.remove(target, "before_cursor_execute", self._statement_starts)
            event.remove(target, "after_cursor_execute", self._statement_ends)
            event.remove(target, "handle_error", self._statement_fails)
        self._engines.clear()
        self.provider.shutdown()

    def _statement_starts(
        self, connection: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: Any
    ) -> None:
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        span = self.tracer.start_span(
            verb,
            kind=trace.SpanKind.CLIENT,
            attributes={
                "db.system.name": connection.dialect.name,
                "db.query.text": statement,
                "db.operation.name": verb,
            },
        )
        if context is not None:
            setattr(context, _SPAN, span)

    def _statement_ends(self, *args: Any) -> None:
        span: Span | None = getattr(args[4], _SPAN, None)
        if span is not None:
            span.end()

    def _statement_fails(self, exception_context: Any) -> None:
        span: Span | None = getattr(exception_context.execution_context, _SPAN, None)
        if span is not None:
            span.set_status(
                Status(StatusCode.ERROR, type(exception_context.original_exception).__name__)
            )
            span.end()


class TraceOperation(SchemaExtension):
    """One span per GraphQL operation, named by its type and name, with its errors."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self.tracer = tracer

    def on_operation(self) -> Iterator[None]:
        with self.tracer.start_as_current_span("graphql.operation") as span:
            yield
            context = self.execution_context
            try:
                kind = context.operation_type.value
            except RuntimeError:  # the document did not parse
                kind = None
            name = context.operation_name
            span.update_name(" ".join(part for part in (kind, name) if part) or "graphql")
            if name:
                span.set_attribute("graphql.operation.name", name)
            if kind:
                span.set_attribute("graphql.operation.type", kind)
            errors = (
                context.result.errors if context.result else None
            ) or context.pre_execution_errors
            if errors:
                span.set_attribute("graphql.errors", len(errors))
                span.set_status(Status(StatusCode.ERROR, errors[0].message))


class TraceSlowResolvers(SchemaExtension):
    """A span for each resolver that took at least ``threshold_ms`` (awaited ones
    included), made after the fact with the resolver's real start time."""

    def __init__(self, tracer: trace.Tracer, threshold_ms: float) -> None:
        self.tracer = tracer
        self.threshold_ns = int(threshold_ms * 1_000_000)

    async def resolve(
        self, _next: Any, root: Any, info: GraphQLResolveInfo[Any], *args: Any, **kwargs: Any
    ) -> Any:
        started_wall, started = time.time_ns(), time.perf_counter_ns()
        result = _next(root, info, *args, **kwargs)
        if hasattr(result, "__await__"):
            result = await result
        took = time.perf_counter_ns() - started
        if took >= self.threshold_ns:
            span = self.tracer.start_span(
                f"{info.parent_type.name}.{info.field_name}",
                start_time=started_wall,
                attributes={
                    "graphql.field.path": ".".join(str(key) for key in info.path.as_list())
                },
            )
            span.end(end_time=started_wall + took)
        return result
