"""Rate limits per token and per client address: 429 with Retry-After once a
budget is spent, in process or in Redis shared by instances."""

from __future__ import annotations

import contextlib

import httpx
import pytest
import redis.asyncio as aioredis

from gql.auth.tokens import issue_token
from gql.server.app import create_app
from tests.conftest import REDIS_URL
from tests.factories import make_user

QUERY = {"query": "{ __typename }"}


@contextlib.asynccontextmanager
async def clients(settings, db, *addresses: str, **overrides):
    """One HTTP client per client address, all on one app instance."""
    app = create_app(settings.model_copy(update=overrides), engine=db.engine)
    async with contextlib.AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app, client=(address, 4000)),
                    base_url="http://test",
                )
            )
            for address in addresses
        ]


async def token_for(seed, settings) -> dict[str, str]:
    async with seed() as uow:
        user = await make_user(uow)
    return {"Authorization": f"Bearer {issue_token(user, settings)}"}


async def test_a_token_over_its_budget_gets_429_with_retry_after(db, seed, settings):
    ada, bob = await token_for(seed, settings), await token_for(seed, settings)
    async with clients(settings, db, "10.1.0.1", "10.1.0.2", rate_limit_per_token=3) as (one, two):
        answered = [await one.post("/graphql", json=QUERY, headers=ada) for _ in range(3)]
        refused = await two.post("/graphql", json=QUERY, headers=ada)  # same token, elsewhere
        other = await one.post("/graphql", json=QUERY, headers=bob)
        anonymous = await one.post("/graphql", json=QUERY)

    assert [r.status_code for r in answered] == [200, 200, 200]
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    error = refused.json()["errors"][0]
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["extensions"]["retryAfter"] == int(refused.headers["retry-after"])
    assert other.status_code == 200
    assert anonymous.status_code == 200


async def test_an_address_over_its_budget_is_refused_whatever_the_token(db, seed, settings):
    ada, bob = await token_for(seed, settings), await token_for(seed, settings)
    async with clients(settings, db, "10.2.0.1", "10.2.0.2", rate_limit_per_address=2) as (
        crowded,
        calm,
    ):
        first = await crowded.post("/graphql", json=QUERY, headers=ada)
        second = await crowded.get("/graphql", params=QUERY, headers=bob)
        third = await crowded.post("/graphql", json=QUERY)
        elsewhere = await calm.post("/graphql", json=QUERY, headers=ada)
        health = await crowded.get("/healthz")

    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
    assert elsewhere.status_code == 200
    assert health.status_code == 200


async def test_a_refused_request_runs_no_sql(db, seed, settings):
    ada = await token_for(seed, settings)
    async with clients(settings, db, "10.3.0.1", rate_limit_per_token=1) as (client,):
        await client.post("/graphql", json={"query": "{ viewer { id } }"}, headers=ada)
        with db.statements() as log:
            refused = await client.post(
                "/graphql", json={"query": "{ viewer { id } }"}, headers=ada
            )

    assert refused.status_code == 429
    assert log.statements == []


async def test_instances_sharing_redis_share_the_budget(db, seed, settings, redis_prefix):
    ada = await token_for(seed, settings)
    shared = {
        "rate_limit_per_token": 2,
        "rate_limit_storage": "redis",
        "redis_url": REDIS_URL,
        "redis_key_prefix": redis_prefix,
    }
    async with (
        clients(settings, db, "10.4.0.1", **shared) as (one,),
        clients(settings, db, "10.4.0.2", **shared) as (other,),
    ):
        statuses = [
            (await client.post("/graphql", json=QUERY, headers=ada)).status_code
            for client in (one, other, one, other)
        ]

    assert statuses == [200, 200, 429, 429]
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        assert [key async for key in client.scan_iter(match=redis_prefix + "rate*")]
    finally:
        await client.aclose()


async def test_a_redis_that_is_down_lets_requests_through(db, settings, caplog):
    down = {
        "rate_limit_per_address": 1,
        "rate_limit_storage": "redis",
        "redis_url": "redis://127.0.0.1:1/0",
    }
    async with clients(settings, db, "10.5.0.1", **down) as (client,):
        statuses = [(await client.post("/graphql", json=QUERY)).status_code for _ in range(2)]

    assert statuses == [200, 200]
    assert "rate limits not applied" in caplog.text


def test_redis_storage_without_redis_url_refuses_to_start(settings):
    with pytest.raises(ValueError, match="needs REDIS_URL"):
        create_app(
            settings.model_copy(
                update={"rate_limit_per_token": 5, "rate_limit_storage": "redis", "redis_url": None}
            )
        )
