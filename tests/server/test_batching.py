"""Batched requests (a JSON array body, as Apollo's BatchHttpLink and graphql-request's
batchRequests send): each operation answered as if it came alone."""

from __future__ import annotations

import hashlib

import pytest

from tests.api.wire import ERRORS
from tests.conftest import serving

CREATE = f"""mutation($input: CreatePersonaInput!) {{
  createPersona(input: $input) {{ persona {{ name }} {ERRORS} }} }}"""
PERSONAS = "query { personas(first: 10) { totalCount edges { node { name } } } }"
VIEWER = "query Viewer { viewer { username } }"


def create(name: str) -> dict:
    return {"query": CREATE, "variables": {"input": {"name": name, "systemPrompt": "Hi"}}}


async def batch(operator, operations: list) -> list:
    response = await operator.api.http.post(
        "/graphql", json=operations, headers={"Authorization": f"Bearer {operator.api.token}"}
    )
    assert response.status_code == 200, response.text
    answers = response.json()
    assert isinstance(answers, list) and len(answers) == len(operations)
    return answers


async def test_a_batch_is_answered_in_order_one_result_per_operation(operator):
    answers = await batch(operator, [{"query": VIEWER}, {"query": "{ __typename }"}])

    assert answers == [
        {"data": {"viewer": {"username": operator.user.username}}},
        {"data": {"__typename": "Query"}},
    ]


async def test_each_mutation_of_a_batch_commits_alone_and_later_reads_see_it(operator):
    """Given a batch of a mutation, a conflicting mutation and a query, then the first
    is kept although the second is refused, and the query (run after) sees it."""
    answers = await batch(operator, [create("Ada"), create("Ada"), {"query": PERSONAS}])

    assert answers[0]["data"]["createPersona"]["errors"] == []
    refused = answers[1]["data"]["createPersona"]
    assert refused["persona"] is None
    assert refused["errors"][0]["code"] == "CONFLICT"
    assert answers[2]["data"]["personas"]["totalCount"] == 1


async def test_errors_stay_with_their_operation(operator):
    unknown = hashlib.sha256(b"{ never }").hexdigest()
    answers = await batch(
        operator,
        [
            {"query": "{ noSuchField }"},
            "not an operation",
            {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": unknown}}},
            {"query": "{ personas(first: 500) { totalCount } }"},
            {"variables": {}},
            {"query": VIEWER},
        ],
    )

    codes = [answer["errors"][0]["extensions"]["code"] for answer in answers[:5]]
    assert codes == [
        "GRAPHQL_VALIDATION_FAILED",
        "BAD_REQUEST",
        "PERSISTED_QUERY_NOT_FOUND",
        "BAD_USER_INPUT",
        "BAD_REQUEST",
    ]
    assert answers[5] == {"data": {"viewer": {"username": operator.user.username}}}


async def test_each_operation_has_its_own_loaders(operator, db):
    """Three copies of one read cost three times its statements: no loader cache is
    shared between the operations of a batch."""
    await batch(operator, [create("Ada")])
    with db.statements() as log:
        await batch(operator, [{"query": PERSONAS}])
    alone = log.count
    with db.statements() as log:
        answers = await batch(operator, [{"query": PERSONAS}] * 3)

    assert alone > 0
    assert log.count == 3 * alone
    assert all(answer["data"]["personas"]["totalCount"] == 1 for answer in answers)


async def test_a_batch_over_the_limit_is_refused_before_any_sql(operator, db):
    with db.statements() as log:
        response = await operator.api.http.post("/graphql", json=[{"query": VIEWER}] * 11)

    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "BATCH_TOO_LARGE", "limit": 10}
    assert "at most 10 operations, not 11" in error["message"]
    assert log.statements == []


@pytest.mark.parametrize(
    ("size", "body", "fragment"), [(0, [{"query": VIEWER}], "disabled"), (10, [], "empty")]
)
async def test_disabled_or_empty_batches_are_a_400(db, settings, size, body, fragment):
    async with serving(settings.model_copy(update={"max_batch_size": size}), db.engine) as api:
        response = await api.http.post("/graphql", json=body)

    assert response.status_code == 400
    assert fragment in response.json()["errors"][0]["message"]
