"""Migrations on fresh databases of both backends: up, all the way down, up
again; and the migrated schema is exactly what the models describe."""

from __future__ import annotations

import uuid
import warnings
from datetime import UTC, datetime
from pprint import pformat
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import String, Uuid, column, insert, inspect, table, text
from sqlalchemy.engine import Connection

from persistence import migrations
from persistence.engine import create_session_factory
from persistence.errors import Overlap
from persistence.models import Base, Memory, Message, MessageRole, for_dialect
from persistence.models.base import JSONDocument, UTCDateTime
from persistence.scope import Scope
from persistence.unit_of_work import UnitOfWork
from tests.factories import (
    make_appointment,
    make_conversation,
    make_customer,
    make_file,
    make_persona,
    make_user,
)

APP_TABLES = {table.name for table in Base.metadata.sorted_tables}


def _stamps() -> tuple[Any, ...]:
    return column("created_at", UTCDateTime()), column("updated_at", UTCDateTime())


# Conversations and messages by the columns they have had since 0001: the models'
# own inserts write the columns of the head revision, which older ones lack.
EARLY_CONVERSATIONS = table(
    "conversations",
    column("id", Uuid()),
    column("owner_id", Uuid()),
    column("title", String()),
    column("provider_config", JSONDocument),
    *_stamps(),
)
EARLY_MESSAGES = table(
    "messages",
    column("id", Uuid()),
    column("conversation_id", Uuid()),
    column("role", String()),
    column("content", String()),
    column("extra_data", JSONDocument),
    *_stamps(),
)
EARLY = datetime(2030, 1, 1, tzinfo=UTC)


async def tables(engine) -> set[str]:
    async with engine.connect() as connection:
        return set(await connection.run_sync(lambda c: inspect(c).get_table_names()))


async def sqlite_triggers(engine) -> set[str]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        )
        return {name for (name,) in rows}


async def schema_drift(engine) -> list:
    """What `alembic revision --autogenerate` would write, compared as alembic/env.py does."""

    def compare(connection: Connection) -> list:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "render_as_batch": connection.dialect.name == "sqlite",
                "target_metadata": Base.metadata,
                "include_object": for_dialect(connection.dialect.name),
            },
        )
        return compare_metadata(context, Base.metadata)

    async with engine.connect() as connection:
        with warnings.catch_warnings():
            # SQLite cannot reflect the inbox's expression index: Alembic skips comparing it.
            warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
            warnings.filterwarnings("ignore", "autogenerate skipping metadata-specified expression")
            return await connection.run_sync(compare)


async def overlapping_bookings_are_refused(engine) -> None:
    """The overlap rule (exclusion constraint or triggers) is in place."""
    start = datetime(2030, 6, 3, 10, 0, tzinfo=UTC)
    async with UnitOfWork(create_session_factory(engine), Scope.admin(), writes=True) as uow:
        owner = await make_user(uow)
        customer = await make_customer(uow, owner)
        await make_appointment(uow, owner, customer, start)
        with pytest.raises(Overlap):
            await make_appointment(uow, owner, customer, start)


async def test_upgrade_to_head_creates_every_table_at_the_head_revision(
    db, fresh_database_url, fresh_engine
):
    assert await tables(fresh_engine) == set()

    await migrations.upgrade(fresh_database_url)

    assert await tables(fresh_engine) == APP_TABLES | {"alembic_version"}
    assert await migrations.current_revision(fresh_engine) == migrations.head_revision()
    await overlapping_bookings_are_refused(fresh_engine)


async def test_downgrade_to_base_removes_everything_but_alembic_version_and_upgrade_works_again(
    db, fresh_database_url, fresh_engine
):
    await migrations.upgrade(fresh_database_url)

    await migrations.downgrade(fresh_database_url, "base")

    assert await tables(fresh_engine) == {"alembic_version"}
    assert await migrations.current_revision(fresh_engine) is None
    if db.backend == "sqlite":
        assert await sqlite_triggers(fresh_engine) == set()

    await migrations.upgrade(fresh_database_url)

    assert await tables(fresh_engine) == APP_TABLES | {"alembic_version"}
    assert await migrations.current_revision(fresh_engine) == migrations.head_revision()
    await overlapping_bookings_are_refused(fresh_engine)


async def test_upgrading_a_database_already_at_head_changes_nothing(
    db, fresh_database_url, fresh_engine
):
    await migrations.upgrade(fresh_database_url)

    await migrations.upgrade(fresh_database_url)

    assert await migrations.current_revision(fresh_engine) == migrations.head_revision()
    assert await schema_drift(fresh_engine) == []


async def test_the_migrated_schema_matches_the_models_with_no_drift(
    db, fresh_database_url, fresh_engine
):
    await migrations.upgrade(fresh_database_url)

    drift = await schema_drift(fresh_engine)

    assert drift == [], pformat(drift)


async def test_the_drift_check_notices_a_schema_that_differs_from_the_models(
    db, fresh_database_url, fresh_engine
):
    await migrations.upgrade(fresh_database_url)
    async with fresh_engine.begin() as connection:
        await connection.execute(text("DROP INDEX ix_files_owner_id"))
        await connection.execute(text("ALTER TABLE files ADD COLUMN stray INTEGER"))

    drift = await schema_drift(fresh_engine)

    kinds = sorted(change[0] for change in drift if isinstance(change, tuple))
    assert kinds == ["add_index", "remove_column"], pformat(drift)


SCHEDULING_TABLES = {"schedules", "opening_hours", "schedule_exceptions", "appointment_events"}
# Tables of revisions after 0002.
LATER_TABLES = {
    "message_files",
    "memories",
    "conversation_states",
    "persona_modules",
    "owner_settings",
}


async def test_downgrading_0002_removes_only_the_scheduling_tables_and_keeps_other_rows(
    db, fresh_database_url, fresh_engine
):
    await migrations.upgrade(fresh_database_url)
    async with UnitOfWork(create_session_factory(fresh_engine), Scope.admin(), writes=True) as uow:
        owner = await make_user(uow)
        await uow.schedules.update(owner.id, {"timezone": "Europe/Berlin"})
        await uow.commit()

    await migrations.downgrade(fresh_database_url, "0001")

    assert await tables(fresh_engine) == (APP_TABLES - SCHEDULING_TABLES - LATER_TABLES) | {
        "alembic_version"
    }
    assert await migrations.current_revision(fresh_engine) == "0001"
    async with fresh_engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM users"))).scalar() == 1

    await migrations.upgrade(fresh_database_url)

    assert await tables(fresh_engine) == APP_TABLES | {"alembic_version"}
    assert await schema_drift(fresh_engine) == []
    await overlapping_bookings_are_refused(fresh_engine)


async def test_downgrading_0005_keeps_files_with_keys_made_unique_and_upgrading_again_works(
    db, fresh_database_url, fresh_engine
):
    await migrations.upgrade(fresh_database_url)
    async with UnitOfWork(create_session_factory(fresh_engine), Scope.admin(), writes=True) as uow:
        owner = await make_user(uow)
        image = await make_file(uow, owner, storage_key="a" * 64, content_type="image/png")
        await make_file(uow, owner, storage_key="a" * 64)  # equal bytes: one blob
        persona = await make_persona(uow, owner)
        persona.avatar_file_id = image.id
        conversation = await make_conversation(uow, owner)
        (message,) = await uow.messages.append(
            conversation, [Message(role=MessageRole.USER, content="see attached")]
        )
        await uow.files.attach(owner.id, message.id, [image.id])
        await uow.commit()

    await migrations.downgrade(fresh_database_url, "0004")

    assert await tables(fresh_engine) == (APP_TABLES - LATER_TABLES) | {"alembic_version"}
    async with fresh_engine.connect() as connection:
        keys = (await connection.execute(text("SELECT storage_key FROM files"))).scalars().all()
        personas = await connection.run_sync(
            lambda c: {column["name"] for column in inspect(c).get_columns("personas")}
        )
    assert len(keys) == 2 and len(set(keys)) == 2 and "a" * 64 in keys
    assert "avatar_file_id" not in personas

    await migrations.upgrade(fresh_database_url)

    assert await tables(fresh_engine) == APP_TABLES | {"alembic_version"}
    assert await schema_drift(fresh_engine) == []
    await overlapping_bookings_are_refused(fresh_engine)


async def test_0007_deletes_memories_in_another_owners_conversation_and_downgrades_cleanly(
    db, fresh_database_url, fresh_engine
):
    await migrations.upgrade(fresh_database_url, "0006")
    async with UnitOfWork(create_session_factory(fresh_engine), Scope.admin(), writes=True) as uow:
        alice, bob = await make_user(uow), await make_user(uow)
        await uow.commit()
    now = EARLY
    hers, kept, stray = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with fresh_engine.begin() as connection:
        await connection.execute(
            insert(EARLY_CONVERSATIONS).values(
                id=hers, owner_id=alice.id, title="hers", provider_config={},
                created_at=now, updated_at=now,
            )
        )  # fmt: skip
        for id_, owner in ((kept, alice.id), (stray, bob.id)):  # bob's memory in her conversation
            await connection.execute(
                insert(Memory.__table__).values(
                    id=id_, owner_id=owner, conversation_id=hers, content="m",
                    memory_type="fact", importance=0.5, dimensions=1, embedding=[0.5],
                    metadata={}, access_count=0, created_at=now, updated_at=now,
                )
            )  # fmt: skip

    await migrations.upgrade(fresh_database_url)

    async with fresh_engine.connect() as connection:
        left = (await connection.execute(text("SELECT id FROM memories"))).scalars().all()
    assert [uuid.UUID(str(id_)) for id_ in left] == [kept]  # bob's went
    assert await schema_drift(fresh_engine) == []

    await migrations.downgrade(fresh_database_url, "0006")
    await migrations.upgrade(fresh_database_url)

    assert await schema_drift(fresh_engine) == []
    async with fresh_engine.connect() as connection:
        assert (await connection.execute(text("SELECT count(*) FROM memories"))).scalar() == 1


async def stored_counts(engine) -> dict[uuid.UUID, tuple[int, int]]:
    """Each conversation's (message_count, messages it has)."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            text(
                "SELECT id, message_count, (SELECT count(*) FROM messages "
                "WHERE messages.conversation_id = conversations.id) FROM conversations"
            )
        )
        return {uuid.UUID(str(id_)): (stored, counted) for id_, stored, counted in rows}


async def test_0008_counts_the_messages_already_there_and_downgrades_cleanly(
    db, fresh_database_url, fresh_engine
):
    await migrations.upgrade(fresh_database_url, "0007")
    async with UnitOfWork(create_session_factory(fresh_engine), Scope.admin(), writes=True) as uow:
        owner = await make_user(uow)
        await uow.commit()
    sizes = {uuid.uuid4(): size for size in (0, 1, 3)}
    async with fresh_engine.begin() as connection:
        for conversation_id, size in sizes.items():
            await connection.execute(
                insert(EARLY_CONVERSATIONS).values(
                    id=conversation_id, owner_id=owner.id, title="t", provider_config={},
                    created_at=EARLY, updated_at=EARLY,
                )
            )  # fmt: skip
            for _ in range(size):
                await connection.execute(
                    insert(EARLY_MESSAGES).values(
                        id=uuid.uuid4(), conversation_id=conversation_id, role="user",
                        content="m", extra_data={}, created_at=EARLY, updated_at=EARLY,
                    )
                )  # fmt: skip

    await migrations.upgrade(fresh_database_url, "0008")

    expected = {conversation_id: (size, size) for conversation_id, size in sizes.items()}
    assert await stored_counts(fresh_engine) == expected

    await migrations.downgrade(fresh_database_url, "0007")
    async with fresh_engine.connect() as connection:
        columns = await connection.run_sync(
            lambda c: {column["name"] for column in inspect(c).get_columns("conversations")}
        )
    assert "message_count" not in columns

    await migrations.upgrade(fresh_database_url)

    assert await stored_counts(fresh_engine) == expected
    assert await schema_drift(fresh_engine) == []
