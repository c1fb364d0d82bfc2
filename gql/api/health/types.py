from __future__ import annotations

import enum
from typing import Self

import strawberry

from persistence.health import HealthReport


@strawberry.enum(
    description="OK: all good. DEGRADED: serving, but needs attention. DOWN: no database."
)
class HealthStatus(enum.Enum):
    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"


@strawberry.type
class DatabaseHealth:
    ok: bool
    dialect: str
    latency_ms: float | None
    version: str | None
    error: str | None


@strawberry.type
class MigrationHealth:
    current: str | None
    head: str | None
    up_to_date: bool


@strawberry.type(description="Connections of the database pool.")
class PoolUsage:
    size: int
    checked_out: int
    overflow: int


@strawberry.type(description="Whether Concierge can serve, and why not.")
class Health:
    status: HealthStatus
    reason: str | None
    database: DatabaseHealth
    migrations: MigrationHealth
    pool: PoolUsage | None
    version: str
    uptime_seconds: float

    @classmethod
    def from_report(cls, report: HealthReport, version: str, uptime_seconds: float) -> Self:
        db, migrations, pool = report.database, report.migrations, report.pool
        return cls(
            status=HealthStatus(report.status.value),
            reason=report.reason,
            database=DatabaseHealth(
                ok=db.ok,
                dialect=db.dialect,
                latency_ms=db.latency_ms,
                version=db.version,
                error=db.error,
            ),
            migrations=MigrationHealth(
                current=migrations.current, head=migrations.head, up_to_date=migrations.up_to_date
            ),
            pool=PoolUsage(size=pool.size, checked_out=pool.checked_out, overflow=pool.overflow)
            if pool
            else None,
            version=version,
            uptime_seconds=round(uptime_seconds, 3),
        )
