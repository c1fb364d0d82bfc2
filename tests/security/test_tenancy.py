"""The tenancy matrix: for every root query, nested field, ``node``/``nodes`` and
mutation, Alice can neither read nor change Bob's rows; admins see all.

The schema's fields are enumerated, so a new field without a tenancy case here
fails the suite until someone decides what it may show and to whom.
"""

from __future__ import annotations

import graphql
import pytest

from gql.schema import build_schema
from gql.settings import Settings
from tests.security.tenancy_nested import NESTED_CASES
from tests.security.tenancy_reads import CONNECTION, QUERY_CASES, id_set
from tests.security.tenancy_writes import MUTATION_CASES
from tests.security.world import World

# Root fields that are not about anyone's rows, with the reason.
PUBLIC_QUERIES = {
    "health": "reports the service and database state, no tenant data",
    "viewer": "returns only the caller themself (or null without a token)",
}
PUBLIC_MUTATIONS = {
    "signUp": "creates a new account; conflicts are tested in test_accounts",
    "logIn": "exchanges credentials for a token; tested in test_accounts",
}


def schema() -> graphql.GraphQLSchema:
    return graphql.build_schema(str(build_schema(Settings(CONCIERGE_ENV="test"))))


def rows_reaching_fields(schema: graphql.GraphQLSchema) -> set[str]:
    """``Type.field`` for every field of a node type that reaches other rows or counts them:
    nodes, connections, counts, and lists of records (such as an appointment's history)."""
    node = schema.get_type("Node")
    found = set()
    for type_ in schema.type_map.values():
        if not isinstance(type_, graphql.GraphQLObjectType) or node not in type_.interfaces:
            continue
        for name, field in type_.fields.items():
            target = graphql.get_named_type(field.type)
            reaches_a_node = (
                isinstance(target, graphql.GraphQLObjectType) and node in target.interfaces
            )
            lists_records = isinstance(target, graphql.GraphQLObjectType) and isinstance(
                graphql.get_nullable_type(field.type), graphql.GraphQLList
            )
            if (
                reaches_a_node
                or lists_records
                or target.name.endswith("Connection")
                or name.endswith("Count")
            ):
                found.add(f"{type_.name}.{name}")
    return found


def test_every_root_query_has_a_tenancy_case():
    fields = set(schema().query_type.fields)
    assert fields - set(PUBLIC_QUERIES) - set(QUERY_CASES) == set(), "add a case"
    assert set(QUERY_CASES) | set(PUBLIC_QUERIES) <= fields, "a case names no field"
    assert not set(QUERY_CASES) & set(PUBLIC_QUERIES)


def test_every_mutation_has_a_tenancy_case():
    fields = set(schema().mutation_type.fields)
    assert fields - set(PUBLIC_MUTATIONS) - set(MUTATION_CASES) == set(), "add a case"
    assert set(MUTATION_CASES) | set(PUBLIC_MUTATIONS) <= fields, "a case names no field"
    assert not set(MUTATION_CASES) & set(PUBLIC_MUTATIONS)


def test_every_nested_field_that_reaches_rows_has_a_tenancy_case():
    assert rows_reaching_fields(schema()) == set(NESTED_CASES)


@pytest.mark.parametrize("field", sorted(QUERY_CASES))
async def test_a_member_reads_none_of_another_members_rows_through(field, shared_world):
    await QUERY_CASES[field](shared_world)


@pytest.mark.parametrize("field", sorted(NESTED_CASES))
async def test_a_member_reaches_none_of_another_members_rows_through(field, shared_world):
    await NESTED_CASES[field](shared_world)


async def test_viewer_is_the_caller(shared_world: World):
    w = shared_world
    assert (await w.a.api.data("{ viewer { id } }"))["viewer"] == {"id": w.a.user}
    assert (await w.b.api.data("{ viewer { id } }"))["viewer"] == {"id": w.b.user}


async def test_an_admin_sees_every_tenants_rows(shared_world: World):
    w = shared_world
    for field, mine in (
        ("personas", "personas"),
        ("customers", "customers"),
        ("conversations", "conversations"),
        ("appointments", "appointments"),
    ):
        seen = id_set((await w.admin.data(f"{{ {field} {{ {CONNECTION} }} }}"))[field])
        assert seen == getattr(w.a, mine) | getattr(w.b, mine), field
    files = id_set((await w.admin.data(f"{{ files {{ {CONNECTION} }} }}"))["files"])
    assert files == {w.a.file, w.b.file}
    everything = [*w.a.every_id(), *w.b.every_id()]
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    found = await w.admin.data(query, {"ids": everything})
    assert found["nodes"] == [{"id": id_} for id_ in everything]
