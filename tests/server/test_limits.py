"""Every request limit refuses with a clear GraphQL error before a single SQL
statement runs — not even the viewer's lookup."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from strawberry import relay


def deep_query(levels: int) -> str:
    """A valid query nested four levels deeper per loop: persona → conversations → persona."""
    opening = "conversations(first: 1) { edges { node { persona { " * levels
    return (
        "{ personas(first: 1) { edges { node { " + opening + "id" + " } } } }" * levels + " } } } }"
    )


@pytest.fixture
async def member(api):
    return api.as_(await api.sign_up("limits"))


async def refused_without_sql(db, member, query: str, variables=None) -> dict:
    with db.statements() as log:
        body = await member.query(query, variables)

    assert log.statements == []
    assert "data" not in body or body["data"] is None
    return body["errors"][0]


async def test_a_query_fifty_levels_deep_is_refused(db, member):
    query = deep_query(13)
    assert query.count("{") > 50

    error = await refused_without_sql(db, member, query)

    assert "exceeds maximum operation depth of 12" in error["message"]


async def test_a_thousand_aliases_are_refused(db, member):
    query = "{ " + " ".join(f"a{i}: __typename" for i in range(1000)) + " }"

    error = await refused_without_sql(db, member, query)

    assert "aliases found" in error["message"] or "alias" in error["message"].lower()


async def test_a_document_over_the_token_limit_is_refused_while_parsing(db, member):
    query = "{ " + "__typename " * 90_000 + "}"  # about 1 MB, under the body limit

    error = await refused_without_sql(db, member, query)

    assert "tokens" in error["message"]


async def test_a_one_megabyte_document_is_refused_by_the_body_limit(db, member):
    query = "{ __typename " + "#" * 1_048_576 + "\n}"

    with db.statements() as log:
        response = await member.post(query)

    assert response.status_code == 413
    assert "over the limit of 1000000 bytes" in response.json()["errors"][0]["message"]
    assert log.statements == []


async def test_a_body_declared_over_the_limit_is_refused_before_it_is_read(api):
    response = await api.http.post(
        "/graphql",
        content=b"{}",
        headers={"Content-Type": "application/json", "Content-Length": "5000000"},
    )

    assert response.status_code == 413


async def test_a_streamed_body_over_the_limit_is_refused(api):
    async def chunks():
        yield b'{"query": "{ __typename }", "pad": "'
        for _ in range(40):
            yield b"x" * 65_536
        yield b'"}'

    response = await api.http.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )

    assert response.status_code == 413


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        ("{ personas(first: 10000) { totalCount } }", None),
        ("{ personas(last: 101) { totalCount } }", None),
        ("query($n: Int) { personas(first: $n) { totalCount } }", {"n": 10000}),
        (
            "{ personas(first: 1) { edges { node { ...Deep } } } } "
            "fragment Deep on Persona { conversations(first: 500) { totalCount } }",
            None,
        ),
    ],
    ids=["literal-first", "literal-last", "variable", "in-fragment"],
)
async def test_a_page_over_the_cap_is_refused(db, member, query, variables):
    error = await refused_without_sql(db, member, query, variables)

    assert error["message"].endswith("` must be between 0 and 100")
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_nodes_batch_over_the_cap_is_refused(db, member):
    ids = [str(relay.GlobalID("Persona", str(uuid.uuid4()))) for _ in range(101)]

    error = await refused_without_sql(
        db, member, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids}
    )

    assert error["message"] == "`ids` may hold at most 100 ids, not 101"


async def test_a_page_at_the_cap_is_served(member):
    data = await member.data("{ personas(first: 100) { totalCount } }")

    assert data == {"personas": {"totalCount": 0}}


@pytest.mark.strawberry_path
async def test_a_repeated_document_is_parsed_and_validated_once(member):
    # Strawberry's caches are process-wide LRUs shared by every request.
    from strawberry.extensions.validation_cache import _get_validate_cache

    validations = _get_validate_cache(512)
    query = f"{{ fresh_{uuid.uuid4().hex}: __typename personas(first: 1) {{ totalCount }} }}"
    alone = dataclasses.replace(member, twin=None)  # the twin app would share the caches
    before = validations.cache_info()

    for _ in range(3):
        await alone.data(query)

    after = validations.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 2)
