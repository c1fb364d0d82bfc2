"""Compiled reads: one statement per root field on PostgreSQL, the loader path on
SQLite, with the switch off, and for any selection they do not cover; which path
a request took is in its ``Server-Timing`` header and its log line.

That both paths give the same bytes is checked for every query of the suite
(the twin app in tests/conftest.py); here are the costs and the edges."""

from __future__ import annotations

import logging

import asyncpg
import pytest

from gql.api.core import compiled
from gql.api.core.observation import Observation
from tests.api.wire import global_id
from tests.conftest import serving
from tests.factories import make_conversation, make_customer, make_persona, post_messages

NESTED = """{ personas(first: 100) { edges { node { name
  conversations(first: 10) { totalCount edges { node { title
    messageCount
    lastMessage { content }
    messages(first: 20) { edges { node { content } } } } } } } } } }"""


def read_path(response) -> str:
    timing = response.headers["server-timing"]
    return timing.split('read;desc="')[1].split('"')[0]


def expected_path(db) -> str:
    return "compiled" if db.backend == "postgresql" else "loader"


async def seed_personas(seed, owner, count: int) -> None:
    async with seed() as uow:
        for _ in range(count):
            persona = await make_persona(uow, owner)
            for _ in range(2):
                conversation = await make_conversation(uow, owner, persona)
                await post_messages(uow, conversation, "hi", "hello", "bye")
            await make_conversation(uow, owner, persona)


async def test_a_nested_read_is_one_statement_whatever_the_rows(operator, rival, seed, db):
    await seed_personas(seed, operator.user, 1)
    await seed_personas(seed, rival.user, 20)
    for who in (operator, rival):
        await who.api.data("{ viewer { id } }")  # the viewer is cached from here on

    counts = []
    for who in (operator, rival):
        with db.statements() as log:
            response = await who.api.post(NESTED)
        assert response.status_code == 200 and "errors" not in response.json()
        assert read_path(response) == expected_path(db)
        counts.append(log.count)

    if db.backend == "postgresql":
        assert counts == [1, 1]
    else:  # the loader path: one statement per level, as tests/api/core/test_loaders.py shows
        assert counts[0] == counts[1] > 1


async def test_sibling_nodes_are_read_in_one_statement(operator, seed, db):
    async with seed() as uow:
        persona = await make_persona(uow, operator.user)
        customer = await make_customer(uow, operator.user)
        first = await make_conversation(uow, operator.user, persona, customer, title="first")
        second = await make_conversation(uow, operator.user, persona, customer, title="second")
    await operator.api.data("{ viewer { id } }")
    query = """query($a: ID!, $b: ID!, $c: ID!) {
      a: node(id: $a) { ... on Conversation { title persona { name } } }
      b: node(id: $b) { ... on Conversation { title customer { externalId } } }
      c: node(id: $c) { __typename ... on Conversation { title } }
      all: nodes(ids: [$a, $b, $c]) { id ... on Persona { name } }
    }"""
    ids = {
        "a": global_id("Conversation", first.id),
        "b": global_id("Conversation", second.id),
        "c": global_id("Persona", persona.id),
    }

    with db.statements() as log:
        response = await operator.api.post(query, ids)

    data = response.json()["data"]
    assert data["a"] == {"title": "first", "persona": {"name": persona.name}}
    assert data["b"] == {"title": "second", "customer": {"externalId": customer.external_id}}
    assert data["c"] == {"__typename": "Persona"}
    assert data["all"][2] == {"id": ids["c"], "name": persona.name}
    assert read_path(response) == expected_path(db)
    if db.backend == "postgresql":
        # one statement per shape of conversation and of persona asked for
        assert log.count == 5


async def test_a_selection_compiled_reads_do_not_cover_takes_the_loader_path(operator, seed, db):
    async with seed() as uow:
        persona = await make_persona(uow, operator.user)
        conversation = await make_conversation(uow, operator.user, persona)
        await post_messages(uow, conversation, "hi")
    # JSON and Float fields, and a nested cursor, have no exact writing in SQL.
    for query in (
        "{ conversations { edges { node { providerConfig } } } }",
        "{ personas { edges { node { aiSettings { temperature } } } } }",
        '{ conversations { edges { node { messages(after: "x") { totalCount } } } } }',
        "{ conversations { edges { node { messages { edges { node { extraData } } } } } } }",
    ):
        response = await operator.api.post(query)

        assert read_path(response) == "loader", query


async def test_a_nested_page_size_out_of_range_is_refused_where_it_is(operator, seed):
    async with seed() as uow:
        await make_conversation(uow, operator.user, await make_persona(uow, operator.user))

    body = await operator.api.query(
        "{ conversations { edges { node { messages(first: -1) { totalCount } } } } }"
    )

    assert body["errors"][0]["path"] == ["conversations", "edges", 0, "node", "messages"]
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_plans_follow_the_variables_below_the_root_field(operator, seed):
    await seed_personas(seed, operator.user, 1)
    query = """query($n: Int, $withTitle: Boolean!) {
      conversations(first: 3) { edges { node {
        title @include(if: $withTitle)
        messages(first: $n) { edges { node { content } } } } } } }"""

    small = await operator.api.data(query, {"n": 1, "withTitle": True})
    large = await operator.api.data(query, {"n": 3, "withTitle": False})

    sizes = sorted(len(e["node"]["messages"]["edges"]) for e in small["conversations"]["edges"])
    assert sizes == [0, 1, 1]
    sizes = sorted(len(e["node"]["messages"]["edges"]) for e in large["conversations"]["edges"])
    assert sizes == [0, 3, 3]
    assert all("title" in e["node"] for e in small["conversations"]["edges"])
    assert not any("title" in e["node"] for e in large["conversations"]["edges"])


async def test_a_plan_is_built_once_per_document_and_variables(operator, seed, db, monkeypatch):
    await seed_personas(seed, operator.user, 1)
    built = []
    walk = compiled._Walk.connection

    def counting(self, *args):
        built.append(args)
        return walk(self, *args)

    monkeypatch.setattr(compiled._Walk, "connection", counting)
    query = (
        "query($n: Int) { conversations { edges { node { messages(first: $n) { totalCount } } } } }"
    )

    for n in (1, 1, 2, 1):
        await operator.api.data(query, {"n": n})

    # The twin app (tests/conftest.py) plans too where it compiles; count ours.
    root_plans = [args for args in built if args[0].name == "ConversationConnection"]
    if db.backend == "postgresql":
        assert len(root_plans) == 2  # one per value of $n, whichever app asked first
    else:
        assert root_plans == []


async def test_the_switch_turns_compiled_reads_off(db, settings, seed, sign_in):
    operator = await sign_in()
    await seed_personas(seed, operator.user, 1)
    off = settings.model_copy(update={"compiled_reads": False})

    async with serving(off, db.engine) as api:
        response = await api.as_(operator.api.token).post(NESTED)

    assert response.status_code == 200
    assert read_path(response) == "loader"


async def test_the_read_path_is_in_the_log_line(operator, seed, db, caplog):
    await seed_personas(seed, operator.user, 1)
    caplog.set_level(logging.INFO, logger="concierge.request")

    await operator.api.post("{ conversations { totalCount } }")

    lines = [r for r in caplog.records if r.name == "concierge.request"]
    assert lines[0].read_path == expected_path(db)
    assert f"read_path={expected_path(db)}" in lines[0].getMessage()


async def test_a_request_that_reads_no_list_names_no_read_path(operator):
    response = await operator.api.post("{ viewer { username } }")

    assert "read;" not in response.headers["server-timing"]


def test_the_read_path_of_a_request_that_took_both_is_mixed():
    observation = Observation(compiled_reads=1, loader_reads=2)

    assert observation.read_path == "mixed"
    assert Observation(loader_reads=1).read_path == "loader"
    assert Observation().read_path is None


@pytest.mark.parametrize(
    "document",
    [
        "{ conversations { edges { node { __typename id ... on Node { id } } } } }",
        "{ conversations { pageInfo { __typename hasPreviousPage } edges { __typename } } }",
        "fragment P on Persona { name } { personas { edges { node { ...P ...P } } } }",
    ],
)
async def test_typenames_fragments_and_repeats_compile(operator, seed, db, document):
    await seed_personas(seed, operator.user, 1)

    response = await operator.api.post(document)

    assert "errors" not in response.json()
    assert read_path(response) == expected_path(db)


async def test_a_query_reads_without_a_transaction_and_a_mutation_writes_in_one(
    operator, seed, db, monkeypatch
):
    """Queries only read: on PostgreSQL their statements run without BEGIN and
    ROLLBACK around them; a mutation still runs in its one transaction."""
    await seed_personas(seed, operator.user, 1)
    await operator.api.data("{ viewer { id } }")
    opened: list[bool] = []
    real = asyncpg.connection.Connection.transaction

    def counted(self, *args, **kwargs):
        opened.append(True)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(asyncpg.connection.Connection, "transaction", counted)
    data = await operator.api.data(NESTED)
    assert len(data["personas"]["edges"]) == 1
    assert opened == []

    created = await operator.api.data(
        'mutation { createPersona(input: {name: "Ada", systemPrompt: "Be kind."})'
        " { persona { name } errors { code } } }"
    )
    assert created["createPersona"] == {"persona": {"name": "Ada"}, "errors": []}
    assert opened == ([True] if db.backend == "postgresql" else [])
