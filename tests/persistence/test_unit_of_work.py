"""The unit of work: one transaction, committed only on request, rolled back
on any error or when left uncommitted."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import event, func, select, text

from gql.settings import Settings
from persistence.engine import create_engine, create_session_factory
from persistence.errors import Conflict, PersistenceError
from persistence.models import Conversation, Customer, Message, Persona, User
from persistence.scope import Scope
from persistence.unit_of_work import UnitOfWork
from tests.conftest import POSTGRES_ADMIN_URL
from tests.factories import make_conversation, make_customer, make_persona, make_user, post_messages


class Boom(Exception):
    pass


async def count_rows(db, model) -> int:
    async with db.engine.connect() as connection:
        return await connection.scalar(select(func.count()).select_from(model))


async def counts(db) -> dict[str, int]:
    return {
        model.__tablename__: await count_rows(db, model)
        for model in (User, Persona, Customer, Conversation, Message)
    }


NOTHING = {"users": 0, "personas": 0, "customers": 0, "conversations": 0, "messages": 0}


async def several_writes(uow) -> User:
    owner = await make_user(uow)
    persona = await make_persona(uow, owner)
    customer = await make_customer(uow, owner)
    conversation = await make_conversation(uow, owner, persona, customer)
    await post_messages(uow, conversation, "hi", "hello")
    return owner


async def test_an_exception_inside_the_unit_discards_all_its_writes(db):
    with pytest.raises(Boom):
        async with db.uow(writes=True) as uow:
            await several_writes(uow)
            raise Boom

    assert await counts(db) == NOTHING


async def test_an_exception_after_commit_keeps_what_was_committed(db):
    with pytest.raises(Boom):
        async with db.uow(writes=True) as uow:
            await several_writes(uow)
            await uow.commit()
            raise Boom

    assert await counts(db) == {
        "users": 1,
        "personas": 1,
        "customers": 1,
        "conversations": 1,
        "messages": 2,
    }


async def test_leaving_the_unit_without_commit_discards_its_writes(db):
    async with db.uow(writes=True) as uow:
        await several_writes(uow)

    assert await counts(db) == NOTHING


async def test_an_explicit_rollback_discards_its_writes(db):
    async with db.uow(writes=True) as uow:
        await several_writes(uow)
        await uow.rollback()

    assert await counts(db) == NOTHING


async def test_commit_makes_every_write_of_the_unit_durable(db):
    async with db.uow(writes=True) as uow:
        owner = await several_writes(uow)
        await uow.commit()

    assert await counts(db) == {
        "users": 1,
        "personas": 1,
        "customers": 1,
        "conversations": 1,
        "messages": 2,
    }
    async with db.uow() as uow:
        assert (await uow.users.get(owner.id)).id == owner.id


async def test_rows_stay_readable_after_the_unit_ends(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow, full_name="Ada")
        await uow.commit()

    assert owner.full_name == "Ada"
    assert owner.created_at is not None


async def test_a_conflict_raised_mid_unit_leaves_the_earlier_writes_unpersisted(db):
    async with db.uow(writes=True) as uow:
        await make_user(uow, username="taken")
        await uow.commit()

    with pytest.raises(Conflict):
        async with db.uow(writes=True) as uow:
            await several_writes(uow)
            await make_user(uow, username="taken")
            await uow.commit()

    assert await counts(db) == NOTHING | {"users": 1}


async def test_committing_after_a_caught_conflict_persists_nothing_of_the_unit(db):
    async with db.uow(writes=True) as uow:
        await make_user(uow, username="taken")
        await uow.commit()

    async with db.uow(writes=True) as uow:
        await several_writes(uow)
        with pytest.raises(Conflict):
            await make_user(uow, username="taken")
        with pytest.raises(PersistenceError):
            await uow.commit()

    assert await counts(db) == NOTHING | {"users": 1}


async def test_a_unit_that_only_reads_sees_committed_rows(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        await uow.commit()

    async with db.uow() as uow:
        assert (await uow.users.get_many([owner.id]))[0].id == owner.id


async def test_a_unit_does_not_see_another_units_uncommitted_writes(db):
    async with db.uow(writes=True) as writer:
        owner = await make_user(writer)
        async with db.uow() as reader:
            assert await reader.users.get_many([owner.id]) == [None]
        await writer.commit()

    async with db.uow() as reader:
        assert (await reader.users.get_many([owner.id]))[0] is not None


async def test_a_unit_that_only_reads_opens_no_transaction_and_cannot_write(db, monkeypatch):
    opened: list[bool] = []
    if db.backend == "postgresql":
        real = asyncpg.connection.Connection.transaction

        def counted(self, *args, **kwargs):
            opened.append(True)
            return real(self, *args, **kwargs)

        monkeypatch.setattr(asyncpg.connection.Connection, "transaction", counted)

    async with db.uow() as uow:
        uow.only_read()
        assert await uow.users._gate.scalar(text("SELECT 1")) == 1
        assert await uow.users._gate.scalar(text("SELECT 2")) == 2
        with pytest.raises(PersistenceError):
            await uow.begin_writing()
        with pytest.raises(PersistenceError):
            await uow.commit()
    assert opened == []

    async with db.uow() as uow:  # an ordinary unit still reads in a transaction
        assert await uow.users._gate.scalar(text("SELECT 1")) == 1
    assert opened == ([True] if db.backend == "postgresql" else [])

    async with db.uow(writes=True) as uow:  # and the pooled connection writes again
        await make_user(uow)
        await uow.commit()
    assert await count_rows(db, User) == 1


async def test_a_unit_that_only_reads_holds_one_connection_at_a_time(db):
    """Built statements of a unit that only reads run on a connection it checks out
    for them (on PostgreSQL, without the session); a statement that needs the
    session returns that connection first, and the session's then serves both."""
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        persona = await make_persona(uow, owner)
        await uow.commit()

    held: list[int] = []
    checkouts: list[int] = []

    def out(*_args) -> None:
        checkouts.append(1)
        held.append(len(checkouts) - len(returned))

    returned: list[int] = []

    def back(*_args) -> None:
        returned.append(1)

    pool = db.engine.sync_engine.pool
    event.listen(pool, "checkout", out)
    event.listen(pool, "checkin", back)
    try:
        async with db.uow(scope=Scope.owner(owner.id)) as uow:
            uow.only_read()
            assert [record.id for record in await uow.personas.read_many([persona.id])] == [
                persona.id
            ]
            if db.backend == "postgresql":
                assert not uow.personas._gate.session.in_transaction()  # not the session's
            assert (await uow.personas.get_many([persona.id]))[0].id == persona.id  # the session's
            assert [record.id for record in await uow.personas.read_many([persona.id])] == [
                persona.id
            ]
        assert len(returned) == len(checkouts)
    finally:
        event.remove(pool, "checkout", out)
        event.remove(pool, "checkin", back)
    assert max(held) == 1
    assert len(checkouts) == (2 if db.backend == "postgresql" else 1)


async def _terminate(pid: int) -> None:
    connection = await asyncpg.connect(POSTGRES_ADMIN_URL)
    try:
        await connection.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await connection.close()


async def _backend_pid(factory) -> int:
    async with UnitOfWork(factory, Scope.admin()) as uow:
        return await uow.users._gate.scalar(text("SELECT pg_backend_pid()"))


@pytest.mark.parametrize("idle_s", [0.0, 60.0])
async def test_an_idle_pooled_connection_is_checked_before_use(idle_s):
    """A connection the server closed while it sat in the pool is replaced before
    use when it sat there DB_PING_IDLE_S or longer; a fresher one is not pinged,
    and failing, fails its one request and is replaced for the next."""
    settings = Settings(DATABASE_URL=POSTGRES_ADMIN_URL, DB_PING_IDLE_S=idle_s)
    engine = create_engine(settings)
    factory = create_session_factory(engine)
    try:
        first = await _backend_pid(factory)
        await _terminate(first)
        if idle_s == 0:
            assert await _backend_pid(factory) != first
        else:
            with pytest.raises(PersistenceError):
                await _backend_pid(factory)
            assert await _backend_pid(factory) != first
    finally:
        await engine.dispose()


# -- actions after commit ---------------------------------------------------------


async def test_actions_after_commit_run_once_the_commit_succeeded_in_order(db):
    ran: list[str] = []

    async def note(what: str) -> None:
        ran.append(what)

    async with db.uow(writes=True) as uow:
        await make_user(uow)
        uow.after_commit(lambda: note("first"))
        uow.after_commit(lambda: note("second"))
        assert ran == []
        await uow.commit()
        await uow.commit()  # a second commit has nothing waiting

    assert ran == ["first", "second"]


async def test_actions_after_commit_are_dropped_by_rollback_close_and_failed_commits(db):
    ran: list[str] = []

    async def note() -> None:
        ran.append("ran")

    async with db.uow(writes=True) as uow:
        await make_user(uow, username="taken")
        await uow.commit()
    async with db.uow(writes=True) as uow:
        uow.after_commit(note)
        await uow.rollback()
        await uow.commit()
    async with db.uow(writes=True) as uow:
        uow.after_commit(note)
    with pytest.raises(Boom):
        async with db.uow(writes=True) as uow, uow.transaction():
            uow.after_commit(note)
            raise Boom()
    async with db.uow(writes=True) as uow:
        uow.after_commit(note)
        with pytest.raises(Conflict):
            await make_user(uow, username="taken")
        with pytest.raises(PersistenceError):
            await uow.commit()

    assert ran == []


async def test_a_failing_action_after_commit_does_not_stop_the_others(db, caplog):
    ran: list[str] = []

    async def fail() -> None:
        raise OSError("disk gone")

    async def note() -> None:
        ran.append("ran")

    async with db.uow(writes=True) as uow:
        await make_user(uow)
        uow.after_commit(fail)
        uow.after_commit(note)
        await uow.commit()

    assert ran == ["ran"]
    assert "an action after commit failed" in caplog.text
    assert await count_rows(db, User) == 1
