"""Before anything is timed, every server must answer a workload with the same rows;
otherwise the benchmark would compare different work.

Answers are brought to one canonical form and then compared exactly:

- a connection (``edges { node }`` or ``nodes``) becomes the list of its rows,
  in order, and a selection of nothing but ``totalCount`` becomes the number;
- keys are named by meaning: PostGraphile's ``rowId`` is ``id``, its relation
  fields (``personaByOwnerIdAndPersonaId``) are the relation (``persona``), its
  root lists (``allConversations``) the list (``conversations``);
- ids are compared as row UUIDs (Concierge's are Relay global ids, base64 of
  "Type:uuid"); fields ending in ``At`` as instants, whatever the offset or
  the digits of the fraction; enums (``role``) case-insensitively;
- ``lastMessage`` is one message or none, whether it came as an object or as
  a page of at most one;
- ``__typename`` is left out: servers name their types differently.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import orjson
from strawberry import relay

from bench.floor import FLOOR_WORKLOADS, Floor
from bench.processes import Served
from bench.statements import check_response
from bench.workloads import Targets, Workload

MEANING = {
    "rowId": "id",
    "allConversations": "conversations",
    "allPersonas": "personas",
    "personaByOwnerIdAndPersonaId": "persona",
    "customerByOwnerIdAndCustomerId": "customer",
    "conversationsByOwnerIdAndPersonaId": "conversations",
    "messagesByConversationId": "messages",
}
_ONE = frozenset({"lastMessage"})
_ENUMS = frozenset({"role"})


class NotEquivalent(AssertionError):
    """Two servers answered one workload with different rows."""


def row_id(value: str) -> UUID:
    """The row UUID behind a plain UUID or a Relay global id."""
    try:
        return UUID(value)
    except ValueError:
        return UUID(relay.from_base64(value)[1])


def _scalar(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key == "id":
        return row_id(value)
    if key.endswith("At"):
        return datetime.fromisoformat(value)
    if key in _ENUMS:
        return str(value).lower()
    return value


def canonical(value: Any, key: str = "") -> Any:
    """``value`` (found under ``key``) in the canonical form described above."""
    if isinstance(value, list):
        return [canonical(item) for item in value]
    if not isinstance(value, dict):
        return _scalar(key, value)
    fields = {k: v for k, v in value.items() if k != "__typename"}
    if "edges" in fields:
        return [canonical(edge["node"]) for edge in fields["edges"]]
    if "nodes" in fields:
        return [canonical(node) for node in fields["nodes"]]
    if fields.keys() == {"totalCount"}:
        return fields["totalCount"]
    result = {}
    for name, item in fields.items():
        meaning = MEANING.get(name, name)
        found = canonical(item, meaning)
        if meaning in _ONE and isinstance(found, list):
            found = found[0] if found else None
        result[meaning] = found
    return result


def rows(body: dict[str, Any]) -> list[Any]:
    """The rows of a response: its one root field as a list (a single node is a
    list of one, a missing node an empty one)."""
    data = body.get("data") or {}
    if len(data) != 1:
        raise NotEquivalent(f"expected one root field, got {sorted(data)}")
    found = canonical(next(iter(data.values())))
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def difference(ours: Any, theirs: Any, path: str = "") -> str | None:
    """Where two canonical answers first differ, or None if they are equal."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        if ours.keys() != theirs.keys():
            return f"{path or '.'}: keys {sorted(ours)} != {sorted(theirs)}"
        for key in ours:
            found = difference(ours[key], theirs[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(ours, list) and isinstance(theirs, list):
        if len(ours) != len(theirs):
            return f"{path or '.'}: {len(ours)} rows != {len(theirs)} rows"
        for index, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            found = difference(a, b, f"{path}[{index}]")
            if found:
                return found
        return None
    return None if ours == theirs else f"{path or '.'}: {ours!r} != {theirs!r}"


def check_same_rows(workload: str, answers: dict[str, dict[str, Any]]) -> int:
    """Raise NotEquivalent unless every server's answer (by server name) has the
    same rows as the first one's; returns how many rows were compared."""
    (reference, expected), *others = ((name, rows(body)) for name, body in answers.items())
    if not expected:
        raise NotEquivalent(f"{workload}: {reference} answered no rows")
    for name, found in others:
        where = difference(expected, found)
        if where is not None:
            raise NotEquivalent(f"{workload}: {reference} and {name} differ at {where}")
    return len(expected)


async def _ask(
    client: httpx.AsyncClient, server: Served, workload: str, body: bytes
) -> dict[str, Any]:
    response = await client.post(server.url, content=body)
    check_response(workload, response)
    answer: dict[str, Any] = response.json()
    return answer


async def check_equivalence(
    servers: dict[str, Served],
    jobs: dict[str, list[Workload]],
    token: str,
    dsn: str,
    targets: Targets,
) -> None:
    """Every read workload PostGraphile runs, request by request (by-id rotates over
    its conversations), asked of every server that runs it and of the floor; the
    first server named is the reference. Raises NotEquivalent at the first difference."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    floor = Floor(targets)
    connection = await asyncpg.connect(dsn)
    try:
        async with httpx.AsyncClient(timeout=60, headers=headers) as client:
            for workload in jobs["postgraphile"]:
                peers = {
                    name: job for name in servers for job in jobs[name] if job.name == workload.name
                }
                for n in range(len(workload.bodies)):
                    answers = {
                        name: await _ask(client, servers[name], workload.name, job.bodies[n])
                        for name, job in peers.items()
                    }
                    if workload.name in FLOOR_WORKLOADS:
                        answer = await floor.handler(workload.name)(connection, n)
                        answers["floor"] = orjson.loads(answer)
                    check_same_rows(f"{workload.name} (request {n + 1})", answers)
    finally:
        await connection.close()
