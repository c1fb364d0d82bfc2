"""The benchmark's reads through the API on both backends: statements bounded
by depth whatever the rows, cursors that resume, ids that resolve."""

from __future__ import annotations

import gc

from sqlalchemy import select

from bench.workloads import BY_ID, DEEP, INBOX, STATEMENT_TARGETS
from gql.auth.tokens import issue_token
from persistence.demo import DEMO_USERNAME, seed_demo
from persistence.models import User
from persistence.records import ConversationRecord, MessageRecord, PersonaRecord

# What a deep page reads rows as (persistence/records.py).
READ_RECORDS = (MessageRecord, ConversationRecord, PersonaRecord)

PAGE = """query($after: String) {
  conversations(first: 3, after: $after) {
    pageInfo { endCursor hasNextPage }
    edges { cursor node { id title } }
  }
}"""


async def demo_operator(db, api, settings):
    await seed_demo(db.engine, hashed_password="unused", size="tiny")
    async with db.engine.connect() as connection:
        operator_id = await connection.scalar(select(User.id).where(User.username == DEMO_USERNAME))
    return api.as_(issue_token(User(id=operator_id), settings))


async def test_reads_cost_statements_bounded_by_their_depth(db, api, settings):
    operator = await demo_operator(db, api, settings)
    inbox = await operator.data(INBOX)  # also puts the viewer in the cache
    conversation_id = inbox["conversations"]["edges"][0]["node"]["id"]

    counted = {}
    for name, document, variables in (
        ("inbox", INBOX, None),
        ("deep", DEEP, None),
        ("by-id", BY_ID, {"id": conversation_id}),
    ):
        with db.statements() as log:
            data = await operator.data(document, variables)
        counted[name] = log.count
        assert data

    assert all(counted[name] <= STATEMENT_TARGETS[name] for name in counted), counted


async def test_the_deep_read_returns_every_nested_page(db, api, settings):
    operator = await demo_operator(db, api, settings)

    deep = await operator.data(DEEP)

    personas = deep["personas"]["edges"]
    conversations = [c for p in personas for c in p["node"]["conversations"]["edges"]]
    messages = [m for c in conversations for m in c["node"]["messages"]["edges"]]
    assert len(personas) == 2
    assert len(conversations) == 20
    assert len(messages) == 400
    first = [m["node"]["createdAt"] for m in conversations[0]["node"]["messages"]["edges"]]
    assert first == sorted(first, reverse=True)


async def test_edge_cursors_resume_the_list_and_ids_resolve_as_nodes(db, api, settings):
    operator = await demo_operator(db, api, settings)

    first = (await operator.data(PAGE))["conversations"]
    second = (await operator.data(PAGE, {"after": first["pageInfo"]["endCursor"]}))["conversations"]
    some_id = second["edges"][0]["node"]["id"]
    node = await operator.data(
        "query($id: ID!) { node(id: $id) { id ... on Conversation { title } } }", {"id": some_id}
    )

    assert first["edges"][-1]["cursor"] == first["pageInfo"]["endCursor"]
    first_ids = {edge["node"]["id"] for edge in first["edges"]}
    assert first_ids.isdisjoint(edge["node"]["id"] for edge in second["edges"])
    assert node["node"] == second["edges"][0]["node"]


async def test_a_request_lets_go_of_its_rows_without_the_cycle_collector(db, api, settings):
    operator = await demo_operator(db, api, settings)
    await operator.data(DEEP)
    gc.collect()
    gc.disable()
    try:
        deep = await operator.data(DEEP)
        alive = sum(isinstance(obj, READ_RECORDS) for obj in gc.get_objects())
    finally:
        gc.enable()
    assert deep["personas"]["edges"]
    assert alive == 0
