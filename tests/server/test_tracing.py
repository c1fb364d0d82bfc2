"""OpenTelemetry tracing: the request, its GraphQL operation, its SQL statements and
slow resolvers as spans of one trace, with an in-memory exporter."""

from __future__ import annotations

import contextlib

import httpx
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from gql.server.app import create_app
from gql.server.tracing import Tracing

PERSONAS = """query Personas($name: String) {
  personas(first: 5, filter: {nameContains: $name}) { totalCount } }"""


@contextlib.asynccontextmanager
async def traced(settings, db, resolver_ms: float = 0.0):
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing = Tracing(provider, resolver_ms)
    app = create_app(settings, engine=db.engine, tracing=tracing)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as http:
            yield http, exporter
    finally:
        tracing.shutdown()


def by_name(spans, prefix: str):
    return [span for span in spans if span.name.startswith(prefix)]


async def test_a_request_is_one_trace_of_operation_and_statements(operator, settings, db):
    headers = {"Authorization": f"Bearer {operator.api.token}"}
    async with traced(settings, db) as (http, exporter):
        response = await http.post(
            "/graphql",
            json={"query": PERSONAS, "variables": {"name": "s3cret-value"}},
            headers=headers,
        )
    spans = exporter.get_finished_spans()

    assert response.status_code == 200 and "errors" not in response.json(), response.text
    (operation,) = by_name(spans, "query Personas")
    statements = by_name(spans, "SELECT")
    requests = [span for span in spans if span.parent is None]
    assert len(requests) == 1 and requests[0].name.startswith("POST")
    assert operation.parent.span_id == requests[0].context.span_id
    assert operation.attributes["graphql.operation.name"] == "Personas"
    assert statements, [span.name for span in spans]
    assert {span.context.trace_id for span in spans} == {requests[0].context.trace_id}
    for statement in statements:
        assert statement.parent is not None
        assert statement.attributes["db.system.name"] in ("sqlite", "postgresql")
        assert "s3cret-value" not in str(statement.attributes)  # parameters never recorded
    assert any(span.parent.span_id == operation.context.span_id for span in statements)


async def test_a_refused_operation_is_an_error_span(settings, db):
    async with traced(settings, db) as (http, exporter):
        await http.post("/graphql", json={"query": "query Broken { noSuchField }"})

    (operation,) = by_name(exporter.get_finished_spans(), "query Broken")
    assert operation.status.status_code is StatusCode.ERROR
    assert operation.attributes["graphql.errors"] == 1


async def test_resolver_spans_only_above_the_threshold(operator, settings, db):
    headers = {"Authorization": f"Bearer {operator.api.token}"}
    async with traced(settings, db, resolver_ms=0.000_001) as (http, every):
        await http.post("/graphql", json={"query": PERSONAS}, headers=headers)
    async with traced(settings, db, resolver_ms=60_000) as (http, none):
        await http.post("/graphql", json={"query": PERSONAS}, headers=headers)
    async with traced(settings, db) as (http, off):
        await http.post("/graphql", json={"query": PERSONAS}, headers=headers)

    assert by_name(every.get_finished_spans(), "Query.personas")
    assert by_name(every.get_finished_spans(), "PersonaConnection.totalCount")
    assert not by_name(none.get_finished_spans(), "Query.")
    assert not by_name(off.get_finished_spans(), "Query.")


async def test_shut_down_tracing_leaves_the_engine_untraced(settings, db):
    async with traced(settings, db) as (_, exporter):
        pass
    async with db.engine.connect() as connection:
        await connection.exec_driver_sql("SELECT 1")

    assert exporter.get_finished_spans() == ()
