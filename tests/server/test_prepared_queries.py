"""Prepared queries (gql/api/core/prepared.py): a query that parses and validates
runs without Strawberry's extension machinery, validated once, with the rules
Strawberry's path applies; whatever is refused takes Strawberry's path and gets
its usual answer. (That both paths give the same bytes for every query of the
API tests is the twin's check in tests/conftest.py.)"""

from __future__ import annotations

import dataclasses
import logging
import uuid

import pytest
from graphql import specified_rules
from strawberry.extensions import SchemaExtension

from gql.api.core import prepared as prepared_module
from gql.schema import build_schema

REQUEST_LOGGER = "concierge.request"
CREATE = 'mutation { createPersona(input: {name: "%s", systemPrompt: "x"}) { persona { id } } }'
PERSONAS = "query Personas { personas(first: 2) { totalCount edges { node { name } } } }"


@pytest.fixture
async def member(api):
    member = api.as_(await api.sign_up("prepared"))
    await member.data(
        'mutation { createPersona(input: {name: "Ada", systemPrompt: "x"}) { persona { id } } }'
    )
    return dataclasses.replace(member, twin=None)  # the twin's log lines and caches are its own


def logged(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == REQUEST_LOGGER]


async def test_a_query_runs_prepared_and_its_log_line_says_so(member, caplog):
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    caplog.clear()

    data = await member.data(PERSONAS)
    await member.data(
        'mutation { createPersona(input: {name: "Bo", systemPrompt: "x"}) { persona { id } } }'
    )

    query, mutation = logged(caplog)
    assert data["personas"]["totalCount"] == 1
    assert (query.prepared, query.operation, query.operation_type) == (True, "Personas", "query")
    assert "prepared=True" in query.getMessage()
    assert (mutation.prepared, mutation.operation_type) == (False, "mutation")


@pytest.mark.strawberry_path
async def test_prepared_queries_off_runs_every_query_through_strawberry(member, caplog):
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    caplog.clear()

    await member.data(PERSONAS)
    await member.data(PERSONAS)

    assert [record.prepared for record in logged(caplog)] == [False, False]


async def test_a_query_is_validated_once_and_never_by_strawberry(member, monkeypatch):
    from strawberry.extensions.validation_cache import _get_validate_cache

    validations: list[object] = []
    validate = prepared_module.validate

    def counted(*args, **kwargs):
        validations.append(args[1])
        return validate(*args, **kwargs)

    monkeypatch.setattr(prepared_module, "validate", counted)
    strawberry_cache = _get_validate_cache(512)
    before = strawberry_cache.cache_info()
    query = f"{{ fresh_{uuid.uuid4().hex}: __typename personas(first: 1) {{ totalCount }} }}"

    for _ in range(3):
        assert (await member.data(query))["personas"] == {"totalCount": 1}

    after = strawberry_cache.cache_info()
    assert len(validations) == 1
    assert (after.misses, after.hits) == (before.misses, before.hits)


@pytest.mark.parametrize("introspection", [True, False])
async def test_the_rules_are_those_strawberrys_path_validates_with(settings, introspection):
    seen: list[tuple[type, ...]] = []

    class Rules(SchemaExtension):
        def on_validate(self):
            seen.append(self.execution_context.validation_rules)
            yield

    configured = settings.model_copy(update={"introspection": introspection})
    prepared = build_schema(configured).prepared
    strawberry_path = build_schema(configured, traced=[Rules])  # tracing: no prepared path
    assert strawberry_path.prepared is None

    await strawberry_path.execute("{ __typename }")  # no request context: Strawberry's path

    assert prepared is not None
    (strawberrys,) = seen
    assert strawberrys[: len(specified_rules)] == prepared.rules[: len(specified_rules)]
    # The depth and alias rules are classes made per schema: the same ones, by name.
    assert [rule.__name__ for rule in strawberrys] == [rule.__name__ for rule in prepared.rules]
    assert (
        "NoSchemaIntrospectionCustomRule" in map(str, (r.__name__ for r in prepared.rules))
    ) is (not introspection)


async def test_introspection_disabled_is_refused_on_a_repeated_document(api, settings, db):
    from tests.conftest import serving

    closed = settings.model_copy(update={"introspection": False})
    async with serving(closed, db.engine) as client:
        alone = dataclasses.replace(client, twin=None)
        bodies = [await alone.query("{ __schema { queryType { name } } }") for _ in range(2)]

    for body in bodies:
        assert body.get("data") is None
        assert body["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("query($n: Int) { personas(first: $n) { totalCount } }", {"n": "two"}, "BAD_USER_INPUT"),
        ("query($n: Int) { personas(first: $n) { totalCount } }", {"n": 100_000}, "BAD_USER_INPUT"),
        ("{ personas(first: 100000) { totalCount } }", None, "BAD_USER_INPUT"),
        ("query A { __typename } query B { __typename }", None, "BAD_REQUEST"),
        ("{ personas { noSuchField } }", None, "GRAPHQL_VALIDATION_FAILED"),
        ("{ personas { ", None, "GRAPHQL_PARSE_FAILED"),
        # graphql-core parses empty braces; the grammar does not allow them.
        ("{}", None, "GRAPHQL_PARSE_FAILED"),
        ("{ viewer { } }", None, "GRAPHQL_PARSE_FAILED"),
    ],
)
async def test_refused_queries_take_strawberrys_path_and_its_answer(
    member, caplog, query, variables, code
):
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    caplog.clear()

    bodies = [await member.query(query, variables) for _ in range(2)]

    assert bodies[0] == bodies[1]
    assert bodies[0]["errors"][0]["extensions"]["code"] == code, bodies[0]
    assert [record.prepared for record in logged(caplog)] == [False, False]


async def test_a_query_over_the_cost_limit_is_refused_with_its_cost(api, settings, db, caplog):
    from tests.conftest import serving

    cheap = settings.model_copy(update={"max_query_cost": 10})
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    async with serving(cheap, db.engine) as client:
        member = dataclasses.replace(client.as_(await client.sign_up("costly")), twin=None)
        caplog.clear()
        body = await member.query(
            "{ personas(first: 50) { edges { node { conversations(first: 50) { totalCount } } } } }"
        )
        cheap_body = await member.query("{ viewer { username } }")

    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert "data" not in body or body["data"] is None
    assert cheap_body["data"] == {"viewer": {"username": "costly"}}
    assert [record.prepared for record in logged(caplog)] == [False, True]


async def test_the_cost_is_reported_when_asked_on_the_prepared_path(member, caplog):
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    caplog.clear()
    body = {"query": PERSONAS, "extensions": {"cost": True}}
    headers = {"Authorization": f"Bearer {member.token}"}

    asked = (await member.http.post("/graphql", json=body, headers=headers)).json()
    by_header = await member.http.post(
        "/graphql", json={"query": PERSONAS}, headers={**headers, "Query-Cost": "1"}
    )
    unasked = await member.query(PERSONAS)

    cost = asked["extensions"]["cost"]
    assert cost["estimated"] > 0 and cost["limit"] > cost["estimated"]
    assert by_header.json()["extensions"]["cost"] == cost
    assert "extensions" not in unasked
    assert all(record.prepared for record in logged(caplog))


async def test_an_anonymous_query_is_refused_by_its_permission_as_before(api, caplog):
    caplog.set_level(logging.INFO, logger=REQUEST_LOGGER)
    caplog.clear()

    bodies = [await api.query(PERSONAS) for _ in range(2)]

    assert bodies[0] == bodies[1]
    assert bodies[0]["data"] is None
    assert bodies[0]["errors"][0]["path"] == ["personas"]
    assert bodies[0]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    records = [record for record in logged(caplog) if record.operation == "Personas"]
    assert [(r.prepared, r.graphql_errors) for r in records][-1] == (True, 1)


async def test_the_cost_follows_the_page_size_variables_of_each_request(member):
    query = """query Sized($n: Int, $id: ID!) {
      node(id: $id) { id }
      personas(first: $n) { edges { node { ...Named } } }
    }
    fragment Named on Persona { name conversations(last: $n) { totalCount } }"""
    headers = {"Authorization": f"Bearer {member.token}"}

    async def cost(n: int | None, id_: str = "nope") -> object:
        body = {"query": query, "variables": {"n": n, "id": id_}, "extensions": {"cost": True}}
        answer = (await member.http.post("/graphql", json=body, headers=headers)).json()
        if "errors" in answer:
            return answer["errors"][0]["extensions"]["code"]
        return answer["extensions"]["cost"]["estimated"]

    one, two, default = await cost(1), await cost(2), await cost(None)

    assert one < two < default
    assert await cost(1, "other") == one  # another id, the same sizes: the same cost
    assert await cost(100_000) == "BAD_USER_INPUT"  # over the page cap, after smaller ones
    assert await cost(2) == two


def test_the_sizing_variables_are_found_through_fragments():
    from graphql import parse

    from gql.api.core.extensions import fragments_of
    from gql.api.core.prepared import sizing_variables

    document = parse(
        """query($a: Int, $b: Int, $ids: [ID!]!, $other: String) {
          nodes(ids: $ids) { id }
          personas(first: $a, after: $other) { ...F }
        }
        fragment F on PersonaConnection {
          edges { node { conversations(last: $b) { totalCount } } }
        }"""
    )
    operation = document.definitions[0]

    assert sizing_variables(operation, fragments_of(document)) == ("a", "b", "ids")
