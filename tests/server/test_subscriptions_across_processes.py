"""Two real `concierge serve` processes on one PostgreSQL database: a mutation
answered by one reaches a subscriber of the other within a second, with the
Python client (httpx-ws) and with the npm `graphql-ws` client run by Node."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from persistence import migrations
from tests.conftest import _create_postgres_database, _drop_postgres_database
from tests.live import free_port, serving
from tests.ws import connect

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = ROOT / "tests" / "clients"
INBOX = "subscription { inboxChanged { change conversation { title lastMessage { content } } } }"
SIGN_UP = """mutation($u: String!) {
  signUp(input: {email: "%s", username: $u, password: "correct-horse-1"}) { token }
}"""


@pytest.fixture(scope="module")
async def postgres_url() -> AsyncIterator[str]:
    name, url = await _create_postgres_database()
    try:
        await migrations.upgrade(url)
        yield url
    finally:
        await _drop_postgres_database(name)


@pytest.fixture(scope="module")
def servers(postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Two `concierge serve` processes on the database; their base URLs."""
    concierge = str(Path(sys.executable).parent / "concierge")
    env = {
        **os.environ,
        "DATABASE_URL": postgres_url,
        "CONCIERGE_ENV": "test",
        "SECRET_KEY": "two-processes-test-key-two-processes",
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "8",
        "ARGON2_PARALLELISM": "1",
    }
    logs = tmp_path_factory.mktemp("two-servers")
    with ExitStack() as stack:
        urls = []
        for name in ("a", "b"):
            port = free_port()
            command = [concierge, "serve", "--host", "127.0.0.1", "--port", str(port)]
            urls.append(
                stack.enter_context(serving(command, env, port, logs / f"{name}.log", ROOT))
            )
        yield urls


async def operator(http: httpx.AsyncClient, base: str, username: str) -> tuple[str, str]:
    """A signed-up operator's token and a conversation of theirs, through ``base``."""
    answer = await http.post(
        f"{base}/graphql",
        json={"query": SIGN_UP % f"{username}@example.com", "variables": {"u": username}},
    )
    token = answer.json()["data"]["signUp"]["token"]
    answer = await http.post(
        f"{base}/graphql",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "query": 'mutation { startConversation(input: {title: "Lead"}) '
            "{ conversation { id } } }"
        },
    )
    return token, answer.json()["data"]["startConversation"]["conversation"]["id"]


async def post(http: httpx.AsyncClient, base: str, token: str, conversation: str, text: str):
    answer = await http.post(
        f"{base}/graphql",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "query": "mutation($id: ID!, $c: String!) { postMessages(input: "
            "{conversationId: $id, messages: [{role: USER, content: $c}]}) { errors { code } } }",
            "variables": {"id": conversation, "c": text},
        },
    )
    assert answer.json()["data"]["postMessages"]["errors"] == [], answer.text


async def test_a_mutation_on_one_process_reaches_a_subscriber_of_the_other(servers):
    a, b = servers
    async with httpx.AsyncClient(timeout=10) as http:
        token, conversation = await operator(http, a, "across-py")
        ws_url = b.replace("http://", "ws://") + "/graphql"
        async with connect(http, ws_url) as socket:
            assert await socket.init(token) == {"type": "connection_ack"}
            await socket.subscribe("inbox", INBOX)
            # Until the subscription is live on B, posts on A may go unseen: warm up.
            async with asyncio.timeout(10):
                while True:
                    await post(http, a, token, conversation, "warm-up")
                    try:
                        await socket.receive(timeout=0.5)
                        break
                    except TimeoutError:
                        continue
            while True:  # drain what the warm-up left in flight
                try:
                    await socket.receive(timeout=0.3)
                except TimeoutError:
                    break

            started = time.monotonic()
            await post(http, a, token, conversation, "across processes")
            event = await socket.receive(timeout=1.0)
            elapsed = time.monotonic() - started

    change = event["payload"]["data"]["inboxChanged"]
    assert change["conversation"]["lastMessage"] == {"content": "across processes"}
    assert elapsed < 1.0


def node() -> str:
    found = shutil.which("node")
    assert found, "Node is needed for the graphql-ws client test (`make test` checks npm)"
    assert (CLIENTS / "node_modules" / "graphql-ws").exists(), (
        "the npm clients are not installed: run `make clients`"
    )
    return found


async def test_the_graphql_ws_client_receives_events_and_close_codes(servers):
    a, b = servers
    ws_url = b.replace("http://", "ws://") + "/graphql"
    async with httpx.AsyncClient(timeout=10) as http:
        token, conversation = await operator(http, a, "across-node")
        client = await asyncio.create_subprocess_exec(
            node(),
            "subscribe.mjs",
            ws_url,
            token,
            INBOX,
            "1",
            cwd=CLIENTS,
            stdout=asyncio.subprocess.PIPE,
        )
        assert client.stdout is not None
        lines = []
        try:
            assert json.loads(await asyncio.wait_for(client.stdout.readline(), 10)) == {
                "connected": True
            }
            async with asyncio.timeout(15):
                while True:
                    await post(http, a, token, conversation, "to node")
                    try:
                        line = await asyncio.wait_for(client.stdout.readline(), 0.5)
                    except TimeoutError:
                        continue
                    lines.append(json.loads(line))
                    break
            await asyncio.wait_for(client.wait(), 10)
        finally:
            if client.returncode is None:
                client.kill()
    change = lines[0]["next"]["data"]["inboxChanged"]
    assert change["conversation"]["lastMessage"] == {"content": "to node"}

    # A bad token: the client sees the protocol's close code.
    refused = subprocess.run(  # noqa: ASYNC221 (the servers run in their own processes)
        [node(), "subscribe.mjs", ws_url, "not-a-token", INBOX, "1"],
        cwd=CLIENTS,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    closes = [json.loads(line) for line in refused.stdout.splitlines() if "closed" in line]
    assert closes[0]["closed"] == 4401, refused.stdout
