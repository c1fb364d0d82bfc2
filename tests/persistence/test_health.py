"""The health probe: OK on a live, migrated database; DEGRADED when behind on
migrations; DOWN, without raising or leaking credentials, when unreachable or hung."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from gql.settings import Settings
from persistence.engine import create_engine
from persistence.health import HealthStatus, probe
from persistence.migrations import head_revision

PASSWORD = "Hunter2-Secret"
# Generous bound on a probe that must not hang; the probe's own timeout is far smaller.
HANG_GUARD_S = 20


async def test_a_live_migrated_database_is_ok(db):
    report = await asyncio.wait_for(probe(db.engine, timeout_s=5), HANG_GUARD_S)

    assert report.status is HealthStatus.OK
    assert report.reason is None
    assert report.database.ok
    assert report.database.error is None
    assert report.database.dialect == db.backend
    assert report.database.latency_ms is not None
    assert report.database.latency_ms >= 0
    assert report.database.version
    assert report.migrations.current == head_revision()
    assert report.migrations.head == head_revision()
    assert report.migrations.head is not None
    assert report.migrations.up_to_date
    assert report.pool is not None
    assert report.pool.size >= 1


async def test_an_unmigrated_database_is_degraded(db, fresh_engine):
    report = await asyncio.wait_for(probe(fresh_engine, timeout_s=5), HANG_GUARD_S)

    assert report.status is HealthStatus.DEGRADED
    assert report.database.ok
    assert report.database.version
    assert report.migrations.current is None
    assert report.migrations.head == head_revision()
    assert not report.migrations.up_to_date
    assert "migrat" in report.reason


def unreachable_url(backend: str, tmp_path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path}/no/such/directory/concierge.db"
    return f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/concierge"


@pytest.fixture
async def unreachable_engine(db, tmp_path):
    engine = create_engine(Settings(DATABASE_URL=unreachable_url(db.backend, tmp_path)))
    yield engine
    await engine.dispose()


async def test_an_unreachable_database_is_down_with_an_error_that_hides_the_password(
    db, unreachable_engine
):
    report = await asyncio.wait_for(probe(unreachable_engine, timeout_s=5), HANG_GUARD_S)

    assert report.status is HealthStatus.DOWN
    assert not report.database.ok
    assert report.database.latency_ms is None
    assert report.database.version is None
    assert report.database.error
    assert report.reason == report.database.error
    assert report.migrations.current is None
    assert PASSWORD not in report.database.error
    assert PASSWORD not in repr(report)


@pytest.fixture
async def silent_server() -> AsyncIterator[int]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers."""
    clients: list[asyncio.StreamWriter] = []

    async def accept_and_ignore(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        clients.append(writer)
        await reader.read()  # until the client gives up

    server = await asyncio.start_server(accept_and_ignore, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield port
    finally:
        for writer in clients:
            writer.close()
        server.close()
        await server.wait_closed()


async def test_a_database_server_that_never_answers_is_down_after_the_timeout(silent_server):
    engine = create_engine(
        Settings(DATABASE_URL=f"postgresql://postgres:{PASSWORD}@127.0.0.1:{silent_server}/x")
    )
    try:
        report = await asyncio.wait_for(probe(engine, timeout_s=0.5), HANG_GUARD_S)
    finally:
        await asyncio.wait_for(engine.dispose(), HANG_GUARD_S)

    assert report.status is HealthStatus.DOWN
    assert not report.database.ok
    assert report.database.error == "no answer within 0.5s"
    assert report.migrations.current is None
    assert PASSWORD not in repr(report)


async def test_the_engine_still_works_after_a_probe_timed_out(db):
    # A timeout far too short for any round trip: the probe gives up mid-flight.
    await probe(db.engine, timeout_s=1e-6)

    report = await asyncio.wait_for(probe(db.engine, timeout_s=5), HANG_GUARD_S)

    assert report.status is HealthStatus.OK
