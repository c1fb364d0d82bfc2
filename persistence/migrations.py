"""Running Alembic from code: upgrade, downgrade, and the current vs head revision."""

from __future__ import annotations

import asyncio
from functools import lru_cache
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from alembic import command

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def alembic_config(database_url: str | None = None) -> Config:
    """The project's Alembic configuration, optionally aimed at another database."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    # The caller's logging stays as it is; plain `alembic` configures its own.
    config.attributes["configure_logging"] = False
    if database_url is not None:
        config.attributes["database_url"] = database_url
    return config


async def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    """Migrate the database up to ``revision``; runs in a worker thread because
    Alembic's environment drives its own event loop."""
    await asyncio.to_thread(command.upgrade, alembic_config(database_url), revision)


async def downgrade(database_url: str | None = None, revision: str = "base") -> None:
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), revision)


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The newest revision the code knows about."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at (``None`` for an unmigrated database)."""
    async with engine.connect() as connection:
        return await revision_on(connection)


async def revision_on(connection: AsyncConnection) -> str | None:
    """The revision the database is at, read on an open connection."""

    def read(sync_connection: Connection) -> str | None:
        return MigrationContext.configure(sync_connection).get_current_revision()

    return await connection.run_sync(read)
