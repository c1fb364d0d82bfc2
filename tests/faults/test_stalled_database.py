"""A database that stalls or goes away, reached through a TCP proxy the test
controls: every wait is bounded, clients get a clean DATABASE_UNAVAILABLE (503,
with the request id, no driver or OS text), readiness turns 503 and health
DOWN, and service resumes by itself when the database does."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.engine import make_url

from gql.auth.tokens import issue_token
from gql.server.app import create_app
from gql.settings import Settings
from persistence import migrations
from persistence.models import Role, User, new_id
from tests.conftest import (
    POSTGRES_ADMIN_URL,
    Database,
    _create_postgres_database,
    _drop_postgres_database,
)
from tests.faults.proxy import StallableProxy
from tests.server.leaks import LEAKS

# What this test configures, and so what a client waits at most.
TIMEOUTS = {
    "DB_CONNECT_TIMEOUT_S": 1,
    "DB_POOL_TIMEOUT": 1,
    "DB_COMMAND_TIMEOUT_S": 1,
    "HEALTH_TIMEOUT_S": 0.5,
    "REQUEST_TIMEOUT_S": 4,
}
ANSWER_WITHIN_S = 6  # REQUEST_TIMEOUT_S and some slack for a busy machine
VIEWER = "{ viewer { username personas { totalCount } } }"
SIGN_UP = """mutation { signUp(input: {email: "new@example.com", username: "newcomer",
  password: "correct-horse-1"}) { token errors { message } } }"""
CREATE = """mutation { createPersona(input: {name: "P", systemPrompt: "x"}) {
  persona { id } errors { message } } }"""


@dataclass
class Outage:
    proxy: StallableProxy
    http: httpx.AsyncClient
    token: str

    async def post(self, query: str, *, token: bool = True, accept: str | None = None):
        headers = {"Authorization": f"Bearer {self.token}"} if token else {}
        if accept:
            headers["Accept"] = accept
        started = time.monotonic()
        response = await asyncio.wait_for(
            self.http.post("/graphql", json={"query": query}, headers=headers), 30
        )
        return response, time.monotonic() - started


@pytest.fixture
async def outage(request: pytest.FixtureRequest) -> AsyncIterator[Outage]:
    """The app over a PostgreSQL database reached only through the proxy (with the
    settings of an indirect parameter over :data:`TIMEOUTS`)."""
    name, url = await _create_postgres_database()
    await migrations.upgrade(url)
    target = make_url(POSTGRES_ADMIN_URL)
    proxy = await StallableProxy(target.host or "127.0.0.1", target.port or 5432).start()
    proxied = make_url(url).set(host="127.0.0.1", port=proxy.port)
    settings = Settings(
        DATABASE_URL=proxied.render_as_string(hide_password=False),
        CONCIERGE_ENV="test",
        HEALTH_CACHE_SECONDS=0,
        DB_POOL_SIZE=2,
        DB_MAX_OVERFLOW=0,
        **({"VIEWER_CACHE_SECONDS": 0} | TIMEOUTS | getattr(request, "param", {})),
    )
    app = create_app(settings)
    engine = app.state.services.engine
    try:
        db = Database(engine, app.state.services.session_factory, url)
        async with db.uow(writes=True) as uow:
            user = await uow.users.add(
                User(email="ada@example.com", username="ada", hashed_password="x", role=Role.MEMBER)
            )
            await uow.commit()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Outage(proxy, http, issue_token(user, settings))
    finally:
        await proxy.close()
        await engine.dispose()
        await _drop_postgres_database(name)


def assert_unavailable(response: httpx.Response, took: float) -> None:
    assert took < ANSWER_WITHIN_S, took
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"]
    assert not LEAKS.search(response.text), response.text
    assert "Errno" not in response.text and "unknown error" not in response.text
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "DATABASE_UNAVAILABLE", error
    assert error["extensions"]["retryable"] is True
    assert error["extensions"]["requestId"] == response.headers["X-Request-ID"]


async def serves_again(outage: Outage) -> None:
    """Service comes back by itself: within a few seconds every kind of request works."""
    deadline = time.monotonic() + 15
    while True:
        viewer, _ = await outage.post(VIEWER)
        ready = await outage.http.get("/readyz")
        if viewer.status_code == 200 and ready.status_code == 200:
            break
        assert time.monotonic() < deadline, (viewer.text, ready.text)
        await asyncio.sleep(0.2)
    assert viewer.json()["data"]["viewer"]["username"] == "ada"
    created, _ = await outage.post(CREATE)
    assert created.json()["data"]["createPersona"]["errors"] == []


# Queries run prepared (gql/api/core/prepared.py) or through Strawberry's extensions.
@pytest.mark.parametrize(
    "outage", [{}, {"PREPARED_QUERIES": False}], indirect=True, ids=["prepared", "strawberry"]
)
@pytest.mark.parametrize("fault", ["stall", "cut"])
async def test_every_request_answers_cleanly_and_in_time_then_service_resumes(outage, fault):
    assert (await outage.post(VIEWER))[0].status_code == 200  # connections in the pool
    if fault == "stall":
        outage.proxy.stall()
    else:
        await outage.proxy.cut()

    for query, signed_in in ((VIEWER, True), (CREATE, True), (SIGN_UP, False), (VIEWER, True)):
        assert_unavailable(*await outage.post(query, token=signed_in))
    response, took = await outage.post(VIEWER, accept="application/graphql-response+json")
    assert_unavailable(response, took)
    started = time.monotonic()
    ready = await outage.http.get("/readyz")
    health, _ = await outage.post("{ health { status database { ok error } } }", token=False)

    assert time.monotonic() - started < ANSWER_WITHIN_S
    assert ready.status_code == 503 and ready.json()["status"] == "down"
    assert health.json()["data"]["health"]["status"] == "DOWN"

    outage.proxy.resume()
    await serves_again(outage)


@pytest.mark.parametrize("outage", [{"VIEWER_CACHE_SECONDS": 60}], indirect=True)
@pytest.mark.parametrize("fault", ["stall", "cut"])
async def test_a_compiled_read_that_the_database_stops_answering_is_unavailable(outage, fault):
    """The viewer cached, the read itself meets the fault: its statement runs on
    asyncpg directly (persistence/driver.py), and fails as cleanly as any other."""
    read = "{ personas(first: 5) { totalCount edges { node { name } } } }"
    warm, _ = await outage.post(read)
    assert warm.status_code == 200, warm.text
    assert 'read;desc="compiled"' in warm.headers["server-timing"]
    if fault == "stall":
        outage.proxy.stall()
    else:
        await outage.proxy.cut()

    assert_unavailable(*await outage.post(read))

    outage.proxy.resume()
    await serves_again(outage)


@pytest.mark.parametrize(
    "outage", [{"DB_COMMAND_TIMEOUT_S": 0, "REQUEST_TIMEOUT_S": 1.5}], indirect=True
)
async def test_without_statement_timeouts_the_request_timeout_still_answers(outage):
    assert (await outage.post(VIEWER))[0].status_code == 200
    outage.proxy.stall()

    response, took = await outage.post(VIEWER)

    assert took < ANSWER_WITHIN_S
    assert response.status_code == 503
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "REQUEST_TIMEOUT"
    assert error["extensions"]["requestId"] == response.headers["X-Request-ID"]
    outage.proxy.resume()


@pytest.fixture
async def sqlite_gone(tmp_path) -> AsyncIterator[Outage]:
    """An app whose SQLite file cannot be opened (its folder is missing)."""
    settings = Settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'gone' / 'concierge.db'}",
        CONCIERGE_ENV="test",
    )
    app = create_app(settings)
    user = User(email="a@example.com", username="ada", hashed_password="x", role=Role.MEMBER)
    user.id = new_id()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Outage(None, http, issue_token(user, settings))  # type: ignore[arg-type]
    await app.state.services.engine.dispose()


async def test_an_sqlite_file_that_cannot_be_opened_is_unavailable_to_everyone(sqlite_gone):
    for query, signed_in in ((VIEWER, True), (CREATE, True), (SIGN_UP, False)):
        assert_unavailable(*await sqlite_gone.post(query, token=signed_in))
    ready = await sqlite_gone.http.get("/readyz")

    assert ready.status_code == 503


async def test_a_busy_sqlite_writer_is_a_retryable_database_busy(tmp_path):
    path = tmp_path / "busy.db"
    settings = Settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{path}", CONCIERGE_ENV="test", DB_BUSY_TIMEOUT_S=0.2
    )
    await migrations.upgrade(settings.database_url.get_secret_value())
    app = create_app(settings)
    user = User(email="a@example.com", username="ada", hashed_password="x", role=Role.MEMBER)
    async with app.state.services.session_factory() as session:
        session.add(user)
        await session.commit()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, for longer than we wait
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            busy = Outage(None, http, issue_token(user, settings))  # type: ignore[arg-type]
            response, _ = await busy.post(CREATE)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        await app.state.services.engine.dispose()

    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "DATABASE_BUSY"
    assert error["extensions"]["retryable"] is True
    assert "locked" not in response.text
