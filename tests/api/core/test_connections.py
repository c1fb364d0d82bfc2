"""Relay pagination over HTTP: forward and backward walks visit every row once, in
order, for every orderBy; cursors only resume the list they came from; page sizes
are capped."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from persistence.models import AppointmentStatus, Conversation, Message
from tests.api.wire import global_id, refusal
from tests.conftest import Operator, Seed
from tests.factories import (
    make_appointment,
    make_conversation,
    make_customer,
    make_file,
    make_persona,
    make_user,
    post_messages,
)

T0 = datetime(2030, 1, 1, tzinfo=UTC)
ROWS = 11  # with pages of 3: two full pages each way, and a short one
PAGE = """edges { cursor node { id } }
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor } totalCount"""
ARGS = "first: $first, after: $after, last: $last, before: $before"
VARIABLES = "$first: Int, $after: String, $last: Int, $before: String"


def tied(index: int) -> datetime:
    """Timestamps shared by three rows at a time, so the id must break the ties."""
    return T0 + timedelta(minutes=index // 3)


def ids(type_name: str, rows: list[Any], key: Callable[[Any], Any], *, desc: bool) -> list[str]:
    return [global_id(type_name, row.id) for row in sorted(rows, key=key, reverse=desc)]


@dataclass
class Listing:
    """One connection to walk: its field text and the rows it must yield, in order."""

    field: str  # e.g. "personas(orderBy: NAME_ASC, {args}) {{ {page} }}"
    expected: list[str]
    variables: dict[str, Any]
    path: tuple[str, ...]


Seeder = Callable[[Seed, Operator], Awaitable[Listing]]


def root(name: str, order: str | None, expected: list[str]) -> Listing:
    order_by = f"orderBy: {order}, " if order else ""
    return Listing(f"{name}({order_by}{ARGS}) {{ {PAGE} }}", expected, {}, (name,))


async def personas(seed: Seed, me: Operator, order: str) -> Listing:
    names = [f"persona {n:02}" for n in range(ROWS)]
    random.Random(7).shuffle(names)
    async with seed() as uow:
        rows = [
            await make_persona(uow, me.user, name=name, created_at=tied(i))
            for i, name in enumerate(names)
        ]
    key = (lambda r: (r.name, r.id)) if order == "NAME_ASC" else (lambda r: (r.created_at, r.id))
    return root("personas", order, ids("Persona", rows, key, desc=order != "NAME_ASC"))


async def customers(seed: Seed, me: Operator, order: str) -> Listing:
    async with seed() as uow:
        rows = [await make_customer(uow, me.user, created_at=tied(i)) for i in range(ROWS)]
    expected = ids("Customer", rows, lambda r: (r.created_at, r.id), desc=order.endswith("DESC"))
    return root("customers", order, expected)


async def conversations(seed: Seed, me: Operator, order: str) -> Listing:
    async with seed() as uow:
        rows = [
            await make_conversation(
                uow,
                me.user,
                created_at=tied(i),
                updated_at=tied(ROWS - i),
                # every other conversation has a message, some of them tied
                last_message_at=tied(2 * i) if i % 2 else None,
            )
            for i in range(ROWS)
        ]

    def activity(row: Conversation) -> tuple[datetime, Any]:
        return (row.last_message_at or row.created_at, row.id)

    keys: dict[str, Callable[[Conversation], Any]] = {
        "LAST_MESSAGE_AT_DESC": activity,
        "CREATED_AT_DESC": lambda r: (r.created_at, r.id),
        "UPDATED_AT_DESC": lambda r: (r.updated_at, r.id),
    }
    return root("conversations", order, ids("Conversation", rows, keys[order], desc=True))


async def appointments(seed: Seed, me: Operator, order: str) -> Listing:
    async with seed() as uow:
        customer = await make_customer(uow, me.user)
        # Cancelled appointments may share a start time, which puts ties in the order.
        rows = [
            await make_appointment(
                uow, me.user, customer, tied(i), status=AppointmentStatus.CANCELLED
            )
            for i in range(ROWS)
        ]
    expected = ids("Appointment", rows, lambda r: (r.starts_at, r.id), desc=order.endswith("DESC"))
    return root("appointments", order, expected)


async def messages(seed: Seed, me: Operator, order: str) -> Listing:
    async with seed() as uow:
        conversation = await make_conversation(uow, me.user)
        rows: list[Message] = []
        for n in range(ROWS):  # one append per message: separate timestamps
            rows += await post_messages(uow, conversation, f"m{n}")
    expected = ids("Message", rows, lambda r: (r.created_at, r.id), desc=order.endswith("DESC"))
    field = (
        f"node(id: $id) {{ ... on Conversation {{ messages(orderBy: {order}, {ARGS}) "
        f"{{ {PAGE} }} }} }}"
    )
    return Listing(
        field, expected, {"id": global_id("Conversation", conversation.id)}, ("node", "messages")
    )


async def users(seed: Seed, me: Operator, order: None) -> Listing:
    async with seed() as uow:
        rows = [await make_user(uow, created_at=tied(i)) for i in range(ROWS - 1)]
        rows.append(await uow.users.get(me.user.id))
    return root("users", None, ids("User", rows, lambda r: (r.created_at, r.id), desc=False))


async def files(seed: Seed, me: Operator, order: None) -> Listing:
    async with seed() as uow:
        rows = [await make_file(uow, me.user, created_at=tied(i)) for i in range(ROWS)]
    return root("files", None, ids("File", rows, lambda r: (r.created_at, r.id), desc=True))


CASES: list[tuple[Seeder, str | None]] = [
    (personas, "NAME_ASC"),
    (personas, "CREATED_AT_DESC"),
    (customers, "CREATED_AT_DESC"),
    (customers, "CREATED_AT_ASC"),
    (conversations, "LAST_MESSAGE_AT_DESC"),
    (conversations, "CREATED_AT_DESC"),
    (conversations, "UPDATED_AT_DESC"),
    (appointments, "STARTS_AT_ASC"),
    (appointments, "STARTS_AT_DESC"),
    (messages, "CREATED_AT_ASC"),
    (messages, "CREATED_AT_DESC"),
    (users, None),
    (files, None),
]


def case_id(case: tuple[Seeder, str | None]) -> str:
    return f"{case[0].__name__}-{case[1] or 'default'}"


async def fetch(me: Operator, listing: Listing, **arguments: Any) -> dict[str, Any]:
    extra = "".join(f", ${name}: ID!" for name in listing.variables)
    query = f"query({VARIABLES}{extra}) {{ {listing.field} }}"
    data = await me.api.data(query, listing.variables | arguments)
    for step in listing.path:
        data = data[step]
    return data


@pytest.fixture
async def admin_walker(sign_in) -> Operator:
    from persistence.models import Role

    return await sign_in(Role.ADMIN, created_at=T0 + timedelta(days=1))


@pytest.mark.parametrize("case", CASES, ids=case_id)
async def test_walks_forward_and_backward_visit_every_row_once_in_order(seed, admin_walker, case):
    seeder, order = case
    listing = await seeder(seed, admin_walker, order)

    forward: list[str] = []
    after = None
    while True:
        page = await fetch(admin_walker, listing, first=3, after=after)
        forward += [edge["node"]["id"] for edge in page["edges"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        assert page["totalCount"] == ROWS
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]

    backward: list[str] = []
    before = None
    while True:
        page = await fetch(admin_walker, listing, last=3, before=before)
        backward = [edge["node"]["id"] for edge in page["edges"]] + backward
        assert page["pageInfo"]["hasNextPage"] is (before is not None)
        if not page["pageInfo"]["hasPreviousPage"]:
            break
        before = page["pageInfo"]["startCursor"]

    assert forward == listing.expected
    assert backward == listing.expected


async def test_after_and_before_together_bound_a_window(seed, operator):
    listing = await customers(seed, operator, "CREATED_AT_ASC")
    everything = await fetch(operator, listing, first=ROWS)
    cursors = [edge["cursor"] for edge in everything["edges"]]

    window = await fetch(operator, listing, first=10, after=cursors[2], before=cursors[7])
    tail = await fetch(operator, listing, last=2, after=cursors[2], before=cursors[7])

    assert [e["node"]["id"] for e in window["edges"]] == listing.expected[3:7]
    assert [e["node"]["id"] for e in tail["edges"]] == listing.expected[5:7]


async def test_lists_default_to_pages_of_twenty(seed, operator):
    async with seed() as uow:
        for _ in range(25):
            await make_customer(uow, operator.user)

    data = await operator.api.data(
        "{ customers { totalCount edges { node { id } } pageInfo { hasNextPage } } }"
    )

    assert len(data["customers"]["edges"]) == 20
    assert data["customers"]["totalCount"] == 25
    assert data["customers"]["pageInfo"]["hasNextPage"] is True


async def test_an_empty_list_has_an_empty_page(operator):
    data = await operator.api.data(f"query({VARIABLES}) {{ personas({ARGS}) {{ {PAGE} }} }}")

    assert data["personas"] == {
        "edges": [],
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
        "totalCount": 0,
    }


# -- refusals -----------------------------------------------------------------------


async def cursor_of(me: Operator, field: str) -> str:
    data = await me.api.data(f"{{ {field} {{ pageInfo {{ endCursor }} }} }}")
    (connection,) = data.values()
    return connection["pageInfo"]["endCursor"]


@pytest.mark.parametrize(
    ("issued_by", "used_with"),
    [
        ("personas(first: 1, orderBy: NAME_ASC)", "personas(orderBy: CREATED_AT_DESC"),
        ("personas(first: 1, filter: {isActive: true})", "personas(filter: {isActive: false}"),
        ('personas(first: 1, filter: {nameContains: "a"})', "personas("),
        ("personas(first: 1, orderBy: CREATED_AT_DESC)", "customers(orderBy: CREATED_AT_DESC"),
        ("customers(first: 1)", "customers(filter: {channel: WEB}"),
        ("conversations(first: 1)", "conversations(orderBy: CREATED_AT_DESC"),
    ],
)
async def test_a_cursor_from_another_filter_or_order_is_rejected_clearly(
    seed, operator, issued_by, used_with
):
    async with seed() as uow:
        for n in range(2):
            await make_persona(uow, operator.user, name=f"ana {n}")
            await make_customer(uow, operator.user)
            await make_conversation(uow, operator.user)
    cursor = await cursor_of(operator, issued_by)

    for argument in ("after", "before"):
        body = await operator.api.query(
            f"query($c: String) {{ {used_with} {argument}: $c) {{ totalCount }} }}", {"c": cursor}
        )

        assert refusal(body) == (
            "BAD_USER_INPUT",
            f"`{argument}` was issued for a different filter or order of this list",
        )


async def test_a_cursor_of_one_parents_list_is_rejected_for_another_parent(seed, operator):
    async with seed() as uow:
        first = await make_conversation(uow, operator.user)
        second = await make_conversation(uow, operator.user)
        await post_messages(uow, first, "a", "b")
        await post_messages(uow, second, "c", "d")
    query = """query($id: ID!, $after: String) { node(id: $id) { ... on Conversation {
      messages(first: 1, after: $after) { edges { node { content } } pageInfo { endCursor } }
    } } }"""
    page = await operator.api.data(query, {"id": global_id("Conversation", first.id)})
    cursor = page["node"]["messages"]["pageInfo"]["endCursor"]

    body = await operator.api.query(
        query, {"id": global_id("Conversation", second.id), "after": cursor}
    )

    code, message = refusal(body)
    assert code == "BAD_USER_INPUT"
    assert "different filter or order" in message


@pytest.mark.parametrize(
    "cursor",
    ["not base64!", "bm90IGpzb24=", "WyJOQU1FX0FTQyJd", "WyJOQU1FX0FTQyIsICJ4Il0="],
)
async def test_a_malformed_cursor_is_rejected_clearly(operator, cursor):
    body = await operator.api.query(
        "query($c: String) { personas(after: $c) { totalCount } }", {"c": cursor}
    )

    code, message = refusal(body)
    assert code == "BAD_USER_INPUT"
    assert message in {
        "`after` is not a valid cursor",
        "`after` was issued for a different filter or order of this list",
    }


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ("first: 101", "`first` must be between 0 and 100"),
        ("last: 101", "`last` must be between 0 and 100"),
        ("first: -1", "`first` must be between 0 and 100"),
        ("first: 1, last: 1", "pass either `first` or `last`, not both"),
    ],
)
@pytest.mark.parametrize(
    "field",
    [
        "personas({args}) {{ totalCount }}",
        "viewer {{ personas({args}) {{ totalCount }} }}",
        "conversations {{ edges {{ node {{ messages({args}) {{ totalCount }} }} }} }}",
    ],
)
async def test_page_sizes_over_the_cap_are_a_clear_error(seed, operator, field, arguments, message):
    async with seed() as uow:
        await make_conversation(uow, operator.user)

    body = await operator.api.query(f"{{ {field.format(args=arguments)} }}")

    assert refusal(body) == ("BAD_USER_INPUT", message)


async def test_a_hundred_is_allowed(seed, operator):
    async with seed() as uow:
        for _ in range(101):
            await make_customer(uow, operator.user)

    data = await operator.api.data("{ customers(first: 100) { edges { node { id } } } }")

    assert len(data["customers"]["edges"]) == 100


async def test_a_nested_lists_arguments_are_judged_for_each_parent_at_its_own_path(seed, operator):
    """The arguments of a nested list's field are coerced once per request (the same
    node for every parent), yet each parent's page applies them on its own: a
    cursor resumes only its own parent's list, and every refusal is located."""
    async with seed() as uow:
        first = await make_conversation(uow, operator.user)
        second = await make_conversation(uow, operator.user)
        await post_messages(uow, first, "a", "b")
        await post_messages(uow, second, "c", "d")
    ids = [global_id("Conversation", first.id), global_id("Conversation", second.id)]
    own = """query($id: ID!) { node(id: $id) { ... on Conversation {
      messages(first: 1) { pageInfo { endCursor } } } } }"""
    page = await operator.api.data(own, {"id": ids[0]})
    cursor = page["node"]["messages"]["pageInfo"]["endCursor"]
    nested = """query($ids: [ID!]!, $after: String, $first: Int) { nodes(ids: $ids) {
      ... on Conversation { messages(first: $first, after: $after) {
        edges { node { content } } } } } }"""

    resumed = await operator.api.query(nested, {"ids": ids, "after": cursor, "first": 1})
    malformed = await operator.api.query(nested, {"ids": ids, "after": "bm90IGpzb24="})

    nodes = resumed["data"]["nodes"]
    assert [edge["node"]["content"] for edge in nodes[0]["messages"]["edges"]] == ["b"]
    assert nodes[1] is None
    [refused] = resumed["errors"]
    assert refused["path"] == ["nodes", 1, "messages"]
    assert "different filter or order" in refused["message"]
    assert malformed["data"] == {"nodes": [None, None]}
    assert [(error["path"], error["message"]) for error in malformed["errors"]] == [
        (["nodes", index, "messages"], "`after` is not a valid cursor") for index in (0, 1)
    ]
