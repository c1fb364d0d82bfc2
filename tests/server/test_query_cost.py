"""Query cost: estimated before execution from page sizes and list nesting, refused
over MAX_QUERY_COST with the cost in the error, reported when asked."""

from __future__ import annotations

import pytest

from tests.conftest import serving

NESTED = """query($n: Int) { personas(first: $n) { edges { node { name
  conversations(first: 100) { edges { node { title
    messages(first: 100) { edges { node { content } } } } } } } } } }"""
SMALL = "{ personas(first: 10) { edges { node { name } } } }"
INTROSPECTION = """{ __schema { types { name fields { name args { name }
  type { name ofType { name ofType { name } } } } } } }"""


async def test_a_costly_query_is_refused_before_any_sql_with_its_cost(operator, db):
    with db.statements() as log:
        body = await operator.api.query(NESTED, {"n": 100})

    assert log.statements == []
    assert "data" not in body or body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["limit"] == 100_000
    # 100 personas x 100 conversations x 100 messages, each edge, node and scalar
    assert error["extensions"]["cost"] > 1_000_000
    assert str(error["extensions"]["cost"]) in error["message"]


async def test_the_same_query_with_small_pages_runs(operator):
    body = await operator.api.query(NESTED, {"n": 1})  # about 30,000

    assert "errors" not in body, body
    assert body["data"]["personas"]["edges"] == []


@pytest.mark.parametrize(
    ("query", "variables", "cost"),
    [
        (SMALL, None, 31),
        ("{ personas { edges { node { name } } } }", None, 1 + 20 * 3),  # DEFAULT_PAGE_SIZE
        ("query($n: Int = 5) { personas(last: $n) { totalCount } }", None, 1 + 5),
        ('{ nodes(ids: ["a", "b", "c"]) { id } }', None, 1 + 3),
        ("{ viewer { username } __typename }", None, 2),
        (
            "fragment P on Persona { name aiSettings { model } }"
            " { personas(first: 4) { edges { node { ...P } } } }",
            None,
            1 + 4 * 5,
        ),
    ],
    ids=["page", "default-page", "variable-default", "nodes", "plain", "fragment"],
)
async def test_the_cost_is_in_the_extensions_when_asked(operator, query, variables, cost):
    response = await operator.api.http.post(
        "/graphql",
        json={"query": query, "variables": variables, "extensions": {"cost": True}},
        headers={"Authorization": f"Bearer {operator.api.token}"},
    )

    assert response.json()["extensions"]["cost"] == {"estimated": cost, "limit": 100_000}


async def test_a_header_asks_for_the_cost_too_and_nothing_else_reports_it(operator):
    headers = {"Authorization": f"Bearer {operator.api.token}"}
    asked = await operator.api.http.post(
        "/graphql", json={"query": SMALL}, headers={**headers, "Query-Cost": "1"}
    )
    plain = await operator.api.http.post("/graphql", json={"query": SMALL}, headers=headers)

    assert asked.json()["extensions"]["cost"]["estimated"] == 31
    assert "extensions" not in plain.json()


async def test_introspection_costs_nothing_even_under_a_tiny_limit(db, settings):
    tiny = settings.model_copy(update={"max_query_cost": 1})
    async with serving(tiny, db.engine) as api:
        introspection = await api.http.post(
            "/graphql", json={"query": INTROSPECTION, "extensions": {"cost": True}}
        )
        refused = await api.http.post("/graphql", json={"query": SMALL})

    assert "errors" not in introspection.json()
    assert introspection.json()["extensions"]["cost"] == {"estimated": 0, "limit": 1}
    assert refused.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY"
