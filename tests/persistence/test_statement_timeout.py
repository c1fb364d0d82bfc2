"""PostgreSQL cancels any statement that runs past DB_STATEMENT_TIMEOUT_MS, and the
unit of work reports it as a domain error, not a driver one."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from gql.settings import Settings
from persistence.engine import create_engine, create_session_factory
from persistence.errors import PersistenceError
from persistence.scope import Scope
from persistence.unit_of_work import UnitOfWork
from tests.conftest import POSTGRES_ADMIN_URL


async def test_a_statement_over_the_timeout_is_cancelled_on_postgresql():
    settings = Settings(DATABASE_URL=POSTGRES_ADMIN_URL, DB_STATEMENT_TIMEOUT_MS=200)
    engine = create_engine(settings)
    try:
        async with UnitOfWork(create_session_factory(engine), Scope.admin()) as uow:
            with pytest.raises(PersistenceError) as raised:
                await uow.users._gate.scalar(text("SELECT pg_sleep(5)"))
    finally:
        await engine.dispose()

    assert "pg_sleep" not in str(raised.value)
    assert "asyncpg" not in str(raised.value)
