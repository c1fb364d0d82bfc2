"""Records name exactly their table's columns, so a migration cannot leave one
behind; the loaders' reads return records equal to the rows the models read, from
statements built once whatever the ids, owners, page sizes and cursors."""

from __future__ import annotations

from datetime import UTC
from typing import Any

import pytest

from persistence.models import Conversation, Customer, Message, MessageRole, Persona, new_id
from persistence.pagination import PageRequest
from persistence.records import (
    ConversationRecord,
    CustomerRecord,
    MessageRecord,
    PersonaRecord,
    record_columns,
)
from persistence.repositories import base
from persistence.repositories.conversations import CONVERSATIONS_BY_ACTIVITY, ConversationFilter
from persistence.repositories.customers import CUSTOMERS_NEWEST_FIRST, CustomerFilter
from persistence.repositories.messages import MESSAGES_NEWEST_FIRST
from persistence.repositories.personas import PERSONAS_BY_NAME, PersonaFilter
from persistence.scope import Scope
from tests.factories import (
    make_conversation,
    make_customer,
    make_persona,
    make_user,
    post_messages,
)

RECORDS = [
    (MessageRecord, Message),
    (ConversationRecord, Conversation),
    (PersonaRecord, Persona),
    (CustomerRecord, Customer),
]


@pytest.mark.parametrize(("record", "model"), RECORDS, ids=lambda value: value.__name__)
def test_a_record_has_every_column_of_its_table_and_nothing_else(record, model):
    assert set(record_columns(record)) == set(model.__table__.columns.keys())


def columns_of(row: Any, record: type[Any]) -> dict[str, Any]:
    return {name: getattr(row, name) for name in record_columns(record)}


def as_columns(rows: list[Any], record: type[Any]) -> list[dict[str, Any] | None]:
    return [columns_of(row, record) if row is not None else None for row in rows]


async def given_an_operator_with_threads(db):
    """An operator with two personas, two customers and three conversations with
    messages, and another operator with a conversation of their own."""
    async with db.uow(writes=True) as uow:
        owner, other = await make_user(uow), await make_user(uow)
        personas = [
            await make_persona(uow, owner, ai_settings={"model": "m", "temperature": 0.1}),
            await make_persona(uow, owner, description="second", is_active=False),
        ]
        customers = [
            await make_customer(uow, owner, username="ada"),
            await make_customer(uow, owner, email="bob@example.com"),
        ]
        conversations = [
            await make_conversation(uow, owner, personas[0], customers[0]),
            await make_conversation(
                uow, owner, personas[0], customers[1], provider_config={"k": [1, 2]}
            ),
            await make_conversation(uow, owner, personas[1], customers[0]),
        ]
        for index, conversation in enumerate(conversations):
            await post_messages(uow, conversation, *(f"m{index}-{n}" for n in range(index + 2)))
        foreign = await make_conversation(uow, other, await make_persona(uow, other))
        await uow.commit()
    return owner, personas, customers, conversations, foreign


async def test_records_by_id_equal_the_rows_the_models_read_aligned_to_the_keys(db):
    owner, personas, customers, conversations, foreign = await given_an_operator_with_threads(db)
    keys = [conversations[2].id, new_id(), foreign.id, conversations[0].id, conversations[2].id]

    async with db.uow(Scope.owner(owner.id)) as uow:
        with db.statements() as log:
            records = await uow.conversations.read_many(keys)
        rows = await uow.conversations.get_many(keys)
        persona_records = await uow.personas.read_many([p.id for p in personas])
        persona_rows = await uow.personas.get_many([p.id for p in personas])
        customer_records = await uow.customers.read_many([c.id for c in customers])
        customer_rows = await uow.customers.get_many([c.id for c in customers])

    assert log.count == 1
    assert all(isinstance(r, ConversationRecord) for r in records if r is not None)
    assert [r is None for r in records] == [False, True, True, False, False]
    assert as_columns(records, ConversationRecord) == as_columns(rows, ConversationRecord)
    assert as_columns(persona_records, PersonaRecord) == as_columns(persona_rows, PersonaRecord)
    assert as_columns(customer_records, CustomerRecord) == as_columns(customer_rows, CustomerRecord)
    assert {type(r.channel) for r in customer_records} == {type(customers[0].channel)}


async def test_record_pages_equal_the_model_pages_in_every_direction_and_from_a_cursor(db):
    owner, personas, _customers, conversations, _foreign = await given_an_operator_with_threads(db)
    parents = [personas[1].id, new_id(), personas[0].id]
    async with db.uow(Scope.owner(owner.id)) as uow:
        newest = (
            await uow.conversations.pages_by_persona(
                parents, CONVERSATIONS_BY_ACTIVITY, PageRequest(limit=1)
            )
        )[2].rows[0]
        cursor = CONVERSATIONS_BY_ACTIVITY.key(newest)
        requests = [
            PageRequest(limit=1),
            PageRequest(limit=5),
            PageRequest(limit=1, from_end=True),
            PageRequest(limit=5, after=cursor),
            PageRequest(limit=5, before=cursor, from_end=True),
        ]
        for request in requests:
            records = await uow.conversations.pages_by_persona(
                parents, CONVERSATIONS_BY_ACTIVITY, request
            )
            rows = await uow.conversations._pages_by_parent(
                Conversation.persona_id, parents, CONVERSATIONS_BY_ACTIVITY, request
            )
            assert [
                (as_columns(p.rows, ConversationRecord), p.has_next_page, p.has_previous_page)
                for p in records
            ] == [
                (as_columns(p.rows, ConversationRecord), p.has_next_page, p.has_previous_page)
                for p in rows
            ], request
        messages = await uow.messages.pages_by_conversation(
            [c.id for c in conversations], MESSAGES_NEWEST_FIRST, PageRequest(limit=2)
        )
        message_rows = await uow.messages._pages_by_parent(
            Message.conversation_id,
            [c.id for c in conversations],
            MESSAGES_NEWEST_FIRST,
            PageRequest(limit=2),
        )

    assert [as_columns(p.rows, MessageRecord) for p in messages] == [
        as_columns(p.rows, MessageRecord) for p in message_rows
    ]
    assert {type(m.role) for p in messages for m in p.rows} == {MessageRole}


async def test_root_record_pages_equal_the_model_pages_with_their_filters(db):
    owner, personas, _customers, _conv, _foreign = await given_an_operator_with_threads(db)
    async with db.uow(Scope.owner(owner.id)) as uow:
        cases = [
            (uow.conversations, ConversationFilter(), CONVERSATIONS_BY_ACTIVITY),
            (
                uow.conversations,
                ConversationFilter(persona_id=personas[0].id),
                CONVERSATIONS_BY_ACTIVITY,
            ),
            (uow.personas, PersonaFilter(is_active=False), PERSONAS_BY_NAME),
            (uow.personas, PersonaFilter(name_contains="persona"), PERSONAS_BY_NAME),
            (uow.customers, CustomerFilter(search="BOB"), CUSTOMERS_NEWEST_FIRST),
        ]
        for repository, filter_, ordering in cases:
            record = repository.record_type
            for request in (PageRequest(limit=1), PageRequest(limit=10, from_end=True)):
                page = await repository.find(filter_, ordering, request)
                rows = await repository.page(ordering, request, *filter_.conditions())
                assert as_columns(page.rows, record) == as_columns(rows.rows, record)
                assert (page.has_next_page, page.has_previous_page) == (
                    rows.has_next_page,
                    rows.has_previous_page,
                )
                assert all(isinstance(row, record) for row in page.rows)


async def test_a_record_read_is_built_once_whatever_its_ids_owner_and_page_size(db):
    first_owner, personas, _c, conversations, foreign = await given_an_operator_with_threads(db)
    runs = [
        (first_owner.id, [conversations[0].id], [personas[0].id], 1),
        (foreign.owner_id, [foreign.id, new_id(), conversations[1].id], [foreign.persona_id], 7),
    ]
    logged: list[list[str]] = []
    built: list[int] = []
    for owner_id, ids, parents, size in runs:
        async with db.uow(Scope.owner(owner_id)) as uow:
            with db.statements() as log:
                await uow.conversations.read_many(ids)
                await uow.conversations.pages_by_persona(
                    parents, CONVERSATIONS_BY_ACTIVITY, PageRequest(limit=size)
                )
                await uow.conversations.find(
                    ConversationFilter(persona_id=parents[0]),
                    CONVERSATIONS_BY_ACTIVITY,
                    PageRequest(limit=size),
                )
        logged.append(log.statements)
        built.append(len(base._built))

    assert len(logged[0]) == len(logged[1]) == 3
    assert built[0] == built[1]
    if db.backend == "postgresql":  # SQLite's IN lists one placeholder per id
        assert logged[0] == logged[1]


async def test_record_timestamps_are_aware_and_in_utc_on_every_backend(db):
    owner, _personas, _customers, conversations, _foreign = await given_an_operator_with_threads(db)
    async with db.uow(Scope.owner(owner.id)) as uow:
        (page,) = await uow.messages.pages_by_conversation(
            [conversations[1].id], MESSAGES_NEWEST_FIRST, PageRequest(limit=5)
        )
        (conversation,) = await uow.conversations.read_many([conversations[1].id])

    instants = [m.created_at for m in page.rows] + [m.updated_at for m in page.rows]
    instants += [conversation.created_at, conversation.last_message_at]
    assert len(instants) == 8
    assert all(instant.tzinfo is UTC for instant in instants)
