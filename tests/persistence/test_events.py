"""The event bus: published with the commit and never on rollback, only to the
owner's subscribers, bounded per subscriber, and (PostgreSQL) a listener that
comes back after its connection is killed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from gql.settings import Settings
from persistence import migrations
from persistence.engine import create_engine, create_event_bus, create_session_factory
from persistence.events import Event, EventBus, EventsMissed, Subscriber, SubscriberTooSlow, Topic
from persistence.scope import Scope
from persistence.unit_of_work import UnitOfWork
from tests.conftest import Database, _create_postgres_database, _drop_postgres_database
from tests.factories import make_conversation, make_user


def everything(_event: Event) -> bool:
    return True


async def next_event(subscriber: Subscriber, timeout: float = 5.0) -> Event:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        return await anext(subscriber)


async def start_conversation(db: Database, bus: EventBus, owner, *, fail: bool = False) -> None:
    """A conversation started and announced in one transaction, which fails if asked."""
    unit = UnitOfWork(db.session_factory, Scope.admin(), events=bus)
    async with unit as uow, uow.transaction():
        conversation = await make_conversation(uow, owner)
        uow.publish(Event(Topic.CONVERSATION, "started", owner.id, conversation.id))
        if fail:
            raise RuntimeError("refused after the write")


@pytest.fixture
async def bus(settings: Settings) -> AsyncIterator[EventBus]:
    bus = create_event_bus(settings)
    yield bus
    await bus.close()


@pytest.fixture
async def owners(seed):
    async with seed() as uow:
        return await make_user(uow), await make_user(uow)


async def test_a_rolled_back_transaction_publishes_nothing(db, bus, owners):
    ada, _ = owners
    async with bus.subscribe(Scope.owner(ada.id), everything, 10) as subscriber:
        with pytest.raises(RuntimeError):
            await start_conversation(db, bus, ada, fail=True)
        await start_conversation(db, bus, ada)

        # The first event to arrive is the committed one's; the rolled-back one never came.
        first = await next_event(subscriber)
        async with db.uow() as uow:
            (conversation,) = await uow.conversations.get_many([first.subject_id])
        assert conversation is not None
        with pytest.raises(TimeoutError):
            await next_event(subscriber, timeout=0.3)


async def test_events_reach_only_subscribers_whose_scope_sees_the_owner(db, bus, owners):
    ada, rival = owners
    async with (
        bus.subscribe(Scope.owner(ada.id), everything, 10) as adas,
        bus.subscribe(Scope.owner(rival.id), everything, 10) as rivals,
        bus.subscribe(Scope.admin(), everything, 10) as admins,
    ):
        await start_conversation(db, bus, rival)
        await start_conversation(db, bus, ada)

        assert (await next_event(adas)).owner_id == ada.id
        assert (await next_event(rivals)).owner_id == rival.id
        seen = {(await next_event(admins)).owner_id, (await next_event(admins)).owner_id}
        assert seen == {ada.id, rival.id}
        with pytest.raises(TimeoutError):
            await next_event(rivals, timeout=0.3)


async def test_a_subscriber_that_falls_behind_is_dropped_with_an_error(db, bus, owners):
    ada, _ = owners
    async with bus.subscribe(Scope.owner(ada.id), everything, 2) as subscriber:
        for _ in range(4):
            await start_conversation(db, bus, ada)
        await asyncio.sleep(0.3)  # every notification has arrived (PostgreSQL)

        assert bus.subscriber_count == 0
        with pytest.raises(SubscriberTooSlow):
            await next_event(subscriber)


async def test_closing_the_bus_ends_every_subscription(bus, owners):
    ada, _ = owners
    async with bus.subscribe(Scope.owner(ada.id), everything, 2) as subscriber:
        await bus.close()
        with pytest.raises(StopAsyncIteration):
            await next_event(subscriber)


# -- PostgreSQL: the listener --------------------------------------------------------


@pytest.fixture(scope="module")
async def postgres_url() -> AsyncIterator[str]:
    name, url = await _create_postgres_database()
    try:
        await migrations.upgrade(url)
        yield url
    finally:
        await _drop_postgres_database(name)


async def test_the_listener_reconnects_after_its_backend_is_terminated(postgres_url, caplog):
    """Subscriptions open when the listener loses its connection end with EventsMissed
    (what was published meanwhile cannot arrive); new ones receive events again."""
    settings = Settings(DATABASE_URL=postgres_url, CONCIERGE_ENV="test", EVENT_LISTENER_CHECK_S=1)
    engine = create_engine(settings)
    bus = create_event_bus(settings)
    db = Database(engine, create_session_factory(engine), postgres_url)
    try:
        async with db.uow(writes=True) as uow:
            ada = await make_user(uow)
            await uow.commit()
        async with bus.subscribe(Scope.owner(ada.id), everything, 10) as before:
            await start_conversation(db, bus, ada)
            assert (await next_event(before)).kind == "started"
            with caplog.at_level(logging.WARNING, logger="persistence.events"):
                async with engine.connect() as connection:
                    killed = await connection.scalar(
                        text(
                            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE application_name = 'concierge-events' "
                            "AND datname = current_database()"
                        )
                    )
                assert killed == 1
                with pytest.raises(EventsMissed):
                    await next_event(before, timeout=10)
                async with asyncio.timeout(10):
                    while bus.reconnects == 0:  # noqa: ASYNC110 (a counter, not an event)
                        await asyncio.sleep(0.05)
            messages = [record.getMessage() for record in caplog.records]
            assert any("lost its database connection" in m for m in messages), messages
            assert any("reconnected" in m for m in messages), messages

        async with bus.subscribe(Scope.owner(ada.id), everything, 10) as after:
            await start_conversation(db, bus, ada)
            assert (await next_event(after)).owner_id == ada.id
    finally:
        await bus.close()
        await engine.dispose()
