"""Vector search by backend: which search each database offers, HNSW answers
agreeing with exact search on 1536 dimensions, `concierge vectors enable`
converting a database migrated without pgvector, and migrations round-tripping
with pgvector installed."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text

from gql.settings import Settings
from persistence import migrations, vectors
from persistence.engine import create_engine, create_session_factory
from persistence.models import Memory
from persistence.repositories.memories import RecallQuery
from persistence.rules.recall import Weights
from persistence.scope import Scope
from persistence.services import memories
from persistence.unit_of_work import UnitOfWork
from tests.conftest import PGVECTOR, _create_postgres_database, _drop_postgres_database
from tests.factories import make_conversation, make_user

pytestmark = pytest.mark.pgvector

ONLY_SIMILARITY = Weights(similarity=1.0, importance=0.0, recency=0.0)


def random_vector(rng: random.Random, dimensions: int = 1536) -> list[float]:
    return [rng.gauss(0, 1) for _ in range(dimensions)]


async def seed_memories(uow: UnitOfWork, count: int, rng: random.Random, dimensions: int = 1536):
    owner = await make_user(uow)
    conversation = await make_conversation(uow, owner)
    for start in range(0, count, 100):
        batch = [
            memories.NewMemory(f"memory {n}", random_vector(rng, dimensions))
            for n in range(start, min(count, start + 100))
        ]
        await memories.remember(uow, conversation.id, batch)
    return conversation


async def column_type(engine) -> str | None:
    async with engine.connect() as connection:
        return (
            await connection.execute(
                text(
                    "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                    "WHERE attrelid = 'memories'::regclass AND attname = 'embedding'"
                )
            )
        ).scalar()


async def test_each_backend_says_which_search_it_offers(db):
    described = await vectors.describe(db.engine)

    if db.kind == PGVECTOR:
        assert described.startswith("pgvector (HNSW")
        assert await column_type(db.engine) == "vector"
    elif db.kind == "postgres":
        assert described == "exact search (this PostgreSQL server has no pgvector extension)"
        assert await column_type(db.engine) == "real[]"
    else:
        assert described == "exact search (SQLite has no vector index)"


async def test_enabling_pgvector_without_it_is_refused_and_changes_nothing(db):
    if db.kind == PGVECTOR:
        await vectors.enable(db.engine)  # already on: nothing to do, and no error
        assert await column_type(db.engine) == "vector"
        return
    with pytest.raises(vectors.PgvectorUnavailable):
        await vectors.enable(db.engine)
    assert (await vectors.describe(db.engine)).startswith("exact search")


async def test_search_at_1536_dimensions_agrees_with_exact_search(db):
    rng = random.Random(15)
    async with db.uow(writes=True) as uow:
        conversation = await seed_memories(uow, 300, rng)
    recalls = []
    for _ in range(5):
        near = random_vector(rng)
        found = []
        for exact in (False, True):
            query = RecallQuery(
                near, conversation_id=conversation.id, k=10, weights=ONLY_SIMILARITY, exact=exact
            )
            async with db.uow(writes=True) as uow:
                found.append([r.memory.id for r in await memories.recall_memories(uow, query)])
                await uow.rollback()
        approximate, exact_ids = found
        assert len(approximate) == len(exact_ids) == 10
        recalls.append(len(set(approximate) & set(exact_ids)) / 10)

    assert sum(recalls) / len(recalls) >= 0.95, recalls


async def test_the_hnsw_index_exists_only_where_pgvector_does(db):
    if db.backend != "postgresql":
        return
    async with db.engine.connect() as connection:
        found = (
            await connection.execute(
                text("SELECT indexdef FROM pg_indexes WHERE indexname = :name"),
                {"name": vectors.hnsw_index_name(1536)},
            )
        ).scalar()
    if db.kind == PGVECTOR:
        assert "USING hnsw" in found and "vector_cosine_ops" in found
        assert "WHERE (dimensions = 1536)" in found
    else:
        assert found is None


async def test_a_database_migrated_without_pgvector_is_converted_by_enable(
    db, request: pytest.FixtureRequest
):
    if db.kind != PGVECTOR:
        return
    admin = request.getfixturevalue("pgvector_admin_url")
    name, url = await _create_postgres_database(admin)  # no extension yet
    engine = create_engine(Settings(DATABASE_URL=url, CONCIERGE_ENV="test"))
    try:
        await migrations.upgrade(url)
        assert await column_type(engine) == "real[]"
        assert "run `concierge vectors enable`" in await vectors.describe(engine)
        rng = random.Random(7)
        factory = create_session_factory(engine)
        async with UnitOfWork(factory, Scope.admin(), writes=True) as uow:
            conversation = await seed_memories(uow, 30, rng, dimensions=1536)
        near = random_vector(rng)
        query = RecallQuery(near, conversation_id=conversation.id, k=5, weights=ONLY_SIMILARITY)

        async with UnitOfWork(factory, Scope.admin(), writes=True) as uow:
            before = [r.memory.id for r in await memories.recall_memories(uow, query)]
        await vectors.enable(engine)
        async with UnitOfWork(factory, Scope.admin(), writes=True) as uow:
            after = [r.memory.id for r in await memories.recall_memories(uow, query)]
            stored = await uow.memories.get(before[0])

        assert await column_type(engine) == "vector"
        assert (await vectors.describe(engine)).startswith("pgvector")
        assert after == before
        assert len(stored.embedding) == 1536
    finally:
        await engine.dispose()
        await _drop_postgres_database(name, admin)


async def test_migrations_round_trip_with_and_without_pgvector(
    db, fresh_database_url, fresh_engine
):
    await migrations.upgrade(fresh_database_url)
    async with UnitOfWork(create_session_factory(fresh_engine), Scope.admin(), writes=True) as uow:
        owner = await make_user(uow)
        await make_conversation(uow, owner)
        await uow.commit()

    await migrations.downgrade(fresh_database_url, "0004")
    async with fresh_engine.connect() as connection:
        users = (await connection.execute(text("SELECT count(*) FROM users"))).scalar()
        conversations = (
            await connection.execute(text("SELECT count(*) FROM conversations"))
        ).scalar()
    await migrations.upgrade(fresh_database_url)

    assert (users, conversations) == (1, 1)
    assert await migrations.current_revision(fresh_engine) == migrations.head_revision()
    if db.backend == "postgresql":
        expected = "vector" if db.kind == PGVECTOR else "real[]"
        assert await column_type(fresh_engine) == expected
    async with UnitOfWork(create_session_factory(fresh_engine), Scope.admin()) as uow:
        assert await uow.memories.count(Memory.id.is_not(None)) == 0
