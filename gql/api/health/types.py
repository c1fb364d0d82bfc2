from __future__ import annotations

import enum
from typing import Self

import strawberry

from persistence.health import HealthReport
from persistence.replicas import ReplicaState


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


@strawberry.type(
    description="A read replica: whether queries may read from it, and how far behind it is."
)
class ReplicaHealth:
    name: str = strawberry.field(description="`replica-1`, … in `DATABASE_REPLICA_URL`'s order.")
    ok: bool = strawberry.field(description="Whether queries read from it now.")
    lag_seconds: float | None = strawberry.field(
        description="How long ago the primary wrote what it has not replayed yet (0: current)."
    )
    reason: str | None = strawberry.field(description="Why it is skipped, when it is.")

    @classmethod
    def from_state(cls, state: ReplicaState) -> Self:
        return cls(name=state.name, ok=state.ok, lag_seconds=state.lag_s, reason=state.reason)


@strawberry.type(description="Whether Concierge can serve, and why not.")
class Health:
    status: HealthStatus
    reason: str | None
    database: DatabaseHealth
    migrations: MigrationHealth
    pool: PoolUsage | None
    version: str
    uptime_seconds: float
    replicas: list[ReplicaHealth] = strawberry.field(
        description="The read replicas (none configured: empty); they do not decide `status`."
    )

    @classmethod
    def from_report(
        cls,
        report: HealthReport,
        version: str,
        uptime_seconds: float,
        replicas: list[ReplicaState] | None = None,
    ) -> Self:
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
            replicas=[ReplicaHealth.from_state(state) for state in replicas or ()],
        )
