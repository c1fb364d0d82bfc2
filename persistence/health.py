"""The database health probe: reachability, latency, version, migrations, pool.

Bounded by a timeout, so a hung database reports DOWN instead of hanging the
caller; never reports credentials or driver messages."""

from __future__ import annotations

import asyncio
import enum
import time
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from persistence.migrations import head_revision, revision_on


class HealthStatus(enum.StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(frozen=True)
class DatabaseHealth:
    ok: bool
    dialect: str
    latency_ms: float | None = None
    version: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class MigrationState:
    current: str | None
    head: str | None

    @property
    def up_to_date(self) -> bool:
        return self.current is not None and self.current == self.head


@dataclass(frozen=True)
class PoolUsage:
    size: int
    checked_out: int
    overflow: int


@dataclass(frozen=True)
class HealthReport:
    status: HealthStatus
    database: DatabaseHealth
    migrations: MigrationState
    pool: PoolUsage | None

    @property
    def reason(self) -> str | None:
        if self.status is HealthStatus.DOWN:
            return self.database.error
        if self.status is HealthStatus.DEGRADED:
            return "database schema is not at the newest migration; run `concierge migrate`"
        return None


_VERSION_QUERY = {
    "sqlite": "SELECT sqlite_version()",
    "postgresql": "SHOW server_version",
}


async def probe(engine: AsyncEngine, timeout_s: float) -> HealthReport:
    """Check the database within ``timeout_s`` seconds; never raises for a database fault."""
    dialect = engine.dialect.name
    head = head_revision()
    try:
        database, current = await asyncio.wait_for(round_trip(engine), timeout_s)
    except TimeoutError:
        database, current = (
            DatabaseHealth(False, dialect, error=f"no answer within {timeout_s:g}s"),
            None,
        )
    except (
        Exception
    ) as exc:  # any driver or network failure means "down"; the cause is named, not quoted
        database = DatabaseHealth(False, dialect, error=f"unreachable ({type(exc).__name__})")
        current = None
    migrations = MigrationState(current=current, head=head)
    if not database.ok:
        status = HealthStatus.DOWN
    elif not migrations.up_to_date:
        status = HealthStatus.DEGRADED
    else:
        status = HealthStatus.OK
    return HealthReport(status, database, migrations, pool_usage(engine))


async def round_trip(engine: AsyncEngine) -> tuple[DatabaseHealth, str | None]:
    """On one connection: read the server's version and the migration revision;
    raises on failure."""
    dialect = engine.dialect.name
    started = time.perf_counter()
    async with engine.connect() as connection:
        version = await connection.scalar(text(_VERSION_QUERY.get(dialect, "SELECT 1")))
        latency_ms = (time.perf_counter() - started) * 1000
        current = await revision_on(connection)
    return DatabaseHealth(True, dialect, round(latency_ms, 2), str(version)), current


class HealthMonitor:
    """The process's view of its database's health: one probe at a time, its report
    kept for ``ttl_s`` seconds.

    Health is asked by load balancers, dashboards and GraphQL documents that may
    alias the field many times; each probe checks a connection out of the pool.
    Concurrent askers share the probe in flight, and later ones within ``ttl_s``
    its report, so however often it is asked a process probes at most once per
    ``ttl_s`` (``0``: once per concurrent burst).
    """

    def __init__(self, engine: AsyncEngine, timeout_s: float, ttl_s: float) -> None:
        self.engine = engine
        self.timeout_s = timeout_s
        self.ttl_s = ttl_s
        self._report: HealthReport | None = None
        self._fresh_until = 0.0
        self._probing: asyncio.Future[HealthReport] | None = None

    async def report(self) -> HealthReport:
        if self._report is not None and time.monotonic() < self._fresh_until:
            return self._report
        if self._probing is None:
            self._probing = asyncio.ensure_future(self._probe())
        # shield: one asker giving up (its request cancelled) must not cancel the others'
        return await asyncio.shield(self._probing)

    async def _probe(self) -> HealthReport:
        try:
            report = await probe(self.engine, self.timeout_s)
            self._report, self._fresh_until = report, time.monotonic() + self.ttl_s
            return report
        finally:
            self._probing = None


def pool_usage(engine: AsyncEngine) -> PoolUsage | None:
    """The connection pool's size and use; ``None`` for pools without a size (PgBouncer)."""
    pool = engine.sync_engine.pool
    if not isinstance(pool, QueuePool):
        return None
    return PoolUsage(
        size=pool.size(), checked_out=pool.checkedout(), overflow=max(pool.overflow(), 0)
    )
