"""Read replicas, against a streaming replica the suite starts itself: queries
read from it, mutations and their payloads from the primary, a viewer's own
writes are visible to them at once, a replica that lags beyond the limit or
cannot be reached is skipped and taken back once well, and health shows each."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gql.api.core.context import Services
from gql.server.app import create_app
from gql.settings import Settings
from persistence.config import DatabaseUrlError
from tests.faults.proxy import StallableProxy

PERSONAS = "{ personas(first: 10) { edges { node { name } } } }"
SIGN_UP = "mutation($input: SignUpInput!) { signUp(input: $input) { token errors { message } } }"
CREATE = """mutation($input: CreatePersonaInput!) {
  createPersona(input: $input) { persona { id name } errors { message } } }"""
RENAME = """mutation($input: UpdatePersonaInput!) {
  updatePersona(input: $input) { persona { name } errors { message } } }"""
REDIS_URL = "redis://127.0.0.1:6379/0"
HEALTH = "{ health { status replicas { name ok lagSeconds reason } } }"


@dataclass
class Instance:
    """One Concierge process (an app in this one) over the pair."""

    client: httpx.AsyncClient
    services: Services

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, token: str = ""
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.client.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return Answer(body["data"], response.headers["server-timing"])

    async def sign_up(self) -> str:
        name = f"r{uuid.uuid4().hex[:10]}"
        user = {"email": f"{name}@example.com", "username": name, "password": "correct-horse-1"}
        answer = await self.post(SIGN_UP, {"input": user})
        return str(answer.data["signUp"]["token"])

    async def create_persona(self, token: str, name: str) -> str:
        answer = await self.post(CREATE, {"input": {"name": name, "systemPrompt": "Hi"}}, token)
        assert answer.data["createPersona"]["errors"] == []
        return str(answer.data["createPersona"]["persona"]["id"])

    async def personas(self, token: str) -> Answer:
        return await self.post(PERSONAS, token=token)

    async def replicas(self) -> list[dict[str, Any]]:
        return list((await self.post(HEALTH)).data["health"]["replicas"])


@dataclass
class Answer:
    data: Any
    server_timing: str

    @property
    def names(self) -> list[str]:
        return [edge["node"]["name"] for edge in self.data["personas"]["edges"]]

    @property
    def read_from(self) -> str:
        """The replica named in Server-Timing, or ``primary``."""
        for entry in self.server_timing.split(","):
            name, _, description = entry.strip().partition(";desc=")
            if name == "replica":
                return description.strip('"')
        return "primary"


@contextlib.asynccontextmanager
async def instance(pair: Any, tmp_path: Any, replica_url: str | None = None, **overrides: Any):
    values: dict[str, Any] = {
        "DATABASE_URL": pair.primary.url("concierge"),
        "DATABASE_REPLICA_URL": replica_url or pair.replica.url("concierge"),
        "FILES_DIR": tmp_path / "files",
        "CONCIERGE_ENV": "test",
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_KIB": 8,
        "ARGON2_PARALLELISM": 1,
        "REPLICA_CHECK_S": 0.1,
        "REPLICA_MAX_LAG_S": 60,
        "HEALTH_TIMEOUT_S": 0.5,
        "HEALTH_CACHE_SECONDS": 0,
    }
    settings = Settings(**{**values, **overrides})
    app = create_app(settings)
    services: Services = app.state.services
    assert services.replicas is not None
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await services.replicas.ready()
            yield Instance(client, services)
    finally:
        await services.replicas.close()
        await services.events.close()
        await services.engine.dispose()


async def until(condition: Callable[[], Any], timeout_s: float = 15.0) -> Any:
    """Poll the async ``condition`` until it returns something true; its last value."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = await condition()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.05)


@contextlib.contextmanager
def replay_paused(pair: Any):
    pair.pause_replay()
    try:
        yield
    finally:
        pair.resume_replay()


async def test_queries_read_from_the_replica_and_mutations_from_the_primary(
    streaming_pair, tmp_path
):
    async with instance(streaming_pair, tmp_path) as one:
        ada = await one.sign_up()
        created = await one.post(CREATE, {"input": {"name": "Before", "systemPrompt": "Hi"}}, ada)
        assert created.read_from == "primary"  # the mutation and its payload's reads
        replicated = await until(lambda: _on_replica_with(one, ada, ["Before"]), timeout_s=15)
        assert replicated, "the replica never served the persona it replayed"

        with replay_paused(streaming_pair):
            # A change the replica has received but not applied, made behind Concierge's back.
            streaming_pair.primary.sql(
                "UPDATE personas SET name = 'After' WHERE name = 'Before'", "concierge"
            )
            stale = await one.personas(ada)
            assert (stale.read_from, stale.names) == ("replica-1", ["Before"])
        fresh = await until(lambda: _on_replica_with(one, ada, ["After"]))
        assert fresh, "the replica did not catch up once replaying again"


async def _on_replica_with(one: Instance, token: str, names: list[str]) -> bool:
    answer = await one.personas(token)
    return answer.read_from == "replica-1" and answer.names == names


async def test_a_viewer_reads_their_own_writes_at_once(streaming_pair, tmp_path):
    async with instance(streaming_pair, tmp_path) as one:
        ada, bob = await one.sign_up(), await one.sign_up()
        persona = await one.create_persona(ada, "Mia")
        await one.create_persona(bob, "Bob's")
        # Both writes replayed (each writer reads the replica again) before it pauses.
        assert await until(lambda: _on_replica_with(one, ada, ["Mia"]))
        assert await until(lambda: _on_replica_with(one, bob, ["Bob's"]))

        with replay_paused(streaming_pair):
            renamed = await one.post(RENAME, {"input": {"id": persona, "name": "Mina"}}, ada)
            assert renamed.data["updatePersona"]["persona"]["name"] == "Mina"
            own = await one.personas(ada)
            assert (own.read_from, own.names) == ("primary", ["Mina"])
            # Someone else's reads still go to the replica.
            other = await one.personas(bob)
            assert (other.read_from, other.names) == ("replica-1", ["Bob's"])
        # Once the replica has the write, the writer reads from it again.
        assert await until(lambda: _on_replica_with(one, ada, ["Mina"]))


async def test_with_redis_every_instance_knows_a_viewers_own_writes(streaming_pair, tmp_path):
    prefix = f"concierge-test-{uuid.uuid4().hex[:8]}:"
    shared = {"REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": prefix}
    async with (
        instance(streaming_pair, tmp_path, **shared) as one,
        instance(streaming_pair, tmp_path, **shared) as two,
    ):
        ada = await one.sign_up()
        persona = await one.create_persona(ada, "Mia")
        assert await until(lambda: _on_replica_with(two, ada, ["Mia"]))

        with replay_paused(streaming_pair):
            await one.post(RENAME, {"input": {"id": persona, "name": "Mina"}}, ada)
            elsewhere = await two.personas(ada)  # another instance, the next moment
            assert (elsewhere.read_from, elsewhere.names) == ("primary", ["Mina"])
        assert await until(lambda: _on_replica_with(two, ada, ["Mina"]))


async def test_a_viewer_whose_mark_cannot_be_read_reads_from_the_primary(streaming_pair, tmp_path):
    async with instance(streaming_pair, tmp_path) as one:
        ada = await one.sign_up()
        await one.create_persona(ada, "Mia")
    # Redis that does not answer: nobody can tell what a viewer wrote last.
    async with instance(streaming_pair, tmp_path, REDIS_URL="redis://127.0.0.1:1/0") as blind:
        answer = await blind.personas(ada)
        assert (answer.read_from, answer.names) == ("primary", ["Mia"])
        anonymous = await blind.post("{ __typename health { status } }")
        assert anonymous.data["health"]["status"] == "OK"


async def test_a_replica_lagging_beyond_the_limit_is_skipped(streaming_pair, tmp_path):
    async with instance(streaming_pair, tmp_path, REPLICA_MAX_LAG_S=0.5) as one:
        ada = await one.sign_up()
        await one.create_persona(ada, "Early")
        assert await until(lambda: _on_replica_with(one, ada, ["Early"]))

        with replay_paused(streaming_pair):
            streaming_pair.primary.sql(
                "UPDATE personas SET name = 'Late' WHERE name = 'Early'", "concierge"
            )

            async def lagging() -> list[dict[str, Any]] | None:
                replicas = await one.replicas()
                return replicas if not replicas[0]["ok"] else None

            replicas = await until(lagging)
            assert replicas, "the replica was never found lagging"
            (state,) = replicas
            assert state["name"] == "replica-1"
            assert state["lagSeconds"] > 0.5
            assert "behind the primary" in state["reason"]
            answer = await one.personas(ada)
            assert (answer.read_from, answer.names) == ("primary", ["Late"])
        assert await until(lambda: _on_replica_with(one, ada, ["Late"]))
        (state,) = await one.replicas()
        assert state["ok"] and state["reason"] is None


@pytest.mark.parametrize("fault", ["cut", "stall"])
async def test_a_replica_that_goes_away_is_skipped_until_it_is_back(
    streaming_pair, tmp_path, fault
):
    proxy = await StallableProxy("127.0.0.1", streaming_pair.replica.port).start()
    url = f"postgresql://postgres@127.0.0.1:{proxy.port}/concierge"
    try:
        # A stalled statement fails after a second, and the query is answered again
        # from the primary.
        async with instance(
            streaming_pair, tmp_path, replica_url=url, DB_COMMAND_TIMEOUT_S=1
        ) as one:
            ada = await one.sign_up()
            await one.create_persona(ada, "Steady")
            assert await until(lambda: _on_replica_with(one, ada, ["Steady"]))

            if fault == "cut":
                await proxy.cut()
            else:
                proxy.stall()
            started = time.monotonic()
            answer = await one.personas(ada)  # chosen before any check saw the fault, maybe
            assert (answer.read_from, answer.names) == ("primary", ["Steady"])
            assert time.monotonic() - started < 5
            (state,) = await one.replicas()
            assert not state["ok"]

            async def checked() -> str | None:
                (state,) = await one.replicas()
                reason = state["reason"] or ""
                return reason if reason == "no answer in time" or "unreachable" in reason else None

            assert await until(checked), "no check found the replica unusable"
            answer = await one.personas(ada)
            assert (answer.read_from, answer.names) == ("primary", ["Steady"])
            ready = await one.client.get("/readyz")
            assert ready.status_code == 200  # the primary serves: still ready
            assert ready.json()["replicas"][0]["ok"] is False

            proxy.resume()
            assert await until(lambda: _on_replica_with(one, ada, ["Steady"]))
    finally:
        await proxy.close()


async def test_mutations_read_their_payloads_from_the_primary(streaming_pair, tmp_path):
    async with instance(streaming_pair, tmp_path) as one:
        ada = await one.sign_up()
        with replay_paused(streaming_pair):
            # Created and read back in its payload while the replica applies nothing.
            persona = await one.create_persona(ada, "Fresh")
            renamed = await one.post(RENAME, {"input": {"id": persona, "name": "Fresher"}}, ada)
            assert renamed.data["updatePersona"]["persona"]["name"] == "Fresher"
            assert renamed.read_from == "primary"


def test_replicas_need_a_postgresql_primary_and_postgresql_replicas(tmp_path):
    sqlite = Settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/c.db",
        DATABASE_REPLICA_URL="postgresql://postgres@127.0.0.1:5432/concierge",
    )
    with pytest.raises(DatabaseUrlError, match="need PostgreSQL as the primary"):
        create_app(sqlite)
    mixed = Settings(
        DATABASE_URL="postgresql://postgres@127.0.0.1:5432/concierge",
        DATABASE_REPLICA_URL=f"postgresql://a@h1/c, sqlite+aiosqlite:///{tmp_path}/c.db",
    )
    with pytest.raises(DatabaseUrlError, match="must name PostgreSQL databases"):
        _ = mixed.replicas


def test_several_replicas_in_order_with_their_passwords_kept_out_of_sight():
    settings = Settings(
        DATABASE_URL="postgresql://postgres@127.0.0.1:5432/concierge",
        DATABASE_REPLICA_URL="postgres://u:secret@r1:5432/c?sslmode=require, postgresql://u@r2/c",
    )
    first, second = settings.replicas
    assert first.url.host == "r1" and first.connect_args == {"ssl": "require"}
    assert second.url.host == "r2"
    assert "secret" not in first.display
    assert ":secret@" not in repr(settings)


async def test_a_process_without_replicas_reports_none(tmp_path):
    settings = Settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/c.db", CONCIERGE_ENV="test")
    app = create_app(settings)
    assert app.state.services.replicas is None
    await app.state.services.engine.dispose()
