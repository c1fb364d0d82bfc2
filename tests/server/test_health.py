"""Health over HTTP: the health query, /healthz, /readyz, and /graphql over GET."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from gql.server.app import create_app
from gql.settings import Settings
from persistence.migrations import head_revision
from tests.api.core.test_concurrency import connections_in_use
from tests.conftest import Api, Database, _create_postgres_database, _drop_postgres_database

HEALTH = """{ health { status reason version uptimeSeconds
  database { ok dialect latencyMs version error }
  migrations { current head upToDate }
  pool { size checkedOut overflow } } }"""


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def app_on(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app that owns its engine, over ``database_url``."""
    settings = Settings(DATABASE_URL=database_url, CONCIERGE_ENV="test", HEALTH_TIMEOUT_S=3)
    app = create_app(settings)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http
    finally:
        await app.state.services.engine.dispose()


def unreachable_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'concierge.db'}"
    return f"postgresql://postgres:secret-pw@127.0.0.1:{closed_port()}/concierge"


@pytest.fixture
async def unmigrated_url(db: Database, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the same backend that never saw a migration."""
    if db.backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    name, url = await _create_postgres_database()
    try:
        yield url
    finally:
        await _drop_postgres_database(name)


async def test_the_health_query_answers_without_a_token(api: Api, db: Database):
    data = await api.data(HEALTH)

    health = data["health"]
    assert health["status"] == "OK"
    assert health["reason"] is None
    assert health["database"]["ok"] is True
    assert health["database"]["dialect"] == db.backend
    assert health["database"]["latencyMs"] >= 0
    assert health["database"]["version"]
    assert health["database"]["error"] is None
    assert health["migrations"] == {
        "current": head_revision(),
        "head": head_revision(),
        "upToDate": True,
    }
    assert health["version"]
    assert health["uptimeSeconds"] >= 0


async def test_healthz_says_the_process_is_alive(api: Api):
    response = await api.http.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_with_migrations_at_head(api: Api):
    response = await api.http.get("/readyz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["migrations"]["upToDate"] is True


async def test_an_unreachable_database_makes_readyz_503_with_a_reason(db: Database, tmp_path: Path):
    url = unreachable_url(db.backend, tmp_path)

    async with app_on(url) as http:
        ready = await http.get("/readyz")
        alive = await http.get("/healthz")
        health = await http.post("/graphql", json={"query": HEALTH})

    assert ready.status_code == 503
    assert ready.json()["status"] == "down"
    assert ready.json()["reason"].startswith("unreachable")
    assert ready.json()["database"]["ok"] is False
    assert alive.status_code == 200
    body = health.json()
    assert "errors" not in body
    assert body["data"]["health"]["status"] == "DOWN"
    assert body["data"]["health"]["reason"]
    assert body["data"]["health"]["database"]["ok"] is False
    assert "secret-pw" not in ready.text + health.text


async def test_a_database_behind_its_migrations_makes_readyz_503_with_a_reason(
    unmigrated_url: str,
):
    async with app_on(unmigrated_url) as http:
        ready = await http.get("/readyz")
        health = await http.post("/graphql", json={"query": HEALTH})

    assert ready.status_code == 503
    assert ready.json()["status"] == "degraded"
    assert "concierge migrate" in ready.json()["reason"]
    assert ready.json()["migrations"] == {
        "current": None,
        "head": head_revision(),
        "upToDate": False,
    }
    assert health.json()["data"]["health"]["status"] == "DEGRADED"


async def test_a_browser_gets_graphiql_at_the_graphql_endpoint(api: Api):
    response = await api.http.get("/graphql", headers={"Accept": "text/html"})

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


async def test_a_query_string_on_get_runs_the_query(api: Api, operator):
    anonymous = await api.http.get(
        "/graphql",
        params={"query": "{ health { status } viewer { id } }"},
        headers={"Accept": "application/json"},
    )
    signed_in = await api.http.get(
        "/graphql",
        params={
            "query": "query($id: ID!) { node(id: $id) { id } }",
            "variables": f'{{"id": "{operator.gid}"}}',
        },
        headers={
            "Accept": "application/json",
            "Authorization": f"Bearer {operator.api.token}",
        },
    )

    assert anonymous.status_code == 200
    assert anonymous.json() == {"data": {"health": {"status": "OK"}, "viewer": None}}
    assert signed_in.json() == {"data": {"node": {"id": operator.gid}}}


async def test_a_mutation_over_get_is_refused_and_not_run(api: Api, db: Database):
    response = await api.http.get(
        "/graphql",
        params={
            "query": 'mutation { signUp(input: {email: "a@b.co", username: "abc", '
            'password: "correct-horse-1"}) { token } }'
        },
        headers={"Accept": "application/json"},
    )

    assert 400 <= response.status_code < 500
    async with db.uow() as uow:
        assert await uow.users.count() == 0


ALIASED_HEALTH = (
    "{ " + " ".join(f"h{n}: health {{ status database {{ ok }} }}" for n in range(30)) + " }"
)


async def test_many_aliased_health_fields_probe_the_database_once(api: Api, db: Database):
    with connections_in_use(db.engine) as use:
        body = (await api.http.post("/graphql", json={"query": ALIASED_HEALTH})).json()

    assert all(body["data"][f"h{n}"]["status"] == "OK" for n in range(30))
    assert use.checkouts == 1


async def test_concurrent_health_requests_share_one_probe(api: Api, db: Database):
    with connections_in_use(db.engine) as use:
        answers = await asyncio.gather(
            *(api.http.post("/graphql", json={"query": ALIASED_HEALTH}) for _ in range(10)),
            *(api.http.get("/readyz") for _ in range(10)),
        )

    assert all(answer.status_code == 200 for answer in answers)
    assert use.checkouts == 1
    assert use.peak == 1
