"""The viewer behind a token is remembered for VIEWER_CACHE_SECONDS, no longer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import update

from persistence.models import User
from tests.conftest import Api, serving

VIEWER = "{ viewer { username } }"


@asynccontextmanager
async def api_caching_viewers_for(db, settings, seconds: float) -> AsyncIterator[Api]:
    caching = settings.model_copy(update={"viewer_cache_seconds": seconds})
    async with serving(caching, db.engine) as api:
        yield api


async def deactivate(db, username: str) -> None:
    async with db.engine.begin() as connection:
        await connection.execute(
            update(User).where(User.username == username).values(is_active=False)
        )


async def test_a_known_viewer_costs_no_statement_within_the_ttl(db, settings):
    async with api_caching_viewers_for(db, settings, 60) as api:
        member = api.as_(await api.sign_up("cached"))
        await member.data(VIEWER)

        with db.statements() as log:
            seen = await member.data(VIEWER)

    assert seen["viewer"] == {"username": "cached"}
    assert log.count == 0


async def test_a_deactivated_user_keeps_access_until_the_ttl_runs_out(db, settings):
    async with api_caching_viewers_for(db, settings, 0.5) as api:
        member = api.as_(await api.sign_up("leaver"))
        await member.data(VIEWER)
        await deactivate(db, "leaver")

        within_ttl = await member.data(VIEWER)
        await asyncio.sleep(0.6)
        after_ttl = await member.data(VIEWER)

    assert within_ttl["viewer"] == {"username": "leaver"}
    assert after_ttl["viewer"] is None


async def test_without_a_cache_deactivation_takes_effect_at_once(db, settings):
    async with api_caching_viewers_for(db, settings, 0) as api:
        member = api.as_(await api.sign_up("gone"))
        await member.data(VIEWER)
        await deactivate(db, "gone")

        seen = await member.data(VIEWER)

    assert seen["viewer"] is None


async def test_the_cache_holds_at_most_viewer_cache_size_users(db, settings):
    tuned = settings.model_copy(update={"viewer_cache_seconds": 60, "viewer_cache_size": 2})
    async with serving(tuned, db.engine) as api:
        members = [api.as_(await api.sign_up(f"viewer{n}")) for n in range(4)]
        for member in members:
            await member.data(VIEWER)

        with db.statements() as log:
            newest = await members[-1].data(VIEWER)
            oldest = await members[0].data(VIEWER)

    assert len(api.app.state.services.viewers) == 2
    assert newest["viewer"] == {"username": "viewer3"}
    assert oldest["viewer"] == {"username": "viewer0"}
    assert log.count == 1  # the newest was still remembered, the oldest was read again
