"""Driver errors become domain errors by what they are, not by how they are worded:
PostgreSQL's SQLSTATE and constraint names hold whatever language the server
speaks, and a database that is busy is said to be busy, on both backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from persistence import migrations
from persistence.engine import create_engine, create_session_factory
from persistence.errors import Busy, Conflict, IntegrityViolation, Overlap
from persistence.models import Channel, Customer, Persona, new_id
from tests.conftest import Database, _create_postgres_database, _drop_postgres_database
from tests.factories import make_appointment, make_customer, make_persona, make_user

GERMAN = "de_DE.UTF-8"
MONDAY_10 = datetime(2030, 6, 3, 10, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
async def german_postgres() -> AsyncIterator[Database]:
    """A migrated PostgreSQL database whose server writes every message in German."""
    name, url = await _create_postgres_database()
    try:
        await migrations.upgrade(url)
        engine = create_engine(Settings(DATABASE_URL=url, CONCIERGE_ENV="test"))
        async with engine.connect() as connection:
            try:
                await connection.execute(
                    text(f"ALTER DATABASE \"{name}\" SET lc_messages = '{GERMAN}'")
                )
            except Exception as exc:
                pytest.fail(
                    f"PostgreSQL cannot speak German ({exc}); `make test` runs "
                    ".ci/ensure-postgres, which generates the locale and restarts the server"
                )
            await connection.commit()
        await engine.dispose()  # new connections pick the setting up
        engine = create_engine(Settings(DATABASE_URL=url, CONCIERGE_ENV="test"))
        yield Database(engine, create_session_factory(engine), url)
        await engine.dispose()
    finally:
        await _drop_postgres_database(name)


async def test_the_server_really_answers_in_german(german_postgres):
    async with german_postgres.engine.connect() as connection:
        with pytest.raises(Exception, match="Division durch Null"):
            await connection.execute(text("SELECT 1 / 0"))


async def test_unique_violations_in_german_are_conflicts_on_their_fields(german_postgres):
    async with german_postgres.uow(writes=True) as uow:
        owner = await make_user(uow)
        await make_persona(uow, owner, name="Ada")
        await make_customer(uow, owner, channel=Channel.WEB, external_id="w-1")
        await uow.commit()

    async with german_postgres.uow(writes=True) as uow:
        with pytest.raises(Conflict) as persona:
            await uow.personas.add(Persona(owner_id=owner.id, name="Ada", system_prompt="x"))
    async with german_postgres.uow(writes=True) as uow:
        with pytest.raises(Conflict) as customer:
            await uow.customers.add(
                Customer(owner_id=owner.id, channel=Channel.WEB, external_id="w-1")
            )

    assert (persona.value.entity, persona.value.fields) == ("persona", ("name",))
    assert (customer.value.entity, customer.value.fields) == (
        "customer",
        ("channel", "external_id"),
    )
    assert "doppelter Schlüsselwert" in str(persona.value.__cause__)


async def test_overlaps_and_broken_rules_in_german_keep_their_meaning(german_postgres):
    async with german_postgres.uow(writes=True) as uow:
        owner = await make_user(uow)
        customer = await make_customer(uow, owner)
        await make_appointment(uow, owner, customer, MONDAY_10, 60)
        await uow.commit()

    async with german_postgres.uow(writes=True) as uow:
        with pytest.raises(Overlap):
            await make_appointment(uow, owner, customer, MONDAY_10, 30)
    async with german_postgres.uow(writes=True) as uow:
        with pytest.raises(IntegrityViolation, match="longer than its field"):
            await make_persona(uow, owner, name="x" * 101)
    async with german_postgres.uow(writes=True) as uow:
        with pytest.raises(IntegrityViolation, match="NUL"):
            await make_persona(uow, owner, name="a\x00b")
    async with german_postgres.uow(writes=True) as uow:
        with pytest.raises(IntegrityViolation, match="integrity rule"):
            await uow.personas.add(Persona(owner_id=new_id(), name="Orphan", system_prompt="x"))


async def test_a_lock_wait_that_times_out_is_busy(german_postgres):
    async with german_postgres.uow(writes=True) as uow:
        owner = await make_user(uow)
        await uow.commit()

    async with german_postgres.uow(writes=True) as holder:
        await holder.users.lock(owner.id)
        async with german_postgres.uow(writes=True) as waiter:
            await waiter.users.get(owner.id)
            connection = await waiter._gate.session.connection()
            await connection.execute(text("SET LOCAL lock_timeout = '50ms'"))
            with pytest.raises(Busy):
                await waiter.users.lock(owner.id)


# -- SQLite --------------------------------------------------------------------


@pytest.fixture
async def sqlite_pair(tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """Two engines on one SQLite file: one patient writer, one that waits 0.2 s."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'busy.db'}"
    await migrations.upgrade(url)
    patient = create_engine(Settings(DATABASE_URL=url, CONCIERGE_ENV="test"))
    hasty = create_engine(Settings(DATABASE_URL=url, CONCIERGE_ENV="test", DB_BUSY_TIMEOUT_S=0.2))
    yield patient, hasty
    await patient.dispose()
    await hasty.dispose()


async def test_a_sqlite_writer_that_waits_too_long_for_the_lock_is_busy(sqlite_pair):
    patient, hasty = sqlite_pair
    holder = Database(patient, create_session_factory(patient), "")
    waiter = Database(hasty, create_session_factory(hasty), "")

    async with holder.uow(writes=True) as uow:
        await make_user(uow)
        with pytest.raises(Busy):
            async with waiter.uow(writes=True) as blocked:
                await make_user(blocked)
        await uow.commit()
    await asyncio.sleep(0)
