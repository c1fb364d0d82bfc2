"""`seed-demo`: realistic, deterministic demo data on both backends."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from gql.cli import DEMO_PASSWORD, app
from persistence.demo import SIZES, DemoDataExists, seed_demo
from persistence.models import Base, Conversation, Message
from persistence.services.credentials import Passwords

TABLES = ("users", "personas", "customers", "conversations", "messages", "appointments")


async def _snapshot(db) -> dict[str, list[tuple[Any, ...]]]:
    """Every seeded row of every table, in id order."""
    async with db.engine.connect() as connection:
        return {
            name: list(
                await connection.execute(
                    select(Base.metadata.tables[name]).order_by(Base.metadata.tables[name].c.id)
                )
            )
            for name in TABLES
        }


async def test_a_small_seed_writes_the_counts_of_its_size(db):
    summary = await seed_demo(db.engine, hashed_password="hash", size="small", seed=7)

    rows = await _snapshot(db)
    size = SIZES["small"]
    expected = {
        "users": size.operators,
        "personas": size.personas,
        "customers": size.customers,
        "conversations": size.conversations,
        "messages": size.messages,
        "appointments": size.appointments,
    }
    assert {name: len(found) for name, found in rows.items()} == expected
    assert summary.counts == expected


async def test_the_same_seed_gives_the_same_data_and_another_seed_does_not(db):
    await seed_demo(db.engine, hashed_password="hash", size="small", seed=3)
    first = await _snapshot(db)
    await seed_demo(db.engine, hashed_password="hash", size="small", seed=3, reset=True)
    again = await _snapshot(db)
    await seed_demo(db.engine, hashed_password="hash", size="small", seed=4, reset=True)
    other = await _snapshot(db)

    assert again == first
    assert other["messages"] != first["messages"]


async def test_seeded_conversations_agree_with_their_messages(db):
    await seed_demo(db.engine, hashed_password="hash", size="small", seed=1)

    async with db.engine.connect() as connection:
        latest = dict(
            (
                await connection.execute(
                    select(Message.conversation_id, func.max(Message.created_at)).group_by(
                        Message.conversation_id
                    )
                )
            ).all()
        )
        conversations = (
            await connection.execute(select(Conversation.id, Conversation.last_message_at))
        ).all()
        lengths = (
            await connection.execute(
                select(func.count()).select_from(Message).group_by(Message.conversation_id)
            )
        ).scalars()

    assert all(latest[id_] == last_message_at for id_, last_message_at in conversations)
    assert all(4 <= length <= 24 for length in lengths)


async def test_seeding_a_database_with_users_is_refused_unless_reset(db):
    await seed_demo(db.engine, hashed_password="hash", size="tiny", seed=1)

    with pytest.raises(DemoDataExists):
        await seed_demo(db.engine, hashed_password="hash", size="tiny", seed=1)
    replaced = await seed_demo(db.engine, hashed_password="hash", size="tiny", seed=2, reset=True)

    assert replaced.counts["users"] == SIZES["tiny"].operators


async def test_the_printed_demo_login_signs_in_and_sees_its_inbox(db, api, settings):
    hashed = Passwords(settings).hash_now(DEMO_PASSWORD)
    await seed_demo(db.engine, hashed_password=hashed, size="small")

    logged_in = await api.data(
        "mutation($input: LogInInput!) { logIn(input: $input) { token errors { message } } }",
        {"input": {"login": "demo", "password": DEMO_PASSWORD}},
    )
    inbox = await api.as_(logged_in["logIn"]["token"]).data(
        "{ conversations(first: 5) { totalCount edges { node { persona { name } "
        "customer { username } messageCount lastMessage { content } } } } }"
    )

    edges = inbox["conversations"]["edges"]
    assert inbox["conversations"]["totalCount"] == SIZES["small"].conversations // 3
    assert len(edges) == 5
    assert all(edge["node"]["persona"] and edge["node"]["lastMessage"] for edge in edges), edges


def test_seed_demo_explains_its_options():
    result = CliRunner().invoke(app, ["seed-demo", "--help"])

    assert result.exit_code == 0
    for option in ("--seed", "--size", "--reset"):
        assert option in result.output
