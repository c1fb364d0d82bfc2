"""Each request leaves one structured log line and a Server-Timing header whose SQL
statement count is the real one; /metrics reports requests, latency, errors and pool."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from gql.server.app import create_app

REQUEST_LOGGER = "concierge.request"
INBOX = """query Inbox {
  viewer { username personas(first: 5) { totalCount edges { node { name } } } }
}"""


def timings(response: httpx.Response) -> dict[str, tuple[str | None, float]]:
    """``Server-Timing`` as {name: (description, duration)}."""
    metrics = {}
    for entry in response.headers["server-timing"].split(","):
        name, *params = (part.strip() for part in entry.split(";"))
        values = dict(param.split("=", 1) for param in params)
        metrics[name] = (values.get("desc", "").strip('"') or None, float(values["dur"]))
    return metrics


async def test_server_timing_reports_the_statements_the_request_ran(api, db):
    member = api.as_(await api.sign_up("timed"))

    with db.statements() as log:
        response = await member.post(INBOX)

    timing = timings(response)
    assert response.status_code == 200
    assert timing["sql"] == ("SQL statements", log.count)
    assert log.count >= 2  # the viewer, then the batched personas page and count
    assert 0 < timing["db"][1] <= timing["total"][1]


async def test_a_request_without_sql_reports_zero_statements(api):
    response = await api.http.get("/healthz")

    assert timings(response)["sql"][1] == 0
    assert timings(response)["db"][1] == 0


async def test_each_request_is_logged_once_with_its_id_operation_and_statement_count(
    api, db, caplog
):
    member = api.as_(await api.sign_up("logged"))
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    caplog.clear()

    with db.statements() as log:
        response = await member.post(INBOX)

    [record] = [r for r in caplog.records if r.name == REQUEST_LOGGER]
    assert record.request_id == response.headers["x-request-id"]
    assert record.operation == "Inbox"
    assert record.operation_type == "query"
    assert record.status == 200
    assert record.sql_statements == log.count
    assert record.method == "POST" and record.path == "/graphql"
    assert record.duration_ms >= record.db_ms > 0
    message = record.getMessage()
    assert "operation=Inbox" in message and f"sql_statements={log.count}" in message


async def test_an_anonymous_operation_and_graphql_errors_are_logged(api, caplog):
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)

    await api.post("{ noSuchField }")

    [record] = [r for r in caplog.records if r.name == REQUEST_LOGGER]
    assert record.operation is None
    assert record.graphql_errors == 1
    assert "operation=-" in record.getMessage()


@pytest.fixture
async def metered(db, settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app with METRICS_ENABLED=true (and a health probe per request)."""
    tuned = settings.model_copy(update={"metrics_enabled": True, "health_cache_s": 0})
    app = create_app(tuned, engine=db.engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def sample(exposition: str, name: str, **labels: str) -> float:
    """One sample's value from Prometheus' text format."""
    for line in exposition.splitlines():
        if not line.startswith(name + "{") and line.split(" ")[0] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}")[0]))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name}{labels} in:\n{exposition}")


async def test_metrics_count_requests_latency_errors_and_pool(metered):
    for _ in range(3):
        await metered.post("/graphql", json={"query": "{ health { status } }"})
    await metered.post("/graphql", json={"query": "{ noSuchField }"})

    body = (await metered.get("/metrics")).text

    requests = sample(
        body, "concierge_http_requests_total", method="POST", route="/graphql", status="200"
    )
    assert requests == 4
    assert sample(body, "concierge_http_request_duration_seconds_count", route="/graphql") == 4
    assert sample(body, "concierge_http_request_errors_total", kind="graphql") == 1
    assert sample(body, "concierge_sql_statements_per_request_count", route="/graphql") == 4
    assert sample(body, "concierge_sql_statements_per_request_sum", route="/graphql") >= 3
    assert sample(body, "concierge_db_pool_connections", state="size") >= 1
    assert sample(body, "concierge_db_pool_connections", state="checked_out") >= 0


async def test_metrics_are_off_unless_enabled(api):
    response = await api.http.get("/metrics")

    assert response.status_code == 404
