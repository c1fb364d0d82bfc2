"""Property-based fuzzing of the live schema: generated valid documents and documents
with one schema violation, sent by a signed-in member to a live server. Whatever
comes in, the answer is never a 5xx, never leaks internals, and never takes 5 s."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries
from strawberry import relay

from gql.schema import export_sdl
from tests.http.leaks import LEAKS

SDL = export_sdl()
NODE_TYPES = ("Persona", "Customer", "Conversation", "Message", "Appointment", "File", "User")

# Real-looking values for the custom scalars, including ids of rows that exist.
SCALARS = {
    "DateTime": st.datetimes(timezones=st.timezones()).map(lambda d: nodes.String(d.isoformat())),
    "Date": st.dates().map(lambda d: nodes.String(d.isoformat())),
    "JSON": st.dictionaries(st.text(max_size=5), st.integers(), max_size=3).map(
        lambda d: nodes.String(str(d))
    ),
    "ID": st.builds(
        lambda type_name, key: nodes.String(str(relay.GlobalID(type_name, str(key)))),
        st.sampled_from(NODE_TYPES),
        st.uuids(),
    )
    | st.text(max_size=20).map(nodes.String),
}

FUZZ = settings(
    max_examples=60,
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

    assert response.status_code < 500, response.text
    assert not LEAKS.search(response.text), response.text
    body = response.json()
    assert "data" in body or "errors" in body
    for error in body.get("errors", ()):
        assert error["message"] != "Unexpected error.", (document, body)


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
