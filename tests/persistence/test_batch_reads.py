"""Batch reads: many keys in, rows aligned to the keys out, one statement
whatever the number of parents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from persistence.models import new_id
from persistence.pagination import PageRequest
from persistence.repositories.appointments import APPOINTMENTS_BY_START
from persistence.repositories.conversations import (
    CONVERSATIONS_BY_ACTIVITY,
    CONVERSATIONS_NEWEST_FIRST,
)
from persistence.repositories.messages import MESSAGES_NEWEST_FIRST, MESSAGES_OLDEST_FIRST
from persistence.repositories.personas import PERSONAS_BY_NAME
from persistence.scope import Scope
from tests.factories import (
    make_appointment,
    make_conversation,
    make_customer,
    make_persona,
    make_user,
    post_messages,
)

MONDAY_9 = datetime(2030, 6, 3, 9, 0, tzinfo=UTC)


# -- get_many ---------------------------------------------------------------------


async def test_get_many_returns_rows_in_the_order_of_the_keys_with_none_for_missing(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        personas = [await make_persona(uow, owner) for _ in range(4)]
        await uow.commit()
    missing = new_id()
    keys = [personas[2].id, missing, personas[0].id, personas[3].id, personas[2].id]

    async with db.uow() as uow:
        with db.statements() as log:
            rows = await uow.personas.get_many(keys)

    assert log.count == 1
    assert [row.id if row else None for row in rows] == [
        personas[2].id,
        None,
        personas[0].id,
        personas[3].id,
        personas[2].id,
    ]


async def test_get_many_of_no_keys_runs_no_statement(db):
    async with db.uow() as uow:
        with db.statements() as log:
            rows = await uow.conversations.get_many([])

    assert rows == []
    assert log.count == 0


async def test_get_many_under_an_owner_scope_returns_none_for_another_owners_rows(db):
    async with db.uow(writes=True) as uow:
        mine, theirs = await make_user(uow), await make_user(uow)
        my_customer = await make_customer(uow, mine)
        their_customer = await make_customer(uow, theirs)
        await uow.commit()

    async with db.uow(Scope.owner(mine.id)) as uow:
        rows = await uow.customers.get_many([their_customer.id, my_customer.id])

    assert [row.id if row else None for row in rows] == [None, my_customer.id]


# -- messages per conversation ----------------------------------------------------------


async def given_conversations_with_messages(db, message_counts):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        conversations = []
        for count in message_counts:
            conversation = await make_conversation(uow, owner)
            await post_messages(
                uow, conversation, *[f"{conversation.title}/m{i}" for i in range(count)]
            )
            conversations.append(conversation)
        await uow.commit()
    return owner, conversations


async def test_pages_of_messages_for_many_conversations_take_one_statement_aligned_to_ids(db):
    _, conversations = await given_conversations_with_messages(db, [5, 0, 2, 7])
    keys = [conversations[3].id, conversations[1].id, new_id(), conversations[0].id]

    async with db.uow() as uow:
        with db.statements() as log:
            pages = await uow.messages.pages_by_conversation(
                keys, MESSAGES_NEWEST_FIRST, PageRequest(limit=3)
            )

    assert log.count == 1
    assert [len(page.rows) for page in pages] == [3, 0, 0, 3]
    assert [page.has_next_page for page in pages] == [True, False, False, True]
    assert not any(page.has_previous_page for page in pages)
    title = conversations[3].title
    assert [m.content for m in pages[0].rows] == [f"{title}/m6", f"{title}/m5", f"{title}/m4"]
    for key, page in zip(keys, pages, strict=True):
        assert all(message.conversation_id == key for message in page.rows)


async def test_per_parent_reads_are_the_same_sql_whatever_the_parent_count(db):
    """On PostgreSQL the parents are one bound array: two parents or five, the
    statement is the same text, so SQLAlchemy's compiled cache and the server's
    prepared statement serve both (SQLite expands its IN list)."""
    _, conversations = await given_conversations_with_messages(db, [1, 2, 3, 1, 2])
    ids = [c.id for c in conversations]
    texts = []
    for keys in (ids[:2], ids):
        async with db.uow() as uow:
            with db.statements() as log:
                pages = await uow.messages.pages_by_conversation(
                    keys, MESSAGES_NEWEST_FIRST, PageRequest(limit=3)
                )
                counts = await uow.messages.counts_by_conversation(keys)
                await uow.conversations.get_many(keys)
        assert [len(page.rows) for page in pages] == [1, 2, 3, 1, 2][: len(keys)]
        assert counts == [1, 2, 3, 1, 2][: len(keys)]
        texts.append(log.statements)

    assert len(texts[0]) == len(texts[1]) == 3
    if db.backend == "postgresql":
        assert texts[0] == texts[1]
    else:
        assert texts[0] != texts[1]


async def test_a_per_parent_limit_larger_than_a_conversation_returns_all_its_messages(db):
    _, conversations = await given_conversations_with_messages(db, [2, 4])

    async with db.uow() as uow:
        pages = await uow.messages.pages_by_conversation(
            [c.id for c in conversations], MESSAGES_OLDEST_FIRST, PageRequest(limit=4)
        )

    assert [len(page.rows) for page in pages] == [2, 4]
    assert [page.has_next_page for page in pages] == [False, False]
    title = conversations[1].title
    assert [m.content for m in pages[1].rows] == [f"{title}/m{i}" for i in range(4)]


async def test_fifty_conversations_get_their_newest_messages_in_one_statement(db):
    counts = [i % 7 for i in range(50)]
    _, conversations = await given_conversations_with_messages(db, counts)
    keys = [c.id for c in reversed(conversations)]

    async with db.uow() as uow:
        with db.statements() as pages_log:
            pages = await uow.messages.pages_by_conversation(
                keys, MESSAGES_NEWEST_FIRST, PageRequest(limit=4)
            )
        with db.statements() as counts_log:
            message_counts = await uow.messages.counts_by_conversation(keys)
        with db.statements() as latest_log:
            latest = await uow.messages.latest_by_conversation(keys)

    assert (pages_log.count, counts_log.count, latest_log.count) == (1, 1, 1)
    expected_counts = list(reversed(counts))
    assert [len(page.rows) for page in pages] == [min(c, 4) for c in expected_counts]
    assert [page.has_next_page for page in pages] == [c > 4 for c in expected_counts]
    assert message_counts == expected_counts
    for conversation, count, newest in zip(
        reversed(conversations), expected_counts, latest, strict=True
    ):
        if count == 0:
            assert newest is None
        else:
            assert newest.content == f"{conversation.title}/m{count - 1}"
            assert newest.conversation_id == conversation.id


async def test_a_page_after_a_cursor_continues_each_conversation_from_that_point(db):
    _, conversations = await given_conversations_with_messages(db, [6, 6])

    async with db.uow() as uow:
        first_pages = await uow.messages.pages_by_conversation(
            [conversations[0].id], MESSAGES_OLDEST_FIRST, PageRequest(limit=4)
        )
        cursor = first_pages[0].key(first_pages[0].rows[-1])
        (rest,) = await uow.messages.pages_by_conversation(
            [conversations[0].id], MESSAGES_OLDEST_FIRST, PageRequest(limit=4, after=cursor)
        )

    title = conversations[0].title
    assert [m.content for m in rest.rows] == [f"{title}/m4", f"{title}/m5"]
    assert rest.has_previous_page
    assert not rest.has_next_page


async def test_latest_message_of_each_conversation_comes_in_one_statement(db):
    _, conversations = await given_conversations_with_messages(db, [3, 0, 1])

    async with db.uow() as uow:
        with db.statements() as log:
            latest = await uow.messages.latest_by_conversation(
                [conversations[2].id, conversations[1].id, conversations[0].id]
            )

    assert log.count == 1
    assert [m.content if m else None for m in latest] == [
        f"{conversations[2].title}/m0",
        None,
        f"{conversations[0].title}/m2",
    ]


async def test_message_counts_of_many_conversations_come_in_one_statement(db):
    _, conversations = await given_conversations_with_messages(db, [3, 0, 5])
    keys = [conversations[2].id, new_id(), conversations[0].id, conversations[1].id]

    async with db.uow() as uow:
        with db.statements() as log:
            counts = await uow.messages.counts_by_conversation(keys)

    assert log.count == 1
    assert counts == [5, 0, 3, 0]


async def test_batch_reads_of_no_parents_run_no_statement(db):
    async with db.uow() as uow:
        with db.statements() as log:
            pages = await uow.messages.pages_by_conversation(
                [], MESSAGES_NEWEST_FIRST, PageRequest(limit=3)
            )
            counts = await uow.conversations.counts_by_persona([])
            latest = await uow.messages.latest_by_conversation([])

    assert (pages, counts, latest) == ([], [], [])
    assert log.count == 0


# -- conversations per persona and per customer --------------------------------------------


async def given_personas_with_conversations(db, conversation_counts):
    start = datetime(2030, 1, 1, tzinfo=UTC)
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        personas = []
        for count in conversation_counts:
            persona = await make_persona(uow, owner)
            for i in range(count):
                await make_conversation(
                    uow,
                    owner,
                    persona,
                    title=f"{persona.name}/c{i}",
                    created_at=start + timedelta(minutes=i),
                )
            personas.append(persona)
        await uow.commit()
    return owner, personas


async def test_conversations_of_many_personas_come_in_one_statement_with_per_persona_limits(db):
    _, personas = await given_personas_with_conversations(db, [4, 1, 0, 3])
    keys = [p.id for p in personas]

    async with db.uow() as uow:
        with db.statements() as log:
            pages = await uow.conversations.pages_by_persona(
                keys, CONVERSATIONS_NEWEST_FIRST, PageRequest(limit=2)
            )

    assert log.count == 1
    assert [[c.title for c in page.rows] for page in pages] == [
        [f"{personas[0].name}/c3", f"{personas[0].name}/c2"],
        [f"{personas[1].name}/c0"],
        [],
        [f"{personas[3].name}/c2", f"{personas[3].name}/c1"],
    ]
    assert [page.has_next_page for page in pages] == [True, False, False, True]


async def test_conversations_of_fifty_personas_come_in_one_statement(db):
    counts = [i % 4 for i in range(50)]
    _, personas = await given_personas_with_conversations(db, counts)
    keys = [p.id for p in personas]

    async with db.uow() as uow:
        with db.statements() as pages_log:
            pages = await uow.conversations.pages_by_persona(
                keys, CONVERSATIONS_BY_ACTIVITY, PageRequest(limit=2)
            )
        with db.statements() as counts_log:
            conversation_counts = await uow.conversations.counts_by_persona(keys)

    assert (pages_log.count, counts_log.count) == (1, 1)
    assert [len(page.rows) for page in pages] == [min(c, 2) for c in counts]
    assert conversation_counts == counts
    for persona, page in zip(personas, pages, strict=True):
        assert all(c.persona_id == persona.id for c in page.rows)


async def test_conversation_counts_per_persona_are_aligned_to_the_ids_asked_for(db):
    _, personas = await given_personas_with_conversations(db, [2, 0, 3])

    async with db.uow() as uow:
        with db.statements() as log:
            counts = await uow.conversations.counts_by_persona(
                [personas[2].id, personas[1].id, new_id(), personas[0].id]
            )

    assert log.count == 1
    assert counts == [3, 0, 0, 2]


async def test_conversations_and_appointments_per_customer_come_in_one_statement_each(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        customers = [await make_customer(uow, owner) for _ in range(3)]
        for n, customer in enumerate(customers):
            for i in range(n + 1):
                await make_conversation(uow, owner, customer=customer, title=f"{n}/{i}")
                await make_appointment(uow, owner, customer, MONDAY_9 + timedelta(hours=3 * n + i))
        await uow.commit()
    keys = [customers[2].id, customers[0].id, customers[1].id]

    async with db.uow() as uow:
        with db.statements() as log:
            conversation_pages = await uow.conversations.pages_by_customer(
                keys, CONVERSATIONS_NEWEST_FIRST, PageRequest(limit=2)
            )
        statements = [log.count]
        with db.statements() as log:
            conversation_counts = await uow.conversations.counts_by_customer(keys)
        statements.append(log.count)
        with db.statements() as log:
            appointment_pages = await uow.appointments.pages_by_customer(
                keys, APPOINTMENTS_BY_START, PageRequest(limit=2)
            )
        statements.append(log.count)
        with db.statements() as log:
            appointment_counts = await uow.appointments.counts_by_customer(keys)
        statements.append(log.count)

    assert statements == [1, 1, 1, 1]
    assert [len(page.rows) for page in conversation_pages] == [2, 1, 2]
    assert conversation_counts == [3, 1, 2]
    assert [len(page.rows) for page in appointment_pages] == [2, 1, 2]
    assert appointment_counts == [3, 1, 2]
    assert [a.starts_at for a in appointment_pages[0].rows] == [
        MONDAY_9 + timedelta(hours=6),
        MONDAY_9 + timedelta(hours=7),
    ]
    for key, page in zip(keys, appointment_pages, strict=True):
        assert all(a.customer_id == key for a in page.rows)


async def test_personas_of_many_owners_come_in_one_statement(db):
    async with db.uow(writes=True) as uow:
        owners = [await make_user(uow) for _ in range(3)]
        for n, owner in enumerate(owners):
            for name in ["Zed", "Amy", "Kim"][: n + 1]:
                await make_persona(uow, owner, name=name)
        await uow.commit()
    keys = [owners[2].id, owners[0].id, new_id(), owners[1].id]

    async with db.uow() as uow:
        with db.statements() as pages_log:
            pages = await uow.personas.pages_by_owner(keys, PERSONAS_BY_NAME, PageRequest(limit=2))
        with db.statements() as counts_log:
            counts = await uow.personas.counts_by_owner(keys)

    assert (pages_log.count, counts_log.count) == (1, 1)
    assert [[p.name for p in page.rows] for page in pages] == [
        ["Amy", "Kim"],
        ["Zed"],
        [],
        ["Amy", "Zed"],
    ]
    assert [page.has_next_page for page in pages] == [True, False, False, False]
    assert counts == [3, 1, 0, 2]
