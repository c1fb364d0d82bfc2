"""Keyset pagination of lists: forward with `after`, backward with `before`
from the end, every row exactly once and in order, ties broken by id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from persistence.models import Channel
from persistence.pagination import Ordering, Page, PageRequest
from persistence.repositories.conversations import (
    CONVERSATIONS_BY_ACTIVITY,
    CONVERSATIONS_NEWEST_FIRST,
    CONVERSATIONS_RECENTLY_UPDATED,
    ConversationFilter,
)
from persistence.repositories.customers import (
    CUSTOMERS_NEWEST_FIRST,
    CUSTOMERS_OLDEST_FIRST,
    CustomerFilter,
)
from persistence.scope import Scope
from persistence.unit_of_work import UnitOfWork
from tests.factories import make_conversation, make_customer, make_persona, make_user

NOON = datetime(2030, 6, 3, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)

Fetch = Callable[[UnitOfWork, PageRequest], Awaitable[Page[Any]]]


def as_a_client_would(ordering: Ordering[Any], page: Page[Any], row: Any) -> tuple[Any, ...]:
    """The row's cursor after a round trip through its serialised form."""
    return ordering.load(ordering.dump(page.key(row)))


async def walk_forward(db, fetch: Fetch, ordering: Ordering[Any], size: int) -> list[Page[Any]]:
    pages: list[Page[Any]] = []
    after = None
    for _ in range(100):
        async with db.uow() as uow:
            page = await fetch(uow, PageRequest(limit=size, after=after))
        pages.append(page)
        if not page.has_next_page:
            return pages
        after = as_a_client_would(ordering, page, page.rows[-1])
    raise AssertionError("forward pagination did not end")


async def walk_backward(db, fetch: Fetch, ordering: Ordering[Any], size: int) -> list[Page[Any]]:
    """Pages from the end towards the start, returned in reading order."""
    pages: list[Page[Any]] = []
    before = None
    for _ in range(100):
        async with db.uow() as uow:
            page = await fetch(uow, PageRequest(limit=size, before=before, from_end=True))
        pages.insert(0, page)
        if not page.has_previous_page:
            return pages
        before = as_a_client_would(ordering, page, page.rows[0])
    raise AssertionError("backward pagination did not end")


def ids(pages: list[Page[Any]]) -> list[Any]:
    return [row.id for page in pages for row in page.rows]


def in_order(rows: list[Any], ordering: Ordering[Any]) -> list[Any]:
    return [row.id for row in sorted(rows, key=ordering.key, reverse=ordering.descending)]


def list_customers(ordering: Ordering[Any], filter_: CustomerFilter | None = None) -> Fetch:
    def fetch(uow: UnitOfWork, request: PageRequest) -> Awaitable[Page[Any]]:
        return uow.customers.find(filter_ or CustomerFilter(), ordering, request)

    return fetch


def list_conversations(ordering: Ordering[Any], filter_: ConversationFilter | None = None) -> Fetch:
    def fetch(uow: UnitOfWork, request: PageRequest) -> Awaitable[Page[Any]]:
        return uow.conversations.find(filter_ or ConversationFilter(), ordering, request)

    return fetch


# Ten creation times with ties: four rows at noon, three a second later, three a second before.
TIED_TIMES = [NOON] * 4 + [NOON + SECOND] * 3 + [NOON - SECOND] * 3


async def given_customers_created_at(db, times):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        customers = [
            await make_customer(uow, owner, created_at=time, updated_at=time) for time in times
        ]
        await uow.commit()
    return customers


@pytest.mark.parametrize(
    "ordering", [CUSTOMERS_NEWEST_FIRST, CUSTOMERS_OLDEST_FIRST], ids=lambda o: o.name
)
async def test_walking_customers_forward_visits_every_row_once_in_order(db, ordering):
    customers = await given_customers_created_at(db, TIED_TIMES)

    pages = await walk_forward(db, list_customers(ordering), ordering, 3)

    assert ids(pages) == in_order(customers, ordering)
    assert [len(page.rows) for page in pages] == [3, 3, 3, 1]
    assert [page.has_next_page for page in pages] == [True, True, True, False]
    assert [page.has_previous_page for page in pages] == [False, True, True, True]


@pytest.mark.parametrize(
    "ordering", [CUSTOMERS_NEWEST_FIRST, CUSTOMERS_OLDEST_FIRST], ids=lambda o: o.name
)
async def test_walking_customers_backward_from_the_end_visits_every_row_once_in_order(db, ordering):
    customers = await given_customers_created_at(db, TIED_TIMES)

    pages = await walk_backward(db, list_customers(ordering), ordering, 3)

    assert ids(pages) == in_order(customers, ordering)
    assert [len(page.rows) for page in pages] == [1, 3, 3, 3]
    assert [page.has_previous_page for page in pages] == [False, True, True, True]
    assert [page.has_next_page for page in pages] == [True, True, True, False]


async def test_customers_that_all_share_one_creation_time_are_paged_by_id(db):
    customers = await given_customers_created_at(db, [NOON] * 11)

    forward = await walk_forward(
        db, list_customers(CUSTOMERS_NEWEST_FIRST), CUSTOMERS_NEWEST_FIRST, 3
    )
    backward = await walk_backward(
        db, list_customers(CUSTOMERS_NEWEST_FIRST), CUSTOMERS_NEWEST_FIRST, 3
    )

    expected = sorted((c.id for c in customers), reverse=True)
    assert ids(forward) == expected
    assert ids(backward) == expected


async def test_paging_customers_respects_the_filter(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        web = []
        for i in range(8):
            channel = Channel.WEB if i % 2 else Channel.TELEGRAM
            customer = await make_customer(uow, owner, channel=channel, created_at=NOON)
            if channel is Channel.WEB:
                web.append(customer)
        await uow.commit()
    fetch = list_customers(CUSTOMERS_OLDEST_FIRST, CustomerFilter(channel=Channel.WEB))

    pages = await walk_forward(db, fetch, CUSTOMERS_OLDEST_FIRST, 3)

    assert ids(pages) == in_order(web, CUSTOMERS_OLDEST_FIRST)


async def given_conversations_with_tied_activity(db):
    """Ten conversations whose activity (last message, else creation) ties in groups."""
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        persona = await make_persona(uow, owner)
        conversations = []
        for n, time in enumerate(TIED_TIMES):
            if n % 2:
                # Started long ago, but its last message makes it as recent as the others.
                conversation = await make_conversation(
                    uow,
                    owner,
                    persona,
                    created_at=time - timedelta(days=30),
                    updated_at=time,
                    last_message_at=time,
                )
            else:
                conversation = await make_conversation(
                    uow, owner, persona, created_at=time, updated_at=time
                )
            conversations.append(conversation)
        await uow.commit()
    return persona, conversations


async def test_walking_conversations_by_activity_both_ways_visits_every_row_once_in_order(db):
    _, conversations = await given_conversations_with_tied_activity(db)
    fetch = list_conversations(CONVERSATIONS_BY_ACTIVITY)

    forward = await walk_forward(db, fetch, CONVERSATIONS_BY_ACTIVITY, 3)
    backward = await walk_backward(db, fetch, CONVERSATIONS_BY_ACTIVITY, 3)

    expected = in_order(conversations, CONVERSATIONS_BY_ACTIVITY)
    assert ids(forward) == expected
    assert ids(backward) == expected
    newest_activity = [
        c.id for c in conversations if (c.last_message_at or c.created_at) == NOON + SECOND
    ]
    assert set(expected[:3]) == set(newest_activity)
    assert [page.has_next_page for page in forward] == [True, True, True, False]
    assert [page.has_previous_page for page in backward] == [False, True, True, True]


@pytest.mark.parametrize(
    "ordering", [CONVERSATIONS_NEWEST_FIRST, CONVERSATIONS_RECENTLY_UPDATED], ids=lambda o: o.name
)
async def test_walking_conversations_by_a_timestamp_both_ways_visits_every_row_once(db, ordering):
    persona, conversations = await given_conversations_with_tied_activity(db)
    fetch = list_conversations(ordering, ConversationFilter(persona_id=persona.id))

    forward = await walk_forward(db, fetch, ordering, 3)
    backward = await walk_backward(db, fetch, ordering, 3)

    expected = in_order(conversations, ordering)
    assert ids(forward) == expected
    assert ids(backward) == expected


async def test_a_window_between_two_cursors_holds_exactly_the_rows_between_them(db):
    customers = await given_customers_created_at(db, TIED_TIMES)
    expected = in_order(customers, CUSTOMERS_OLDEST_FIRST)
    by_id = {c.id: c for c in customers}
    after = CUSTOMERS_OLDEST_FIRST.key(by_id[expected[1]])
    before = CUSTOMERS_OLDEST_FIRST.key(by_id[expected[8]])

    async with db.uow() as uow:
        first = await uow.customers.find(
            CustomerFilter(),
            CUSTOMERS_OLDEST_FIRST,
            PageRequest(limit=10, after=after, before=before),
        )
        last = await uow.customers.find(
            CustomerFilter(),
            CUSTOMERS_OLDEST_FIRST,
            PageRequest(limit=2, after=after, before=before, from_end=True),
        )

    assert [c.id for c in first.rows] == expected[2:8]
    assert [c.id for c in last.rows] == expected[6:8]
    assert last.has_previous_page
    assert last.has_next_page


async def test_an_empty_list_is_one_page_with_nothing_before_or_after(db):
    async with db.uow() as uow:
        forward = await uow.customers.find(
            CustomerFilter(), CUSTOMERS_NEWEST_FIRST, PageRequest(limit=3)
        )
        backward = await uow.customers.find(
            CustomerFilter(), CUSTOMERS_NEWEST_FIRST, PageRequest(limit=3, from_end=True)
        )

    for page in (forward, backward):
        assert page.rows == []
        assert not page.has_next_page
        assert not page.has_previous_page


async def test_a_list_that_fits_one_page_has_nothing_before_or_after(db):
    await given_customers_created_at(db, [NOON] * 3)

    async with db.uow() as uow:
        page = await uow.customers.find(
            CustomerFilter(), CUSTOMERS_NEWEST_FIRST, PageRequest(limit=3)
        )

    assert len(page.rows) == 3
    assert not page.has_next_page
    assert not page.has_previous_page


async def test_a_page_after_a_cursor_is_fetched_in_one_statement(db):
    customers = await given_customers_created_at(db, TIED_TIMES)
    after = CUSTOMERS_NEWEST_FIRST.key(customers[4])

    async with db.uow() as uow:
        with db.statements() as log:
            await uow.customers.find(
                CustomerFilter(), CUSTOMERS_NEWEST_FIRST, PageRequest(limit=3, after=after)
            )

    assert log.count == 1


async def test_an_index_serves_the_inbox_order_without_sorting(db):
    # Enough of them that reading them all and sorting is not cheaper than the index.
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        for _ in range(300):
            await make_conversation(uow, owner)
        await uow.commit()
    async with db.uow(Scope.owner(owner.id)) as uow:
        statement = (
            uow.conversations._select().order_by(*CONVERSATIONS_BY_ACTIVITY.order_by()).limit(21)
        )
    sql = str(statement.compile(db.engine, compile_kwargs={"literal_binds": True}))

    async with db.engine.connect() as connection:
        if db.backend == "postgresql":
            # As autovacuum would have, so the planner knows how many rows the owner has.
            await connection.execute(text("ANALYZE conversations"))
            await connection.execute(text("SET enable_seqscan = off"))
            plan = "\n".join((await connection.execute(text(f"EXPLAIN {sql}"))).scalars())
            await connection.execute(text("RESET enable_seqscan"))
        else:
            rows = await connection.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
            plan = "\n".join(str(row[-1]) for row in rows)

    assert "ix_conversations_owner_id_activity" in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan
