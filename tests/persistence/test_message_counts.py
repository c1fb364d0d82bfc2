"""A conversation's message_count is exact after every write of messages: posts,
posts that roll back, purges, concurrent posts and deletions, and the demo data;
compiled reads answer counts of messages from it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from uuid import UUID

import pytest
from sqlalchemy import func, select, update

from gql.settings import Settings
from persistence import migrations, reads
from persistence.demo import seed_demo
from persistence.engine import create_engine, create_session_factory
from persistence.models import Conversation, Message, MessageRole, OwnerSettings, utcnow
from persistence.repositories.messages import MESSAGES_OLDEST_FIRST
from persistence.services.conversations import NewMessage, post_messages
from persistence.services.lifecycle import expiring_messages, purge_messages
from tests.conftest import Database, _create_postgres_database, _drop_postgres_database
from tests.factories import make_conversation, make_user
from tests.factories import post_messages as append_messages


class Boom(Exception):
    pass


async def counts(db: Database) -> dict[UUID, tuple[int, int]]:
    """Each conversation's (stored message_count, messages it has)."""
    counted = (
        select(func.count())
        .where(Message.conversation_id == Conversation.id)
        .correlate(Conversation)
        .scalar_subquery()
    )
    async with db.engine.connect() as connection:
        rows = await connection.execute(
            select(Conversation.id, Conversation.message_count, counted)
        )
        return {id_: (stored, messages) for id_, stored, messages in rows}


async def a_conversation(db: Database) -> Conversation:
    async with db.uow(writes=True) as uow:
        conversation = await make_conversation(uow, await make_user(uow))
        await uow.commit()
    return conversation


def said(*contents: str) -> list[NewMessage]:
    return [NewMessage(MessageRole.USER, content) for content in contents]


async def test_posting_adds_the_messages_to_the_count(db):
    conversation = await a_conversation(db)

    async with db.uow(writes=True) as uow:
        first, _ = await post_messages(uow, conversation.id, said("one"))
    async with db.uow(writes=True) as uow:
        second, _ = await post_messages(uow, conversation.id, said("two", "three", "four"))

    assert (first.message_count, second.message_count) == (1, 4)
    assert await counts(db) == {conversation.id: (4, 4)}


async def test_a_post_that_rolls_back_leaves_the_count(db):
    conversation = await a_conversation(db)
    async with db.uow(writes=True) as uow:
        await post_messages(uow, conversation.id, said("kept"))

    with pytest.raises(Boom):
        async with db.uow(writes=True) as uow, uow.transaction():
            locked = await uow.conversations.lock(conversation.id)
            await append_messages(uow, locked, "gone", "also gone")
            assert locked.message_count == 3
            raise Boom

    assert await counts(db) == {conversation.id: (1, 1)}


async def test_purging_takes_the_deleted_messages_off_their_conversations(db):
    async with db.uow(writes=True) as uow:
        keeper, forgetful = await make_user(uow), await make_user(uow)
        kept = await make_conversation(uow, keeper)
        purged = [await make_conversation(uow, forgetful) for _ in range(2)]
        await uow.commit()
    for conversation, size in ((kept, 3), (purged[0], 4), (purged[1], 5)):
        async with db.uow(writes=True) as uow:
            await post_messages(uow, conversation.id, said(*(f"m{n}" for n in range(size))))
    async with db.engine.begin() as connection:
        await connection.execute(
            OwnerSettings.__table__.insert().values(
                id=forgetful.id, owner_id=forgetful.id, embedding_dimensions=1536,
                message_retention_days=30, created_at=utcnow(), updated_at=utcnow(),
            )
        )  # fmt: skip
        # m0 and m1 of every conversation are past any retention.
        await connection.execute(
            update(Message)
            .where(Message.content != "m2", Message.content != "m3", Message.content != "m4")
            .values(created_at=utcnow() - timedelta(days=40))
        )

    (expiring,) = await expiring_messages(db.session_factory)
    deleted = await purge_messages(db.session_factory, expiring, batch=3)

    assert deleted == 2 + 2
    assert await counts(db) == {kept.id: (3, 3), purged[0].id: (2, 2), purged[1].id: (3, 3)}


async def test_the_demo_data_comes_with_its_counts(db):
    await seed_demo(db.engine, hashed_password="unused", size="tiny")

    found = await counts(db)

    assert len(found) == 60
    assert all(stored == messages > 0 for stored, messages in found.values())


# -- PostgreSQL: writers of one conversation at the same time -------------------------


@pytest.fixture(scope="module")
async def postgres() -> AsyncIterator[Database]:
    """A migrated PostgreSQL database of this module's own (SQLite's writers take
    turns for the whole database: they cannot race)."""
    name, url = await _create_postgres_database()
    engine = create_engine(Settings(DATABASE_URL=url, CONCIERGE_ENV="test"))
    try:
        await migrations.upgrade(url)
        yield Database(engine, create_session_factory(engine), url)
    finally:
        await engine.dispose()
        await _drop_postgres_database(name)


async def test_concurrent_writers_of_one_conversation_lose_no_count(postgres):
    db = postgres
    conversation = await a_conversation(db)
    async with db.uow(writes=True) as uow:
        _, early = await post_messages(uow, conversation.id, said(*"abcdef"))
    posters, deleters = 4, 2
    # Every writer reads the conversation before any of them writes: a count worked
    # out from what it read would overwrite the others'.
    everyone_read = asyncio.Barrier(posters + deleters)

    async def post(n: int) -> None:
        async with db.uow(writes=True) as uow:
            read = await uow.conversations.get(conversation.id)
            await everyone_read.wait()
            await append_messages(uow, read, f"p{n}", f"q{n}", f"r{n}")
            await uow.commit()

    async def delete(ids: list[UUID]) -> None:
        async with db.uow(writes=True) as uow:
            await uow.conversations.get(conversation.id)
            await everyone_read.wait()
            await uow.messages.delete_ids(select(Message.id).where(Message.id.in_(ids)))
            await uow.commit()

    halves = [[m.id for m in early[:3]], [m.id for m in early[3:]]]
    await asyncio.gather(*(post(n) for n in range(posters)), *(delete(h) for h in halves))

    assert (await counts(db))[conversation.id] == (6 + 3 * posters - 6, 3 * posters)


async def test_compiled_counts_and_totals_of_messages_read_the_stored_count(postgres):
    db = postgres
    conversation = await a_conversation(db)
    async with db.engine.begin() as connection:  # a count no message backs: read, not counted
        await connection.execute(
            update(Conversation).where(Conversation.id == conversation.id).values(message_count=7)
        )
    total = reads.ConnectionShape(
        reads.PageShape(MESSAGES_OLDEST_FIRST.name, size=1), (reads.TotalCount("total"),)
    )
    shape = reads.Shape(
        (reads.Count("count", "messages"), reads.Many("messages", "messages", total))
    )

    async with db.uow() as uow:
        (answer,) = await uow.reads.rows("conversation", shape, [conversation.id])

    assert answer == '{"count":7,"messages":{"total":7}}'
