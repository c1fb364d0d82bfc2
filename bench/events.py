"""Live events delivered per second by one `concierge serve` process.

``SUBSCRIBERS`` WebSocket clients (the ``websockets`` package, which uvicorn's
standard extra brings) subscribe to ``messageAdded`` on one conversation; the
publisher posts ``BATCHES`` calls of ``BATCH`` messages over HTTP, one after
the other; the figure is deliveries (events times subscribers) per second, from
the first post to the last delivery. Each delivery is a full per-event
execution: a fresh unit of work and loaders reading the message and its
conversation under the subscriber's scope.

Not part of ``python -m bench`` (it needs a quiet machine of its own):

    .venv/bin/python -m bench.events --database-url postgresql://postgres@127.0.0.1/concierge_events
    .venv/bin/python -m bench.events --subscribers 10 --batches 2   # a quick check

The database is created (PostgreSQL) or a temporary SQLite file is used, and
migrated; the server runs with a queue large enough for the burst.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import httpx
import websockets

from bench.processes import answers_get, free_port, running
from persistence import migrations

ROOT = Path(__file__).resolve().parents[1]
QUERY = """subscription($id: ID!) {
  messageAdded(conversationId: $id) { message { id content conversation { title } } }
}"""
POST = """mutation($id: ID!, $messages: [MessageInput!]!) {
  postMessages(input: {conversationId: $id, messages: $messages}) { errors { code } }
}"""


async def subscriber(url: str, token: str, conversation: str, ready: asyncio.Event) -> int:
    """Count the events one subscriber receives until the ``stop`` message."""
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": QUERY, "variables": {"id": conversation}},
                }
            )
        )
        ready.set()
        received = 0
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
                continue
            if message["type"] != "next" or "errors" in message["payload"]:
                raise RuntimeError(f"subscription failed: {message}")
            received += 1
            if message["payload"]["data"]["messageAdded"]["message"]["content"] == "stop":
                return received


async def measure(base: str, subscribers: int, batches: int, batch: int) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        signed = await http.post(
            "/graphql",
            json={
                "query": (
                    'mutation { signUp(input: {email: "bench@example.com", username: "bench", '
                    'password: "correct-horse-1"}) { token } }'
                )
            },
        )
        token = signed.json()["data"]["signUp"]["token"]
        headers = {"Authorization": f"Bearer {token}"}
        started = await http.post(
            "/graphql",
            headers=headers,
            json={
                "query": (
                    'mutation { startConversation(input: {title: "Bench"}) '
                    "{ conversation { id } } }"
                )
            },
        )
        conversation = started.json()["data"]["startConversation"]["conversation"]["id"]

        ws_url = base.replace("http://", "ws://") + "/graphql"
        readies = [asyncio.Event() for _ in range(subscribers)]
        tasks = [
            asyncio.create_task(subscriber(ws_url, token, conversation, ready)) for ready in readies
        ]
        await asyncio.gather(*(ready.wait() for ready in readies))
        await asyncio.sleep(1.0)  # every subscribe has reached the bus

        began = time.perf_counter()
        for index in range(batches):
            last = index == batches - 1
            messages = [{"role": "USER", "content": f"m{index}-{i}"} for i in range(batch)]
            if last:
                messages[-1]["content"] = "stop"
            answer = await http.post(
                "/graphql",
                headers=headers,
                json={"query": POST, "variables": {"id": conversation, "messages": messages}},
            )
            assert answer.json()["data"]["postMessages"]["errors"] == [], answer.text
        counts = await asyncio.wait_for(asyncio.gather(*tasks), 300)
        elapsed = time.perf_counter() - began
    events = batches * batch
    assert all(count == events for count in counts), counts
    deliveries = events * subscribers
    return {
        "subscribers": subscribers,
        "events": events,
        "deliveries": deliveries,
        "seconds": round(elapsed, 3),
        "deliveries_per_second": round(deliveries / elapsed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url", help="a PostgreSQL URL (default: a temporary SQLite file)"
    )
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--batch", type=int, default=10, help="messages per postMessages")
    options = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        url = options.database_url or f"sqlite+aiosqlite:///{scratch}/events.db"
        asyncio.run(migrations.upgrade(url))
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "CONCIERGE_ENV": "test",
            "SUBSCRIPTION_QUEUE_SIZE": str(options.batches * options.batch + 10),
            "MAX_SUBSCRIPTIONS_PER_CONNECTION": "5",
            "LOG_LEVEL": "WARNING",
            "ARGON2_TIME_COST": "1",
            "ARGON2_MEMORY_KIB": "8",
            "ARGON2_PARALLELISM": "1",
        }
        command = [str(Path(sys.executable).parent / "concierge"), "serve", "--port", str(port)]
        with running(
            "concierge",
            command,
            url=base,
            ready=answers_get(f"{base}/healthz"),
            env=env,
            cwd=ROOT,
            quiet=True,
        ):
            result = asyncio.run(measure(base, options.subscribers, options.batches, options.batch))
    result["backend"] = "postgresql" if options.database_url else "sqlite"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
