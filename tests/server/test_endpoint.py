"""Malformed requests get a clear 4xx GraphQL error body: never a 500, never a leak."""

from __future__ import annotations

import pytest

from tests.server.leaks import LEAKS

GRAPHQL_RESPONSE = "application/graphql-response+json"


def assert_clear_refusal(response, status: int, fragment: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert "data" not in body
    assert fragment.lower() in body["errors"][0]["message"].lower()
    assert not LEAKS.search(response.text)


async def post_raw(api, content: bytes, content_type: str | None = "application/json", **headers):
    if content_type is not None:
        headers["Content-Type"] = content_type
    return await api.http.post("/graphql", content=content, headers=headers)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"null", "must be a JSON object"),
        (b'"{ __typename }"', "must be a JSON object"),
        (b"42", "must be a JSON object"),
        (b'{ "not a JSON', "not valid UTF-8 JSON"),
        (b"[" * 5000 + b"]" * 5000, "not valid UTF-8 JSON"),
        (b'{"query": "{ __typename }", "x": ' + b"[" * 2000 + b"]" * 2000 + b"}", "not valid"),
        (b'{"query": "\xff\xfe{ __typename }"}', "not valid UTF-8 JSON"),
        (b"", "body is empty"),
        (b"   ", "body is empty"),
    ],
    ids=[
        "null",
        "string",
        "number",
        "truncated",
        "deeply-nested",
        "deeply-nested-member",
        "not-utf8",
        "empty",
        "blank",
    ],
)
async def test_a_body_that_is_not_a_utf8_json_object_is_a_400(api, body, fragment):
    response = await post_raw(api, body)

    assert_clear_refusal(response, 400, fragment)


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"notquery": "{ __typename }"}, "no `query`"),
        ({"query": 7}, "`query` parameter must be a string"),
        ({"query": {"obj": "ect"}}, "`query` parameter must be a string"),
        ({"query": "{ __typename }", "variables": "string"}, "`variables`"),
        ({"query": "{ __typename }", "variables": [1]}, "`variables`"),
        ({"query": "{ __typename }", "operationName": 0}, "`operationName`"),
        ({"query": "{ __typename }", "extensions": False}, "`extensions`"),
    ],
)
async def test_invalid_parameters_are_a_400(api, payload, fragment):
    response = await api.http.post("/graphql", json=payload)

    assert_clear_refusal(response, 400, fragment)


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        (None, 415),
        ("text/plain", 415),
        ("application/x-www-form-urlencoded", 415),
        ("multipart/form-data; boundary=x", 400),  # an upload: refused without a preflight
        ("application/json; charset=latin-1", 415),
    ],
)
async def test_wrong_content_types_are_refused(api, content_type, status):
    response = await post_raw(api, b'{"query": "{ __typename }"}', content_type)

    assert_clear_refusal(response, status, "")


async def test_json_with_an_explicit_utf8_charset_is_accepted(api):
    response = await post_raw(
        api, b'{"query": "{ __typename }"}', "application/json; charset=UTF-8"
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_an_unacceptable_accept_header_is_a_406(api):
    response = await api.http.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"Accept": "text/csv"}
    )

    assert response.status_code == 406
    assert response.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"application/json;q=0.5, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};q=0.2, application/json", "application/json"),
    ],
)
async def test_the_response_media_type_follows_the_accept_header(api, accept, expected):
    headers = {"Accept": accept} if accept else {}
    response = await api.http.post("/graphql", json={"query": "{ __typename }"}, headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"] == f"{expected}; charset=utf-8"


@pytest.mark.parametrize(
    ("query", "variables", "fragment"),
    [
        ("{", None, "Syntax Error"),
        ("{ noSuchField }", None, "Cannot query field"),
        ("query($id: ID!) { node(id: $id) { id } }", {"id": None}, "not to be None"),
        ("query($n: Int!) { personas(first: $n) { totalCount } }", {"n": "ten"}, "Int"),
    ],
    ids=["parse", "validation", "null-variable", "wrong-variable-type"],
)
async def test_request_errors_are_200_for_json_and_400_without_data_for_graphql_response(
    api, query, variables, fragment
):
    payload = {"query": query, "variables": variables}
    as_json = await api.http.post("/graphql", json=payload)
    as_graphql = await api.http.post("/graphql", json=payload, headers={"Accept": GRAPHQL_RESPONSE})

    assert as_json.status_code == 200
    assert "data" not in as_json.json()
    assert fragment in as_json.json()["errors"][0]["message"]
    assert_clear_refusal(as_graphql, 400, fragment)


async def test_an_execution_error_keeps_its_data_and_a_200_even_for_graphql_response(api):
    response = await api.http.post(
        "/graphql",
        json={"query": "{ __typename personas { totalCount } }"},
        headers={"Accept": GRAPHQL_RESPONSE},
    )

    assert response.status_code == 200
    assert response.json()["data"] is None
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_several_operations_without_an_operation_name_are_refused(api):
    response = await api.http.post(
        "/graphql",
        json={"query": "query A { __typename } query B { __typename }"},
        headers={"Accept": GRAPHQL_RESPONSE},
    )

    assert_clear_refusal(response, 400, "Must provide operationName")


async def test_the_named_operation_of_several_is_run(api):
    response = await api.http.post(
        "/graphql",
        json={"query": "query A { a: __typename } query B { b: __typename }", "operationName": "B"},
    )

    assert response.json() == {"data": {"b": "Query"}}


async def test_an_unknown_operation_name_is_a_400(api):
    response = await api.http.post(
        "/graphql", json={"query": "query A { __typename }", "operationName": "Nope"}
    )

    assert_clear_refusal(response, 400, "Nope")


async def test_a_mutation_over_get_is_a_405_that_names_post(api):
    response = await api.http.get(
        "/graphql",
        params={"query": 'mutation { logIn(input: {login: "a", password: "b"}) { token } }'},
        headers={"Accept": "application/json"},
    )

    assert_clear_refusal(response, 405, "POST")
    assert response.headers["allow"] == "POST"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
async def test_other_methods_are_a_405_with_allow(api, method):
    response = await api.http.request(method, "/graphql", json={"query": "{ __typename }"})

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"


async def test_a_get_query_with_json_variables_runs(api):
    response = await api.http.get(
        "/graphql",
        params={
            "query": "query($n: String!) { __type(name: $n) { name } }",
            "variables": '{"n": "Query"}',
        },
    )

    assert response.json() == {"data": {"__type": {"name": "Query"}}}


async def test_get_variables_that_are_not_json_are_a_400(api):
    response = await api.http.get(
        "/graphql", params={"query": "{ __typename }", "variables": "{nope"}
    )

    assert_clear_refusal(response, 400, "variables")


@pytest.mark.parametrize(
    "payload",
    [
        {"query": "{ __typename }\x00"},
        {"query": '{ __type(name: "Q\\u0000") { name } }'},
        {"query": '{ __type(name: "Q\\u{0}") { name } }'},
        {"query": "query($n: String!) { __type(name: $n) { name } }", "variables": {"n": "a\x00b"}},
        {"query": "query($i: SignUpInput!) { __typename }", "variables": {"i": {"\x00": 1}}},
    ],
    ids=["raw", "escape", "braced-escape", "variable", "variable-key"],
)
async def test_nul_characters_are_refused_before_execution(api, payload):
    response = await api.http.post("/graphql", json=payload)

    assert_clear_refusal(response, 400, "NUL")


async def test_a_multi_megabyte_string_variable_is_refused_by_the_body_limit(api):
    huge = "x" * 3_000_000

    response = await api.http.post(
        "/graphql",
        json={
            "query": "query($n: String!) { __type(name: $n) { name } }",
            "variables": {"n": huge},
        },
    )

    assert_clear_refusal(response, 413, "over the limit")


async def test_a_long_string_under_the_body_limit_is_a_typed_validation_error(api):
    member = api.as_(await api.sign_up("long"))

    data = await member.data(
        "mutation($i: CreatePersonaInput!) { createPersona(input: $i) "
        "{ persona { id } errors { code field } } }",
        {"i": {"name": "n" * 900_000, "systemPrompt": "Be kind."}},
    )

    assert data["createPersona"] == {
        "persona": None,
        "errors": [{"code": "VALIDATION", "field": "input.name"}],
    }
