"""Writing demo rows in bulk: Core ``insert()`` executemany in large batches, and
PostgreSQL's COPY (through asyncpg) for the big tables."""

from __future__ import annotations

import enum
import itertools
import json
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import JSON, Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from persistence.demo.dataset import SIZES, DemoDataset, DemoSize, Row
from persistence.models import Base

Progress = Callable[[str, int], None]

BATCH_SIZE = 5_000
COPY_BATCH_SIZE = 50_000
# COPY skips per-row statement overhead; worth it where the rows are many.
COPY_TABLES = {"conversations", "messages"}


class DemoDataExists(RuntimeError):
    """The database already holds rows; seeding would mix demo data into them."""


@dataclass
class SeedSummary:
    """What a seed wrote: rows per table, and the login it prepared."""

    size: str
    seed: int
    counts: dict[str, int] = field(default_factory=dict)
    username: str = "demo"


async def seed_demo(
    engine: AsyncEngine,
    *,
    hashed_password: str,
    size: DemoSize | str = "small",
    seed: int = 1,
    reset: bool = False,
    progress: Progress | None = None,
) -> SeedSummary:
    """Fill a migrated, empty database with the demo dataset of ``size``.

    Every operator's password is ``hashed_password``; the first operator is
    ``demo``. Raises :class:`DemoDataExists` when the database has users,
    unless ``reset`` deletes every row first. All rows go in one transaction.
    """
    size = SIZES[size] if isinstance(size, str) else size
    dataset = DemoDataset(size, seed, hashed_password)
    summary = SeedSummary(size=size.name, seed=seed)
    tables = Base.metadata.tables
    async with engine.begin() as connection:
        if reset:
            await _delete_everything(connection)
        elif await connection.scalar(select(func.count()).select_from(tables["users"])):
            raise DemoDataExists("the database already has users")
        can_copy = connection.dialect.name == "postgresql"
        for name in DemoDataset.TABLES:
            writer = _copy if can_copy and name in COPY_TABLES else _insert
            written = 0
            async for count in writer(connection, tables[name], dataset.rows(name)):
                written += count
                if progress is not None:
                    progress(name, count)
            summary.counts[name] = written
        if can_copy:
            # Fresh statistics, or the planner scans 400k messages for a 50-row inbox.
            await connection.execute(text("ANALYZE"))
    return summary


async def _delete_everything(connection: AsyncConnection) -> None:
    tables = Base.metadata.sorted_tables
    if connection.dialect.name == "postgresql":
        names = ", ".join(table.name for table in tables)
        await connection.execute(text(f"TRUNCATE {names} CASCADE"))
        return
    for table in reversed(tables):
        await connection.execute(table.delete())


async def _insert(
    connection: AsyncConnection, table: Table, rows: Iterable[Row]
) -> AsyncIterator[int]:
    for batch in _batches(rows, BATCH_SIZE):
        await connection.execute(insert(table), batch)
        yield len(batch)


async def _copy(
    connection: AsyncConnection, table: Table, rows: Iterable[Row]
) -> AsyncIterator[int]:
    """COPY through the driver's own connection, in the same transaction."""
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    columns = [column.name for column in table.columns]
    convert = [_copy_value(column.type) for column in table.columns]
    for batch in _batches(rows, COPY_BATCH_SIZE):
        records = [
            tuple(to_db(row.get(name)) for name, to_db in zip(columns, convert, strict=True))
            for row in batch
        ]
        await driver.copy_records_to_table(table.name, records=records, columns=columns)
        yield len(batch)


def _copy_value(column_type: Any) -> Callable[[Any], Any]:
    """What COPY needs for a column: JSON as text, enum members as their plain value."""
    if isinstance(column_type, JSON):
        return lambda value: None if value is None else json.dumps(value)
    return lambda value: value.value if isinstance(value, enum.Enum) else value


def _batches(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    iterator = iter(rows)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
