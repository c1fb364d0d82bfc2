"""Property-based fuzzing of the live schema: generated valid documents and documents
with one schema violation, sent by a signed-in member to a live server. Whatever
comes in, the answer is never a 5xx, never a masked internal error, never leaks internals,
and never takes 5 s. Scalars are drawn with the edge values of their domains too."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import graphql
import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries
from strawberry import relay

from gql.schema import export_sdl
from tests.server.leaks import LEAKS

SDL = export_sdl()
NODE_TYPES = ("Persona", "Customer", "Conversation", "Message", "Appointment", "File", "User")
ORDERINGS = (
    "LAST_MESSAGE_AT_DESC",
    "CREATED_AT_ASC",
    "CREATED_AT_DESC",
    "NAME_ASC",
    "STARTS_AT_ASC",
)


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def json_literal(value: Any) -> str:
    """A JSON value written as a GraphQL literal (object keys are GraphQL names)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {json_literal(item)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(json_literal(item) for item in value) + "]"
    return orjson.dumps(value).decode()


def json_node(value: Any) -> graphql.ValueNode:
    return graphql.parse_value(json_literal(value))


def nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


# Values at the edges of each scalar's domain, beside ordinary ones: the ends of the
# calendar, zones that are folders or garbage, huge and negative numbers, deeply
# nested JSON, and cursors that are valid base64 of something else.
EDGE_DATES = ["0001-01-01", "9999-12-31", "0002-01-01", "9998-12-31", "2027-02-30", "10000-01-01"]
EDGE_INSTANTS = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59.999999-14:00",
    "0002-01-01T00:00:00+14:00",
    "9998-12-31T23:59:59-14:00",
    "2027-01-01T00:00:00",
    "2027-01-01",
]
ZONES = [
    "Europe",
    "Etc",
    "America",
    "AAAAAAAAAAAAAAAAAAAA",
    "../../etc/passwd",
    "Europe/Berlin",
    "UTC",
]
GARBLED_CURSORS = [
    b64("[" * 5000 + "]" * 5000),
    b64('{"a":' * 900 + "1" + "}" * 900),
    *(
        b64(orjson.dumps([name, "0" * 12, *values]).decode())
        for name in ORDERINGS
        for values in (
            [],
            [1, 2],
            [True, None],
            ["0001-01-01T00:00:00+14:00", "01960a4e-2f7c-7d3a-9b1e-5c6d7e8f9a0b"],
            ["9999-12-31T23:59:59.999999-14:00", "x"],
            [["nested"], {"o": 1}],
        )
    ),
    "%%%",
    "A" * 2000,
]
INTS = [0, -1, 1, 2**31 - 1, -(2**31), 101, 500, 10_000_001]

SCALARS = {
    "DateTime": (
        st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat())
        | st.sampled_from(EDGE_INSTANTS)
    ).map(nodes.String),
    "Date": (st.dates().map(lambda d: d.isoformat()) | st.sampled_from(EDGE_DATES)).map(
        nodes.String
    ),
    "JSON": (
        st.dictionaries(
            st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True),
            st.integers(-(2**53), 2**53),
            max_size=3,
        )
        | st.sampled_from([nested(20), nested(40), [nested(10)], "text", 2**40])
    ).map(json_node),
    "ID": st.builds(
        lambda type_name, key: nodes.String(str(relay.GlobalID(type_name, str(key)))),
        st.sampled_from(NODE_TYPES),
        st.uuids(),
    )
    | st.text(max_size=20).map(nodes.String),
    "String": (
        st.text(max_size=30) | st.sampled_from(ZONES) | st.sampled_from(GARBLED_CURSORS)
    ).map(nodes.String),
    # A file can only come as a multipart part; in a document it is any literal.
    "Upload": st.text(max_size=10).map(nodes.String),
    "Int": (st.integers(-(2**31), 2**31 - 1) | st.sampled_from(INTS)).map(nodes.Int),
}

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def client(live_server: str) -> Iterator[httpx.Client]:
    """A signed-in member's client, with some data of their own to find."""
    with httpx.Client(base_url=live_server, timeout=5.0) as http:
        name = f"fuzz{uuid.uuid4().hex[:8]}"
        signed_up = http.post(
            "/graphql",
            json={
                "query": "mutation($i: SignUpInput!) { signUp(input: $i) { token } }",
                "variables": {
                    "i": {
                        "email": f"{name}@example.com",
                        "username": name,
                        "password": "fuzz-pass-123",
                    }
                },
            },
        ).json()
        http.headers["Authorization"] = f"Bearer {signed_up['data']['signUp']['token']}"
        http.post(
            "/graphql",
            json={
                "query": 'mutation { createPersona(input: {name: "Fuzz", systemPrompt: "x"}) '
                "{ persona { id } } }"
            },
        )
        yield http


def assert_handled(http: httpx.Client, document: str) -> None:
    response = http.post("/graphql", json={"query": document})  # the timeout is the 5 s bound

    # 503 is the database saying "retry", which a healthy test database never says.
    assert response.status_code < 500, response.text
    assert not LEAKS.search(response.text), response.text
    body = response.json()
    assert "data" in body or "errors" in body
    for error in body.get("errors", ()):
        # A masked internal error is a bug the fuzzer found, as much as a 5xx is.
        assert error["message"] != "Unexpected error.", (document, body)
        assert error.get("extensions", {}).get("code") != "INTERNAL_SERVER_ERROR", (document, body)


@FUZZ
@given(data=st.data())
def test_valid_queries_are_answered_cleanly(client, data):
    document = data.draw(queries(SDL, custom_scalars=SCALARS, allow_x00=False))

    assert_handled(client, document)


@FUZZ
@given(data=st.data())
def test_valid_mutations_are_answered_cleanly(client, data):
    document = data.draw(mutations(SDL, custom_scalars=SCALARS, allow_x00=False))

    assert_handled(client, document)


@FUZZ
@given(data=st.data())
def test_slightly_invalid_documents_are_refused_cleanly(client, data):
    strategy = data.draw(st.sampled_from([queries, mutations]))
    document = data.draw(strategy(SDL, custom_scalars=SCALARS, mode=Mode.NEGATIVE))

    assert_handled(client, document)


@FUZZ
@given(document=st.text(max_size=300))
def test_arbitrary_text_is_refused_cleanly(client, document):
    assert_handled(client, document)
