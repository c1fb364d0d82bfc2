"""Where a deep request spends its time: pyinstrument over in-process requests,
summarised by package and by function (self time)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import httpx
from pyinstrument import Profiler

from bench.workloads import Workload

# Which package a frame's file belongs to, first match wins.
_PACKAGES = (
    ("graphql/", "graphql-core (execution, validation)"),
    ("strawberry/", "strawberry"),
    ("sqlalchemy/", "SQLAlchemy"),
    ("asyncpg/", "asyncpg"),
    ("aiodataloader", "aiodataloader"),
    ("starlette/", "starlette"),
    ("httpx/", "httpx (in-process client)"),
    ("/gql/", "Concierge gql/"),
    ("/persistence/", "Concierge persistence/"),
    ("asyncio/", "asyncio"),
    ("json/", "json"),
)


@dataclass(frozen=True)
class ProfileSummary:
    requests: int
    seconds: float
    by_package: list[tuple[str, float]]
    by_function: list[tuple[str, float]]
    text: str


def _package(path: str | None) -> str:
    for marker, name in _PACKAGES:
        if path and marker in path:
            return name
    return "other"


async def profile_requests(
    app: Any, workload: Workload, token: str, *, requests: int = 30
) -> ProfileSummary:
    """Profile ``requests`` sequential requests of ``workload`` through the ASGI app."""
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await client.post("/graphql", content=workload.bodies[0], headers=headers)
        profiler = Profiler(interval=0.0005, async_mode="enabled")
        profiler.start()
        for _ in range(requests):
            await client.post("/graphql", content=workload.bodies[0], headers=headers)
        session = profiler.stop()
    root = session.root_frame()
    packages: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    stack = [root] if root else []
    while stack:
        frame = stack.pop()
        stack.extend(frame.children)
        if not frame.total_self_time:
            continue
        if frame.function == "[await]":
            packages["waiting (database, event loop)"] += frame.total_self_time
            continue
        # "[self]" and other synthetic frames stand for time in their parent.
        owner = frame.parent if frame.is_synthetic and frame.parent else frame
        packages[_package(owner.file_path)] += frame.total_self_time
        where = f"{owner.function} ({_short(owner.file_path)}:{owner.line_no})"
        functions[where] += frame.total_self_time
    total = sum(packages.values()) or 1.0
    return ProfileSummary(
        requests=requests,
        seconds=session.duration,
        by_package=[(name, 100 * time / total) for name, time in packages.most_common()],
        by_function=[(name, 100 * time / total) for name, time in functions.most_common(12)],
        text=profiler.output_text(unicode=True, color=False, show_all=False),
    )


def _short(path: str | None) -> str:
    if not path:
        return "?"
    for marker in ("site-packages/", "/gql/", "/persistence/", "/bench/"):
        if marker in path:
            head = marker.strip("/") + "/" if marker != "site-packages/" else ""
            return head + path.split(marker, 1)[1]
    return path.rsplit("/", 1)[-1]
