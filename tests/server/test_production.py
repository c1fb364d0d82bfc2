"""Production switches: no introspection, no GraphiQL, a required SECRET_KEY, and CORS
limited to the configured origins."""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import asynccontextmanager

import httpx
import pytest

from gql.server.app import create_app
from gql.settings import Settings

INTROSPECTION = "{ __schema { queryType { name } } }"


@asynccontextmanager
async def client_for(db, database_url: str, **overrides):
    settings = Settings(DATABASE_URL=database_url, **overrides)
    app = create_app(settings, engine=db.engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_production_turns_introspection_and_graphiql_off(db, database_url):
    async with client_for(
        db, database_url, CONCIERGE_ENV="production", SECRET_KEY="s3cret"
    ) as http:
        introspection = await http.post("/graphql", json={"query": INTROSPECTION})
        graphiql = await http.get("/graphql", headers={"Accept": "text/html"})
        health = await http.post("/graphql", json={"query": "{ health { status } }"})

    assert "introspection" in introspection.json()["errors"][0]["message"].lower()
    assert graphiql.status_code == 404
    assert health.json()["data"]["health"]["status"] in ("OK", "DEGRADED", "DOWN")


async def test_each_switch_can_be_turned_back_on_in_production(db, database_url):
    async with client_for(
        db,
        database_url,
        CONCIERGE_ENV="production",
        SECRET_KEY="s3cret",
        GRAPHIQL=True,
        INTROSPECTION=True,
    ) as http:
        introspection = await http.post("/graphql", json={"query": INTROSPECTION})
        graphiql = await http.get("/graphql", headers={"Accept": "text/html"})

    assert introspection.json() == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    assert graphiql.status_code == 200
    assert "graphiql" in graphiql.text.lower()


async def test_development_serves_introspection_and_graphiql(db, database_url):
    async with client_for(db, database_url, CONCIERGE_ENV="development") as http:
        introspection = await http.post("/graphql", json={"query": INTROSPECTION})
        graphiql = await http.get("/graphql", headers={"Accept": "text/html"})

    assert "errors" not in introspection.json()
    assert graphiql.status_code == 200


def test_production_refuses_to_build_the_app_without_a_secret_key(database_url):
    settings = Settings(DATABASE_URL=database_url, CONCIERGE_ENV="production")

    with pytest.raises(RuntimeError, match="SECRET_KEY must be set"):
        create_app(settings)


def test_serve_refuses_to_start_in_production_without_a_secret_key(database_url):
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(DATABASE_URL=database_url, CONCIERGE_ENV="production")

    completed = subprocess.run(
        [sys.executable, "-m", "gql.cli", "serve", "--port", "1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert completed.returncode != 0
    assert "SECRET_KEY must be set" in completed.stderr + completed.stdout


async def test_cors_allows_only_the_configured_origins(db, database_url):
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type",
    }
    async with client_for(
        db, database_url, CORS_ORIGINS="https://app.example, https://admin.example"
    ) as http:
        allowed = await http.options(
            "/graphql", headers={"Origin": "https://admin.example", **preflight}
        )
        refused = await http.options(
            "/graphql", headers={"Origin": "https://evil.example", **preflight}
        )
        simple = await http.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"Origin": "https://app.example"},
        )

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://admin.example"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers
    assert simple.headers["access-control-allow-origin"] == "https://app.example"
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()


async def test_without_configured_origins_no_cross_origin_access_is_granted(db, database_url):
    async with client_for(db, database_url) as http:
        response = await http.post(
            "/graphql",
            json={"query": "{ __typename }"},
            headers={"Origin": "https://app.example"},
        )

    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
