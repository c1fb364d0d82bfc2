"""A shared, read-only world of two tenants per backend for the tenancy read matrix."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from persistence.engine import create_session_factory
from tests.conftest import Api, Database, serving
from tests.security.world import World, build_world


@pytest.fixture(scope="module")
async def shared_world(
    engine: AsyncEngine, database_url: str, settings: Settings
) -> AsyncIterator[World]:
    """Built once per module and backend; only for tests that change nothing."""
    database = Database(engine, create_session_factory(engine), database_url)
    try:
        async with serving(settings, engine) as api:
            yield await build_world(api, database, settings)
    finally:
        await database.wipe()


@pytest.fixture
async def world(api: Api, db: Database, settings: Settings) -> World:
    """A fresh world for a test that may change it (wiped with ``db``)."""
    return await build_world(api, db, settings)
