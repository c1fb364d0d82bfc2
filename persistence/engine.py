"""The async engine and session factory: one engine per process, built from
settings, with the per-backend tuning each database needs."""

from __future__ import annotations

import logging
import time
from typing import Any
from uuid import uuid4

import orjson
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from persistence.config import DatabaseSettings, DatabaseTarget
from persistence.events import EventBus, LocalEvents, PostgresEvents
from persistence.instrumentation import instrument
from persistence.replicas import Replica, ReplicaSet, WriteMarks
from persistence.repositories.usage import SQLITE_BUCKET_FUNCTION
from persistence.rules.buckets import local_bucket

logger = logging.getLogger(__name__)


def create_engine(settings: DatabaseSettings, target: DatabaseTarget | None = None) -> AsyncEngine:
    """Build the process's engine for ``target`` (default: the configured database)."""
    target = target or settings.database
    if target.dialect == "sqlite":
        engine = _sqlite_engine(settings, target)
    else:
        engine = _postgres_engine(settings, target)
    instrument(engine, settings.slow_query_ms)
    return engine


def create_event_bus(settings: DatabaseSettings, target: DatabaseTarget | None = None) -> EventBus:
    """The process's event bus: LISTEN/NOTIFY on PostgreSQL (its listener on an
    engine of its own, that holds no pool), in process on SQLite."""
    target = target or settings.database
    if target.dialect == "sqlite":
        return LocalEvents()
    listener = _postgres_engine(settings, target, listener=True)
    return PostgresEvents(listener, check_interval_s=settings.event_listener_check_s)


def create_replica_set(
    settings: DatabaseSettings, primary: AsyncEngine, marks: WriteMarks | None = None
) -> ReplicaSet | None:
    """The configured read replicas beside ``primary`` (None without any), each with an
    engine and pool of its own, writers' marks kept in ``marks`` (the process's own by
    default); raises DatabaseUrlError for a configuration that cannot work."""
    targets = settings.replicas
    if not targets:
        return None
    replicas = []
    for index, target in enumerate(targets, start=1):
        engine = create_engine(settings, target)
        replicas.append(Replica(f"replica-{index}", target, engine, create_session_factory(engine)))
        logger.info("replica-%d: %s", index, target.display)
    return ReplicaSet(
        primary,
        replicas,
        max_lag_s=settings.replica_max_lag_s,
        check_s=settings.replica_check_s,
        timeout_s=settings.health_timeout_s,
        marks=marks,
    )


def _engine_options(settings: DatabaseSettings) -> dict[str, Any]:
    # JSON columns are decoded for every row read; orjson does it several times faster.
    return {"echo": settings.db_echo, "json_deserializer": orjson.loads}


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    # Objects stay readable after commit: an async session cannot lazily refresh them.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def _sqlite_engine(settings: DatabaseSettings, target: DatabaseTarget) -> AsyncEngine:
    engine = create_async_engine(
        target.url,
        **_engine_options(settings),
        connect_args={"timeout": settings.db_busy_timeout_s, **target.connect_args},
    )
    busy_ms = int(settings.db_busy_timeout_s * 1000)

    @event.listens_for(engine.sync_engine, "connect")
    def _configure(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would defer BEGIN past our SELECTs;
        # we emit BEGIN ourselves (below) so reads and writes share one transaction.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.close()
        # Dashboards bucket timestamps in local time; PostgreSQL has this built in.
        dbapi_connection.create_function(
            SQLITE_BUCKET_FUNCTION, 3, local_bucket, deterministic=True
        )

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Any) -> None:
        # A writing unit of work asks for IMMEDIATE: it takes the write lock now,
        # waiting up to the busy timeout, instead of failing on upgrade later.
        mode = connection.get_execution_options().get("sqlite_begin", "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine


def _postgres_engine(
    settings: DatabaseSettings, target: DatabaseTarget, *, listener: bool = False
) -> AsyncEngine:
    connect_args: dict[str, Any] = {**target.connect_args}
    server_settings = {"application_name": "concierge-events" if listener else "concierge"}
    if settings.db_statement_timeout_ms:
        server_settings["statement_timeout"] = str(settings.db_statement_timeout_ms)
    if settings.db_plan_cache_mode != "auto":
        server_settings["plan_cache_mode"] = settings.db_plan_cache_mode
    connect_args["server_settings"] = server_settings
    connect_args.setdefault("timeout", settings.db_connect_timeout_s)
    if settings.db_command_timeout_s:
        connect_args.setdefault("command_timeout", settings.db_command_timeout_s)
    options: dict[str, Any] = _engine_options(settings)
    if listener:
        # One connection, held for as long as the listener runs: no pool to keep.
        options["poolclass"] = NullPool
    elif settings.db_pgbouncer:
        # PgBouncer in transaction mode may hand each statement to another server
        # connection: no prepared-statement cache, unique statement names, no pool of our own.
        connect_args["statement_cache_size"] = 0
        connect_args["prepared_statement_cache_size"] = 0
        connect_args["prepared_statement_name_func"] = lambda: f"__asyncpg_{uuid4()}__"
        options["poolclass"] = NullPool
    else:
        options.update(
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
            pool_recycle=settings.db_pool_recycle,
        )
    engine = create_async_engine(target.url, connect_args=connect_args, **options)
    if not settings.db_pgbouncer:
        _ping_when_idle(engine, settings.db_ping_idle_s)
    return engine


def _ping_when_idle(engine: AsyncEngine, idle_s: float) -> None:
    """Check a pooled connection before use when it sat unused for ``idle_s`` or more
    (a database restarted meanwhile has closed it), not on every checkout: under
    load connections come back within milliseconds and a ping would be a round trip
    per request. A connection that fails its ping is replaced (the pool retries);
    one that breaks while in use fails its request and the pool is renewed."""
    dialect = engine.dialect

    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("returned_at")
        if returned is None or time.monotonic() - returned < idle_s:
            return  # just opened, or just used
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise sa_exc.DisconnectionError("a pooled connection failed its ping") from error
