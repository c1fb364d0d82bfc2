"""A mutation is all or nothing: one that fails halfway, for an expected reason or a
database error, leaves the database as it found it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from tests.api.steps import add_customer, book, booked, days_ahead, set_schedule
from tests.api.wire import ERRORS, global_id, user_errors
from tests.factories import make_conversation, make_persona, post_messages

POST = f"""mutation($input: PostMessagesInput!) {{
  postMessages(input: $input) {{ messages {{ id }} conversation {{ lastMessageAt }} {ERRORS} }}
}}"""


@contextmanager
def failing_statement(engine: Any, verb: str, table: str) -> Iterator[list[str]]:
    """Make the database reject the statements that ``verb`` (e.g. ``INSERT INTO``)
    ``table`` by pointing them at a table that does not exist; yields the statements
    that ran until then."""
    seen: list[str] = []
    prefix = f"{verb} {table}"

    def rewrite(_conn, _cursor, statement, parameters, _context, _many):
        if statement.lstrip().startswith(prefix):
            return statement.replace(table, "no_such_table", 1), parameters
        seen.append(statement)
        return statement, parameters

    event.listen(engine.sync_engine, "before_cursor_execute", rewrite, retval=True)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", rewrite)


async def stored_state(db, conversation_id) -> tuple[int, int, Any]:
    async with db.uow() as uow:
        (count,) = await uow.messages.counts_by_conversation([conversation_id])
        conversation = await uow.conversations.get(conversation_id)
    return count, conversation.message_count, conversation.last_message_at


async def test_a_later_invalid_message_stops_the_whole_post(operator, seed, db):
    async with seed() as uow:
        conversation = await make_conversation(uow, operator.user)
        await post_messages(uow, conversation, "earlier")
    before = await stored_state(db, conversation.id)

    data = await operator.api.data(
        POST,
        {
            "input": {
                "conversationId": global_id("Conversation", conversation.id),
                "messages": [
                    {"role": "USER", "content": "fine"},
                    {"role": "ASSISTANT", "content": "also fine"},
                    {"role": "USER", "content": "x" * 100_001},
                ],
            }
        },
    )

    assert user_errors(data["postMessages"]) == [
        ("ValidationError", "VALIDATION", "input.messages[2].content")
    ]
    assert await stored_state(db, conversation.id) == before


async def test_a_database_error_halfway_through_a_post_rolls_every_write_back(operator, seed, db):
    async with seed() as uow:
        conversation = await make_conversation(uow, operator.user)
        await post_messages(uow, conversation, "earlier")
    before = await stored_state(db, conversation.id)

    with failing_statement(db.engine, "UPDATE", "conversations") as ran:
        body = await operator.api.query(
            POST,
            {
                "input": {
                    "conversationId": global_id("Conversation", conversation.id),
                    "messages": [
                        {"role": "USER", "content": "one"},
                        {"role": "ASSISTANT", "content": "two"},
                    ],
                }
            },
        )

    # The messages were already written when the conversation's update failed.
    assert any(s.lstrip().startswith("INSERT INTO messages") for s in ran), ran
    assert body["data"] is None
    assert [error["message"] for error in body["errors"]] == ["Unexpected error."]
    assert await stored_state(db, conversation.id) == before == (1, 1, before[2])


async def test_a_database_error_in_a_persona_update_leaves_it_unchanged(operator, seed, db):
    async with seed() as uow:
        persona = await make_persona(uow, operator.user, name="Ada")

    with failing_statement(db.engine, "UPDATE", "personas"):
        body = await operator.api.query(
            f"""mutation($id: ID!) {{ updatePersona(input: {{id: $id, name: "Bea"}}) {{
                 persona {{ name }} {ERRORS} }} }}""",
            {"id": global_id("Persona", persona.id)},
        )

    assert body["errors"][0]["message"] == "Unexpected error."
    async with db.uow() as uow:
        assert (await uow.personas.get(persona.id)).name == "Ada"


async def test_a_failed_mutation_does_not_undo_or_block_the_next_one_in_the_request(
    operator, seed, db
):
    async with seed() as uow:
        await make_persona(uow, operator.user, name="Ada")

    data = await operator.api.data(
        f"""mutation {{
          taken: createPersona(input: {{name: "Ada", systemPrompt: "Hi"}}) {{ {ERRORS} }}
          fresh: createPersona(input: {{name: "Bea", systemPrompt: "Hi"}}) {{
            persona {{ name }} {ERRORS} }}
        }}"""
    )

    assert user_errors(data["taken"]) == [("ConflictError", "CONFLICT", "input.name")]
    assert data["fresh"]["persona"] == {"name": "Bea"}
    async with db.uow() as uow:
        assert await uow.personas.count() == 2


async def test_an_overlapping_booking_leaves_no_appointment_behind(operator, db):
    await set_schedule(operator.api)
    customer = await add_customer(operator.api)
    day = days_ahead(3)
    ten = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)

    await booked(operator.api, customer, ten, 60)
    refused = await book(operator.api, customer, ten + timedelta(minutes=30), 60)

    assert user_errors(refused) == [("SlotUnavailable", "SLOT_UNAVAILABLE", "input.startsAt")]
    async with db.uow() as uow:
        assert await uow.appointments.count() == 1
