"""`concierge purge`: a dry run reports, `--apply` deletes messages past each
owner's retention in batches, and owners without a retention keep everything."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from gql.cli import app
from gql.settings import get_settings
from persistence.models import Message, OwnerSettings, utcnow
from persistence.services.conversations import NewMessage, post_messages
from tests.factories import make_conversation, make_user


@pytest.fixture
def cli_database(db, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db.url)
    get_settings.cache_clear()
    yield db
    get_settings.cache_clear()


async def messages_of(db, conversation_id) -> int:
    async with db.engine.connect() as connection:
        statement = select(func.count()).where(Message.conversation_id == conversation_id)
        return (await connection.execute(statement)).scalar()


async def test_purge_deletes_only_messages_past_the_owners_retention(cli_database, seed):
    db = cli_database
    async with seed() as uow:
        keeper, forgetful = await make_user(uow), await make_user(uow)
        kept = await make_conversation(uow, keeper)
        purged = await make_conversation(uow, forgetful)
        uow.detach(kept)
        uow.detach(purged)
    for conversation in (kept, purged):
        async with db.uow(writes=True) as uow:
            await post_messages(
                uow, conversation.id, [NewMessage("user", f"m{n}") for n in range(5)]
            )
    async with db.engine.begin() as connection:
        await connection.execute(
            OwnerSettings.__table__.insert().values(
                id=forgetful.id,
                owner_id=forgetful.id,
                embedding_dimensions=1536,
                message_retention_days=30,
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
        old = utcnow() - timedelta(days=40)
        for conversation in (kept, purged):
            await connection.execute(
                update(Message)
                .where(Message.conversation_id == conversation.id, Message.content != "m4")
                .values(created_at=old)
            )
    runner = CliRunner()

    dry = await asyncio.to_thread(runner.invoke, app, ["purge"])
    after_dry = await messages_of(db, purged.id)
    applied = await asyncio.to_thread(runner.invoke, app, ["purge", "--apply", "--batch-size", "3"])

    assert dry.exit_code == 0, dry.output
    assert "4 messages older than 30 days" in dry.output
    assert "dry run: 4 messages would be deleted" in dry.output
    assert after_dry == 5
    assert applied.exit_code == 0, applied.output
    assert "deleted 4 messages" in applied.output
    assert await messages_of(db, purged.id) == 1
    assert await messages_of(db, kept.id) == 5
