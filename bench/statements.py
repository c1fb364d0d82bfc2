"""SQL statements per request, counted in-process on the engine a server uses."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.workloads import Workload

_BOOKKEEPING = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b", re.I)

AppFactory = Callable[..., Any]


def is_bookkeeping(statement: str) -> bool:
    """Transaction and connection housekeeping, which no count of reads includes."""
    return _BOOKKEEPING.match(statement) is not None


async def count_statements(
    create_app: AppFactory, settings: Any, engine: AsyncEngine, workload: Workload, token: str
) -> int:
    """Statements of one request in steady state (after a first, warming request)."""
    app = create_app(settings, engine)
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not is_bookkeeping(statement):
            seen.append(statement)

    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        warm = await client.post("/graphql", content=workload.bodies[0], headers=headers)
        check_response(workload.name, warm)
        event.listen(engine.sync_engine, "before_cursor_execute", record)
        try:
            response = await client.post("/graphql", content=workload.bodies[-1], headers=headers)
        finally:
            event.remove(engine.sync_engine, "before_cursor_execute", record)
    check_response(workload.name, response)
    return len(seen)


def check_response(workload: str, response: httpx.Response) -> None:
    """Fail loudly when a workload's document does not work on a server."""
    body = response.json() if response.status_code == 200 else None
    if body is None or body.get("errors") or _payload_errors(body):
        raise RuntimeError(f"{workload}: HTTP {response.status_code}: {response.text[:500]}")


def _payload_errors(body: dict[str, Any]) -> bool:
    payload = (body.get("data") or {}).get("postMessages")
    return bool(payload and payload.get("errors"))
