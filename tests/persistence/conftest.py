"""Fixtures for persistence tests that need a database of their own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from gql.settings import Settings
from persistence.engine import create_engine
from tests.conftest import (
    PGVECTOR,
    POSTGRES_ADMIN_URL,
    Database,
    _create_postgres_database,
    _drop_postgres_database,
)


@pytest.fixture
async def fresh_database_url(
    db: Database, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """An empty, never-migrated database of the same backend as ``db`` (with the
    pgvector extension created on that backend)."""
    if db.backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
        return
    admin_url, extension = POSTGRES_ADMIN_URL, None
    if db.kind == PGVECTOR:
        admin_url, extension = request.getfixturevalue("pgvector_admin_url"), "vector"
    name, url = await _create_postgres_database(admin_url, extension=extension)
    try:
        yield url
    finally:
        await _drop_postgres_database(name, admin_url)


@pytest.fixture
async def fresh_engine(fresh_database_url: str) -> AsyncIterator[AsyncEngine]:
    """The service's own engine over ``fresh_database_url``."""
    engine = create_engine(Settings(DATABASE_URL=fresh_database_url, CONCIERGE_ENV="test"))
    yield engine
    await engine.dispose()
