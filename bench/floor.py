"""The floor: each workload's response built with the best hand-written SQL
(one statement per read) through raw asyncpg, serialised with orjson, timed
in-process at the same concurrency as the HTTP runs. No HTTP, no GraphQL, no
token check: what remains is the database round trip and the JSON."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import orjson
from strawberry import relay

from bench.workloads import Targets, global_id

INBOX_SQL = """
SELECT c.id, c.title, c.last_message_at, p.name, cu.username, counted.n, last.content,
       last.created_at
FROM conversations c
LEFT JOIN personas p ON p.id = c.persona_id
LEFT JOIN customers cu ON cu.id = c.customer_id
CROSS JOIN LATERAL (SELECT count(*) AS n FROM messages m WHERE m.conversation_id = c.id) counted
LEFT JOIN LATERAL (
    SELECT content, created_at FROM messages m WHERE m.conversation_id = c.id
    ORDER BY created_at DESC, id DESC LIMIT 1) last ON true
WHERE c.owner_id = $1
ORDER BY coalesce(c.last_message_at, c.created_at) DESC, c.id DESC
LIMIT 50"""

DEEP_SQL = """
SELECT p.id, p.name, c.id, c.title, m.id, m.role, m.content, m.created_at
FROM (SELECT id, name FROM personas WHERE owner_id = $1 ORDER BY name, id LIMIT 10) p
LEFT JOIN LATERAL (
    SELECT id, title, coalesce(last_message_at, created_at) AS active
    FROM conversations WHERE persona_id = p.id AND owner_id = $1
    ORDER BY active DESC, id DESC LIMIT 10) c ON true
LEFT JOIN LATERAL (
    SELECT id, role, content, created_at FROM messages WHERE conversation_id = c.id
    ORDER BY created_at DESC, id DESC LIMIT 20) m ON true
ORDER BY p.name, p.id, c.active DESC, c.id DESC, m.created_at DESC, m.id DESC"""

BY_ID_SQL = """
SELECT c.id, c.title, p.name, cu.username
FROM conversations c
LEFT JOIN personas p ON p.id = c.persona_id
LEFT JOIN customers cu ON cu.id = c.customer_id
WHERE c.id = $1 AND c.owner_id = $2"""

TOUCH_SQL = """
UPDATE conversations SET last_message_at = $2, updated_at = $2
WHERE id = $1 AND owner_id = $3 RETURNING id"""

APPEND_SQL = """
INSERT INTO messages (id, created_at, updated_at, conversation_id, role, content, extra_data)
VALUES ($1, $3, $3, $5, 'user', $6, '{}'), ($2, $4, $4, $5, 'assistant', $7, '{}')"""

Handler = Callable[[asyncpg.Connection, int], Awaitable[bytes]]


def _response(data: dict[str, Any]) -> bytes:
    return orjson.dumps({"data": data})


class Floor:
    """Hand-written handlers for each workload; ``statements`` counts what they ran."""

    def __init__(self, targets: Targets) -> None:
        self.targets = targets
        self.statements = 0

    def handler(self, workload: str) -> Handler:
        return {
            "inbox": self.inbox,
            "deep": self.deep,
            "by-id": self.by_id,
            "write": self.write,
        }[workload]

    async def _fetch(self, connection: asyncpg.Connection, sql: str, *args: Any) -> list[Any]:
        self.statements += 1
        rows: list[Any] = await connection.fetch(sql, *args)
        return rows

    async def inbox(self, connection: asyncpg.Connection, _n: int) -> bytes:
        rows = await self._fetch(connection, INBOX_SQL, self.targets.operator_id)
        edges = [
            {
                "node": {
                    "id": global_id("Conversation", id_),
                    "title": title,
                    "lastMessageAt": last_at,
                    "persona": {"name": persona} if persona is not None else None,
                    "customer": {"username": username},
                    "messageCount": count,
                    "lastMessage": {"content": content, "createdAt": created}
                    if content is not None
                    else None,
                }
            }
            for id_, title, last_at, persona, username, count, content, created in rows
        ]
        return _response({"conversations": {"edges": edges}})

    async def deep(self, connection: asyncpg.Connection, _n: int) -> bytes:
        rows = await self._fetch(connection, DEEP_SQL, self.targets.operator_id)
        personas: dict[UUID, dict[str, Any]] = {}
        conversations: dict[UUID, list[Any]] = {}
        for persona_id, name, conversation_id, title, message_id, role, content, at in rows:
            persona = personas.get(persona_id)
            if persona is None:
                persona = personas[persona_id] = {
                    "id": global_id("Persona", persona_id),
                    "name": name,
                    "conversations": {"edges": []},
                }
            if conversation_id is None:
                continue
            messages = conversations.get(conversation_id)
            if messages is None:
                messages = conversations[conversation_id] = []
                persona["conversations"]["edges"].append(
                    {
                        "node": {
                            "id": global_id("Conversation", conversation_id),
                            "title": title,
                            "messages": {"edges": messages},
                        }
                    }
                )
            if message_id is not None:
                messages.append(
                    {
                        "node": {
                            "id": global_id("Message", message_id),
                            "role": role.upper(),
                            "content": content,
                            "createdAt": at,
                        }
                    }
                )
        edges = [{"node": persona} for persona in personas.values()]
        return _response({"personas": {"edges": edges}})

    async def by_id(self, connection: asyncpg.Connection, n: int) -> bytes:
        ids = self.targets.conversation_ids
        wanted = global_id("Conversation", ids[n % len(ids)])
        # Decode the global id as a server must.
        _type, raw_id = relay.from_base64(wanted)
        rows = await self._fetch(connection, BY_ID_SQL, UUID(raw_id), self.targets.operator_id)
        node = None
        if rows:
            id_, title, persona, username = rows[0]
            node = {
                "id": global_id("Conversation", id_),
                "title": title,
                "persona": {"name": persona},
                "customer": {"username": username},
            }
        return _response({"node": node})

    async def write(self, connection: asyncpg.Connection, n: int) -> bytes:
        ids = self.targets.conversation_ids
        conversation_id = ids[n % len(ids)]
        first = datetime.now(UTC)
        second = first + timedelta(microseconds=1)
        new_ids = [uuid.uuid4(), uuid.uuid4()]
        async with connection.transaction():
            self.statements += 2
            touched = await connection.fetchval(
                TOUCH_SQL, conversation_id, second, self.targets.operator_id
            )
            if touched is None:
                raise LookupError("conversation not found")
            await connection.execute(
                APPEND_SQL,
                *new_ids,
                first,
                second,
                conversation_id,
                "Is Friday at 10:00 still free?",
                "Yes, Friday at 10:00 is free. Shall I book it?",
            )
        messages = [{"id": global_id("Message", id_)} for id_ in new_ids]
        return _response({"postMessages": {"messages": messages, "errors": []}})


@dataclass(frozen=True)
class FloorRun:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int
    statements_per_request: float


async def run_floor(
    dsn: str, targets: Targets, workload: str, *, connections: int, seconds: float
) -> FloorRun:
    """Drive one workload's handler with ``connections`` concurrent callers."""
    floor = Floor(targets)
    handler = floor.handler(workload)
    pool = await asyncpg.create_pool(dsn, min_size=connections, max_size=connections)
    latencies: list[float] = []
    errors = 0
    counter = 0
    try:
        async with pool.acquire() as connection:  # warm the statement cache
            await handler(connection, 0)
        floor.statements = 0
        deadline = time.perf_counter() + seconds

        async def caller() -> None:
            nonlocal errors, counter
            while time.perf_counter() < deadline:
                counter += 1
                started = time.perf_counter()
                try:
                    async with pool.acquire() as connection:
                        await handler(connection, counter)
                except (asyncpg.PostgresError, LookupError):
                    errors += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(connections)))
        elapsed = time.perf_counter() - started
    finally:
        await pool.close()
    quantiles = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return FloorRun(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=quantiles[49] * 1000,
        p99_ms=quantiles[98] * 1000,
        errors=errors,
        statements_per_request=floor.statements / max(len(latencies), 1),
    )
