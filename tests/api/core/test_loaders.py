"""Nested connections batch: a query's SQL statement count follows its depth,
never the number of rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import (
    make_appointment,
    make_conversation,
    make_customer,
    make_persona,
    post_messages,
)

# The loader path's batching; compiled reads (one statement per root field) are
# tested in test_compiled.py.
pytestmark = pytest.mark.loader_path

MIDNIGHT = datetime(2031, 1, 1, tzinfo=UTC)
NESTED = """{ personas(first: 100) { edges { node { name
  conversations(first: 10) { totalCount edges { node { title
    messageCount
    lastMessage { content }
    messages(first: 20) { edges { node { content } } } } } } } } } }"""


async def seed_personas(seed, owner, count: int) -> None:
    """``count`` personas, each with 2 conversations of 3 messages and 1 without messages."""
    async with seed() as uow:
        for _ in range(count):
            persona = await make_persona(uow, owner)
            for _ in range(2):
                conversation = await make_conversation(uow, owner, persona)
                await post_messages(uow, conversation, "hi", "hello", "bye")
            await make_conversation(uow, owner, persona)


async def statements_of(api, db, query: str) -> tuple[int, dict]:
    with db.statements() as log:
        data = await api.data(query)
    return log.count, data


async def test_the_nested_query_costs_the_same_for_one_persona_and_for_fifty(
    operator, rival, seed, db
):
    await seed_personas(seed, operator.user, 1)
    await seed_personas(seed, rival.user, 50)

    one, one_data = await statements_of(operator.api, db, NESTED)
    fifty, fifty_data = await statements_of(rival.api, db, NESTED)

    assert len(one_data["personas"]["edges"]) == 1
    assert len(fifty_data["personas"]["edges"]) == 50
    conversations = [
        c["node"]
        for p in fifty_data["personas"]["edges"]
        for c in p["node"]["conversations"]["edges"]
    ]
    assert len(conversations) == 150
    assert sorted(c["messageCount"] for c in conversations) == [0] * 50 + [3] * 100
    assert all(
        [m["node"]["content"] for m in c["messages"]["edges"]] == ["hi", "hello", "bye"]
        for c in conversations
        if c["messageCount"]
    )
    assert all(
        c["lastMessage"] == ({"content": "bye"} if c["messageCount"] else None)
        for c in conversations
    )
    # viewer, personas page, conversation pages, conversation counts, message
    # pages, last messages: one statement each (a conversation keeps its count).
    assert one == fifty == 6


async def test_customers_with_their_conversations_and_appointments_batch_per_level(
    operator, rival, seed, db
):
    query = """{ customers(first: 30) { edges { node { externalId
      conversations(first: 5) { totalCount edges { node { persona { name } customer { id } } } }
      appointments(first: 5) { totalCount edges { node { status customer { id } } } } } } } }"""
    for who, customers in ((operator, 1), (rival, 25)):
        async with seed() as uow:
            persona = await make_persona(uow, who.user)
            for n in range(customers):
                customer = await make_customer(uow, who.user)
                await make_conversation(uow, who.user, persona, customer)
                await make_appointment(uow, who.user, customer, MIDNIGHT + timedelta(hours=n))

    one, _ = await statements_of(operator.api, db, query)
    many, data = await statements_of(rival.api, db, query)

    assert len(data["customers"]["edges"]) == 25
    assert all(
        edge["node"]["appointments"]["totalCount"] == 1 for edge in data["customers"]["edges"]
    )
    # viewer, customers page, conversation pages and counts, personas by id,
    # customers by id, appointment pages and counts
    assert one == many == 8


@pytest.mark.parametrize("first", [1, 20])
async def test_the_page_size_of_a_nested_list_does_not_change_the_statement_count(
    operator, seed, db, first
):
    await seed_personas(seed, operator.user, 3)

    count, data = await statements_of(
        operator.api,
        db,
        f"{{ conversations(first: 9) {{ edges {{ node {{ messages(first: {first}) "
        "{ edges { node { id } } } persona { name } } } } }",
    )

    messages = [len(c["node"]["messages"]["edges"]) for c in data["conversations"]["edges"]]
    assert sorted(messages) == sorted([0] * 3 + [min(first, 3)] * 6)
    # viewer, conversations page, message pages, personas by id
    assert count == 4
