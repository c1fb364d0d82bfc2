"""CORS preflights a browser app with telemetry sends: Apollo's client headers,
W3C trace context, baggage and Sentry pass by default; the list is a setting."""

from __future__ import annotations

import pytest

from tests.server.test_production import client_for

ORIGIN = "https://app.example"
TELEMETRY = (
    "apollographql-client-name",
    "apollographql-client-version",
    "apollo-require-preflight",
    "x-apollo-operation-name",
    "traceparent",
    "tracestate",
    "baggage",
    "sentry-trace",
)


def preflight(headers: str) -> dict[str, str]:
    return {
        "Origin": ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": headers,
    }


@pytest.mark.parametrize("header", TELEMETRY)
async def test_a_preflight_asking_for_a_client_or_tracing_header_is_allowed(
    db, database_url, header
):
    async with client_for(db, database_url, CORS_ORIGINS=ORIGIN) as http:
        response = await http.options(
            "/graphql", headers=preflight(f"content-type, authorization, {header}")
        )

    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert header in response.headers["access-control-allow-headers"].lower()


async def test_everything_apollo_and_sentry_send_at_once_passes(db, database_url):
    async with client_for(db, database_url, CORS_ORIGINS=ORIGIN) as http:
        response = await http.options("/graphql", headers=preflight(", ".join(TELEMETRY)))
        request = await http.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"Origin": ORIGIN, **dict.fromkeys(TELEMETRY, "x")},
        )

    assert response.status_code == 200
    assert request.json() == {"data": {"__typename": "Query"}}
    assert request.headers["access-control-allow-origin"] == ORIGIN


async def test_the_allowed_headers_are_a_setting(db, database_url):
    async with client_for(
        db, database_url, CORS_ORIGINS=ORIGIN, CORS_ALLOW_HEADERS="Content-Type, x-team"
    ) as http:
        custom = await http.options("/graphql", headers=preflight("content-type, x-team"))
        dropped = await http.options("/graphql", headers=preflight("content-type, traceparent"))

    assert custom.status_code == 200
    assert dropped.status_code == 400
    assert "Disallowed CORS headers" in dropped.text


async def test_a_header_outside_the_list_is_still_refused(db, database_url):
    async with client_for(db, database_url, CORS_ORIGINS=ORIGIN) as http:
        response = await http.options("/graphql", headers=preflight("x-not-listed"))

    assert response.status_code == 400
