"""Alembic environment: the service's own settings and URL normalisation, async
drivers, batch mode on SQLite. Callers may hand over a connection or a URL in
``config.attributes`` (tests and the ``concierge migrate`` command do)."""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any

from sqlalchemy import event, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from alembic import context
from persistence.config import DatabaseSettings, DatabaseTarget, normalise_database_url
from persistence.models import Base, for_dialect

config = context.config
if config.config_file_name and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name)
target_metadata = Base.metadata


def _target() -> DatabaseTarget:
    url = config.attributes.get("database_url")
    return normalise_database_url(url) if url else DatabaseSettings().database


def run_migrations_offline() -> None:
    target = _target()
    context.configure(
        url=target.url.render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=target.dialect == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=True,
        include_object=for_dialect(connection.dialect.name),
    )
    with context.begin_transaction():
        context.run_migrations()
    if connection.dialect.name == "sqlite":
        # Foreign keys are off while SQLite tables are rebuilt; prove none broke.
        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration left {len(broken)} broken foreign key(s)")


async def run_async_migrations() -> None:
    target = _target()
    engine = create_async_engine(
        target.url, connect_args=target.connect_args, poolclass=pool.NullPool
    )
    if target.dialect == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _no_cascades_while_rebuilding(dbapi_connection: Any, _record: Any) -> None:
            # Batch mode drops and recreates tables; with foreign keys on, dropping
            # a parent table would cascade-delete its children's rows.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _transactional_ddl(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN")

    try:
        async with engine.connect() as connection:
            await connection.run_sync(do_run_migrations)
            await connection.commit()
    finally:
        await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
    else:
        asyncio.run(run_async_migrations())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
