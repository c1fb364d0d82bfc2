"""Statement counting reaches into SQLAlchemy's greenlets, per caller, on both backends;
slow statements are logged without their parameters."""

from __future__ import annotations

import asyncio
import logging

import pytest
from sqlalchemy import text

from persistence.instrumentation import current_query_stats, instrument, track_queries
from tests.factories import make_persona, make_user

SLOW_LOGGER = "concierge.sql.slow"


async def test_statements_run_inside_the_tracked_block_are_counted(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        await make_persona(uow, owner)
        await uow.commit()

    with db.statements() as log, track_queries() as stats:
        async with db.uow() as uow:
            await uow.personas.counts_by_owner([owner.id, owner.id])
            await uow.users.find_active(owner.id)

    assert stats.statements == log.count == 2
    assert stats.seconds > 0


async def test_concurrent_callers_each_count_only_their_own_statements(db):
    async def caller(queries: int) -> int:
        with track_queries() as stats:
            async with db.uow() as uow:
                for _ in range(queries):
                    await uow.users.find_active(_unknown_id())
                    await asyncio.sleep(0)
        return stats.statements

    counts = await asyncio.gather(caller(1), caller(3), caller(5))

    assert counts == [1, 3, 5]


async def test_tasks_started_inside_the_block_count_towards_it(db):
    async def lookup() -> None:
        async with db.uow() as uow:
            await uow.users.find_active(_unknown_id())

    with track_queries() as stats:
        await asyncio.gather(asyncio.create_task(lookup()), asyncio.create_task(lookup()))

    assert stats.statements == 2


async def test_nothing_is_counted_outside_a_tracked_block(db):
    async with db.uow() as uow:
        await uow.users.find_active(_unknown_id())

    assert current_query_stats() is None


async def test_a_failing_statement_still_counts(db):
    with track_queries() as stats, pytest.raises(Exception, match="no_such_table"):
        async with db.engine.connect() as connection:
            await connection.execute(text("SELECT * FROM no_such_table"))

    assert stats.statements == 1


@pytest.fixture
def slow_threshold(db, settings):
    """Set the engine's slow-query threshold for one test."""

    def set_threshold(ms: float) -> None:
        instrument(db.engine, ms)

    yield set_threshold
    instrument(db.engine, settings.slow_query_ms)


async def test_statements_over_the_threshold_are_logged_without_parameters(
    db, slow_threshold, caplog
):
    slow_threshold(0.000_001)
    caplog.set_level(logging.WARNING, logger=SLOW_LOGGER)

    async with db.engine.connect() as connection:
        await connection.execute(text("SELECT :secret AS value"), {"secret": "s3cr3t-value"})

    # SQLite's BEGIN may wait for the lock, so it is timed (and logged) too.
    records = [r for r in caplog.records if r.name == SLOW_LOGGER and "SELECT" in r.statement]
    assert len(records) == 1
    assert records[0].statement == "SELECT ? AS value" or "$1" in records[0].statement
    assert records[0].duration_ms > 0
    assert "s3cr3t-value" not in records[0].getMessage()


async def test_fast_statements_are_not_logged(db, slow_threshold, caplog):
    slow_threshold(60_000)
    caplog.set_level(logging.WARNING, logger=SLOW_LOGGER)

    async with db.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))

    assert [r for r in caplog.records if r.name == SLOW_LOGGER] == []


async def test_a_statement_slower_than_the_default_threshold_is_logged(db, caplog):
    caplog.set_level(logging.WARNING, logger=SLOW_LOGGER)
    # SQLite has no sleep; a recursive count long enough to pass 500 ms stands in for it.
    slow = (
        "SELECT pg_sleep(0.6)"
        if db.backend == "postgresql"
        else "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000000)"
        " SELECT count(*) FROM n"
    )

    async with db.engine.connect() as connection:
        await connection.execute(text(slow))

    records = [r for r in caplog.records if r.name == SLOW_LOGGER]
    assert len(records) == 1
    assert records[0].duration_ms >= 500


def _unknown_id():
    from uuid6 import uuid7

    return uuid7()
