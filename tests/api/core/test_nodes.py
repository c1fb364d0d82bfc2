"""node(id:) and nodes(ids:): every type resolves, foreign and malformed ids are null,
and mixed ids stay batched per type."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
from strawberry import relay

from gql.api.core.nodes import global_id as encoded_global_id
from gql.api.personas.types import Persona
from persistence.models import new_id
from tests.api.wire import global_id, refusal
from tests.factories import (
    make_appointment,
    make_conversation,
    make_customer,
    make_file,
    make_persona,
    post_messages,
)


def test_a_global_id_is_encoded_as_relay_encodes_it():
    for type_name, node_id in (("Message", str(new_id())), ("Persona", "not-a-uuid"), ("É", "ü")):
        assert encoded_global_id(type_name, node_id) == str(relay.GlobalID(type_name, node_id))


def test_a_converter_must_name_a_field_of_its_type():
    class Misnamed(Persona):
        converters: ClassVar[Mapping[str, Callable[[Any], Any]]] = {
            **Persona.converters,
            "nickname": str,
        }

    with pytest.raises(TypeError, match="nickname"):
        Misnamed.from_row(object())


NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"


async def test_node_resolves_every_type_by_its_global_id(operator, seed):
    async with seed() as uow:
        persona = await make_persona(uow, operator.user)
        customer = await make_customer(uow, operator.user)
        conversation = await make_conversation(uow, operator.user, persona, customer)
        (message,) = await post_messages(uow, conversation, "Hi")
        appointment = await make_appointment(
            uow, operator.user, customer, datetime(2030, 6, 3, 9, tzinfo=UTC)
        )
        file = await make_file(uow, operator.user, size_bytes=3_000_000_000)
    rows = {
        "User": operator.user,
        "Persona": persona,
        "Customer": customer,
        "Conversation": conversation,
        "Message": message,
        "Appointment": appointment,
        "File": file,
    }

    for type_name, row in rows.items():
        gid = global_id(type_name, row.id)
        data = await operator.api.data(NODE, {"id": gid})

        assert data["node"] == {"__typename": type_name, "id": gid}


async def test_node_of_a_foreign_missing_or_malformed_id_is_null(operator, rival, seed):
    async with seed() as uow:
        theirs = await make_persona(uow, rival.user)
        mine = await make_persona(uow, operator.user)

    for gid in (
        global_id("Persona", theirs.id),
        global_id("Persona", new_id()),
        global_id("Persona", "not-a-uuid"),
        global_id("Customer", mine.id),
        global_id("NoSuchType", mine.id),
    ):
        data = await operator.api.data(NODE, {"id": gid})
        assert data["node"] is None, gid


async def test_an_admin_sees_every_tenants_nodes(admin, operator, seed):
    async with seed() as uow:
        persona = await make_persona(uow, operator.user)

    data = await admin.api.data(NODE, {"id": global_id("Persona", persona.id)})

    assert data["node"]["id"] == global_id("Persona", persona.id)


async def test_node_and_nodes_need_a_token(api, operator):
    for query, variables in ((NODE, {"id": operator.gid}), (NODES, {"ids": [operator.gid]})):
        body = await api.query(query, variables)
        assert refusal(body)[0] == "UNAUTHENTICATED"


async def test_nodes_returns_the_ids_in_order_with_nulls_for_the_unseen(operator, rival, seed):
    async with seed() as uow:
        persona = await make_persona(uow, operator.user)
        customer = await make_customer(uow, operator.user)
        theirs = await make_customer(uow, rival.user)
    ids = [
        global_id("Customer", customer.id),
        global_id("Customer", theirs.id),
        global_id("Persona", persona.id),
        global_id("Customer", customer.id),
        global_id("Persona", new_id()),
    ]

    data = await operator.api.data(NODES, {"ids": ids})

    assert [node and node["id"] for node in data["nodes"]] == [
        ids[0],
        None,
        ids[2],
        ids[0],
        None,
    ]


async def test_a_hundred_ids_of_three_types_cost_one_statement_per_type(operator, seed, db):
    async with seed() as uow:
        personas = [await make_persona(uow, operator.user) for _ in range(34)]
        customers = [await make_customer(uow, operator.user) for _ in range(33)]
        conversations = [await make_conversation(uow, operator.user) for _ in range(33)]
    ids = [
        *(global_id("Persona", row.id) for row in personas),
        *(global_id("Customer", row.id) for row in customers),
        *(global_id("Conversation", row.id) for row in conversations),
    ]
    ids = ids[::2] + ids[1::2]  # interleave the types

    with db.statements() as log:
        data = await operator.api.data(NODES, {"ids": ids})

    assert [node["id"] for node in data["nodes"]] == ids
    # What is counted: every SQL statement the request ran (BEGIN/COMMIT aside). The
    # request is authenticated, so its context looks the token's user up once; then
    # each node type is ONE select, whatever the number of its ids.
    tables = [re.search(r"\bFROM (\w+)", statement)[1] for statement in log.statements]
    assert sorted(tables) == ["conversations", "customers", "personas", "users"], tables


async def test_files_lists_only_mine_newest_first_with_large_sizes(operator, rival, seed):
    async with seed() as uow:
        older = await make_file(uow, operator.user, filename="older.pdf")
        newer = await make_file(uow, operator.user, filename="big.mov", size_bytes=3_000_000_000)
        await make_file(uow, rival.user)

    data = await operator.api.data(
        "{ files { totalCount edges { node { id filename contentType sizeBytes sha256 } } } }"
    )

    assert data["files"]["totalCount"] == 2
    nodes = [edge["node"] for edge in data["files"]["edges"]]
    assert [node["id"] for node in nodes] == [
        global_id("File", newer.id),
        global_id("File", older.id),
    ]
    assert nodes[0]["sizeBytes"] == 3_000_000_000
    assert nodes[1] | {"id": None} == {
        "id": None,
        "filename": "older.pdf",
        "contentType": "application/pdf",
        "sizeBytes": 1024,
        "sha256": "0" * 64,
    }


async def test_files_needs_a_token(api):
    assert refusal(await api.query("{ files { totalCount } }"))[0] == "UNAUTHENTICATED"
