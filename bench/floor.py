"""The floor: each workload's response built with the best hand-written SQL
(one statement per read) through raw asyncpg, serialised with orjson or built
as JSON by PostgreSQL, whichever measured cheaper, timed in-process at the same
concurrency as the HTTP runs. No HTTP, no GraphQL, no token check: what remains
is the database round trip and the JSON."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg
import orjson
from strawberry import relay

from bench.usage import Meter, Usage
from bench.workloads import Targets, global_id

# The page first, through ix_conversations_owner_id_activity (owner, activity,
# id): only its 50 rows then look up their persona, customer and last message
# (the count is the conversation's own column). Rows are assembled in Python:
# building this small answer as JSON in PostgreSQL cost more than it saved
# (PostgreSQL is the busier side under load).
INBOX_SQL = """
SELECT c.id, c.title, c.last_message_at, p.name, cu.id, cu.username, c.message_count,
       last.content, last.created_at
FROM (
    SELECT id, title, last_message_at, persona_id, customer_id, message_count,
           coalesce(last_message_at, created_at) AS active
    FROM conversations WHERE owner_id = $1
    ORDER BY coalesce(last_message_at, created_at) DESC, id DESC
    LIMIT 50) c
LEFT JOIN personas p ON p.id = c.persona_id
LEFT JOIN customers cu ON cu.id = c.customer_id
LEFT JOIN LATERAL (
    SELECT m.content, m.created_at FROM messages m WHERE m.conversation_id = c.id
    ORDER BY m.created_at DESC, m.id DESC LIMIT 1) last ON true
ORDER BY c.active DESC, c.id DESC"""


def _sql_global_id(type_name: str, column: str) -> str:
    """SQL for the Relay global id of ``column``: base64 of "Type:uuid" (short
    enough that PostgreSQL's base64 never breaks the line)."""
    return f"encode(convert_to('{type_name}:' || {column}, 'UTF8'), 'base64')"


# The whole answer's edges as one JSON value built by PostgreSQL: 2,000 message
# rows decoded and assembled in Python took 2.7x as long under load.
DEEP_SQL = f"""
SELECT coalesce(json_agg(json_build_object('node', json_build_object(
    'id', {_sql_global_id("Persona", "p.id")},
    'name', p.name,
    'conversations', json_build_object('edges', conversations.edges)
  )) ORDER BY p.name, p.id), '[]')
FROM (SELECT id, name FROM personas WHERE owner_id = $1 ORDER BY name, id LIMIT 10) p
CROSS JOIN LATERAL (
  SELECT coalesce(json_agg(json_build_object('node', json_build_object(
      'id', {_sql_global_id("Conversation", "c.id")},
      'title', c.title,
      'messages', json_build_object('edges', messages.edges)
    )) ORDER BY c.active DESC, c.id DESC), '[]') AS edges
  FROM (
    SELECT id, title, coalesce(last_message_at, created_at) AS active
    FROM conversations WHERE persona_id = p.id AND owner_id = $1
    ORDER BY active DESC, id DESC LIMIT 10) c
  CROSS JOIN LATERAL (
    SELECT coalesce(json_agg(json_build_object('node', json_build_object(
        'id', {_sql_global_id("Message", "m.id")},
        'role', upper(m.role),
        'content', m.content,
        'createdAt', m.created_at
      )) ORDER BY m.created_at DESC, m.id DESC), '[]') AS edges
    FROM (
      SELECT id, role, content, created_at FROM messages WHERE conversation_id = c.id
      ORDER BY created_at DESC, id DESC LIMIT 20) m
  ) messages
) conversations"""

BY_ID_SQL = """
SELECT c.id, c.title, p.name, cu.username
FROM conversations c
LEFT JOIN personas p ON p.id = c.persona_id
LEFT JOIN customers cu ON cu.id = c.customer_id
WHERE c.id = $1 AND c.owner_id = $2"""

# The two messages APPEND_SQL writes are counted as Concierge counts them.
TOUCH_SQL = """
UPDATE conversations
SET last_message_at = $2, updated_at = $2, message_count = message_count + 2
WHERE id = $1 AND owner_id = $3 RETURNING id"""

APPEND_SQL = """
INSERT INTO messages (id, created_at, updated_at, conversation_id, role, content, extra_data)
VALUES ($1, $3, $3, $5, 'user', $6, '{}'), ($2, $4, $4, $5, 'assistant', $7, '{}')"""

Handler = Callable[[asyncpg.Connection, int], Awaitable[bytes]]
# The workloads the floor answers (Apollo's variants read the same rows as these).
FLOOR_WORKLOADS = ("inbox", "deep", "by-id", "write")


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
                    "customer": {"username": username} if customer_id is not None else None,
                    "messageCount": count,
                    "lastMessage": {"content": content, "createdAt": at}
                    if content is not None
                    else None,
                }
            }
            for id_, title, last_at, persona, customer_id, username, count, content, at in rows
        ]
        return _response({"conversations": {"edges": edges}})

    async def deep(self, connection: asyncpg.Connection, _n: int) -> bytes:
        self.statements += 1
        edges = await connection.fetchval(DEEP_SQL, self.targets.operator_id)
        return _response({"personas": {"edges": orjson.Fragment(edges)}})

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
    usage: Usage = field(default_factory=Usage)


async def run_floor(
    dsn: str,
    targets: Targets,
    workload: str,
    *,
    connections: int,
    seconds: float,
    meter: Meter | None = None,
) -> FloorRun:
    """Drive one workload's handler with ``connections`` concurrent callers; ``meter``
    reads the run's CPU while the pool's backends are still connected."""
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

        if meter is not None:
            meter.start()
        started = time.perf_counter()
        await asyncio.gather(*(caller() for _ in range(connections)))
        elapsed = time.perf_counter() - started
        usage = meter.stop(len(latencies)) if meter is not None else Usage()
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
        usage=usage,
    )
