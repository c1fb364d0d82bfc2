"""Memory recall benchmark: top-10 recall over N memories of one owner.

    python -m bench.memories --size 100000 --dimensions 1536 --queries 200

Seeds N memories into a PostgreSQL with pgvector (a pgserver of its own under
/tmp unless ``--database-url`` names one) and, with ``--sqlite``, into an
SQLite file; then recalls the top 10 for each query through the use case
(``persistence.services.memories.recall_memories``: search, access counting,
commit) and reports p50/p99 latency of

- ``hnsw``: pgvector's HNSW index (cosine), re-ranked in SQL;
- ``exact-sql``: every memory scored in SQL by pgvector (no index);
- ``exact-numpy`` (``--sqlite``): every memory scored in Python (SQLite's path);

and HNSW's recall@10 against exact search (by similarity alone, the weights of
importance and recency set to 0, so both rank by the same measure).

The data: embeddings drawn around ``--clusters`` random centres (topics), as
sentence embeddings cluster; queries are drawn the same way. Uniform random
vectors in 1536 dimensions are a harder, unrealistic case for any ANN index.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import insert, text

from gql.settings import Settings
from persistence import migrations, vectors
from persistence.engine import create_engine, create_session_factory
from persistence.models import Conversation, Memory, MemoryType, OwnerSettings, User, new_id, utcnow
from persistence.repositories.memories import RecallQuery
from persistence.rules.recall import Weights
from persistence.scope import Scope
from persistence.services.memories import recall_memories
from persistence.unit_of_work import UnitOfWork

BATCH = 1000
SIMILARITY_ONLY = Weights(similarity=1.0, importance=0.0, recency=0.0)


def _settings(url: str) -> Settings:
    # Seeding and index builds are slow by design: no slow-query lines for them.
    # An index build over 100k embeddings takes minutes: no statement timeout either.
    return Settings(
        DATABASE_URL=url,
        CONCIERGE_ENV="test",
        SLOW_QUERY_MS=1e9,
        DB_STATEMENT_TIMEOUT_MS=0,
        DB_COMMAND_TIMEOUT_S=0,
    )


def embeddings(rng: np.random.Generator, centres: np.ndarray, count: int) -> np.ndarray:
    picked = centres[rng.integers(0, len(centres), count)]
    noisy = picked + rng.normal(0, 0.5, picked.shape).astype(np.float32)
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


async def seed(engine: Any, vectors_: np.ndarray, dimensions: int) -> uuid.UUID:
    """One owner, one conversation, ``len(vectors_)`` memories; the conversation id."""
    now = utcnow()
    owner_id, conversation_id = new_id(), new_id()
    async with engine.begin() as connection:
        await connection.execute(
            insert(User).values(
                id=owner_id,
                email=f"bench-{owner_id}@example.com",
                username=f"bench-{owner_id.hex[:12]}",
                hashed_password="-",
                created_at=now,
                updated_at=now,
            )
        )
        await connection.execute(
            insert(OwnerSettings).values(
                owner_id=owner_id, embedding_dimensions=dimensions, created_at=now, updated_at=now
            )
        )
        await connection.execute(
            insert(Conversation).values(
                id=conversation_id, owner_id=owner_id, title="bench", created_at=now, updated_at=now
            )
        )
    for start in range(0, len(vectors_), BATCH):
        rows = [
            {
                "id": new_id(),
                "owner_id": owner_id,
                "conversation_id": conversation_id,
                "content": f"memory {start + offset}",
                "memory_type": MemoryType.FACT,
                "importance": 0.5,
                "dimensions": dimensions,
                "embedding": vector.tolist(),
                "metadata_": {},
                "access_count": 0,
                "created_at": now,
                "updated_at": now,
            }
            for offset, vector in enumerate(vectors_[start : start + BATCH])
        ]
        async with engine.begin() as connection:
            await connection.execute(insert(Memory), rows)
    return conversation_id


async def recall_times(
    engine: Any, conversation_id: uuid.UUID, queries: np.ndarray, *, exact: bool
) -> tuple[list[float], list[list[uuid.UUID]]]:
    factory = create_session_factory(engine)
    times, found = [], []
    for near in queries:
        query = RecallQuery(
            near.tolist(),
            conversation_id=conversation_id,
            k=10,
            weights=SIMILARITY_ONLY,
            exact=exact,
        )
        started = time.perf_counter()
        async with UnitOfWork(factory, Scope.admin(), writes=True) as uow:
            results = await recall_memories(uow, query)
        times.append((time.perf_counter() - started) * 1000)
        found.append([r.memory.id for r in results])
    return times, found


def summary(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"{name:<12} p50 {statistics.median(ordered):8.2f} ms   p99 {p99:8.2f} ms"


async def run(args: argparse.Namespace) -> None:
    rng = np.random.default_rng(args.seed)
    centres = rng.normal(0, 1, (args.clusters, args.dimensions)).astype(np.float32)
    data = embeddings(rng, centres, args.size)
    queries = embeddings(rng, centres, args.queries)
    lines = [f"{args.size} memories, {args.dimensions} dimensions, {args.queries} queries, top 10"]

    server = None
    url = args.database_url
    if url is None:
        import pgserver

        server = pgserver.get_server(
            tempfile.mkdtemp(prefix="concierge-bench-"), cleanup_mode="delete"
        )
        server.psql("CREATE DATABASE concierge_memories")
        url = server.get_uri().replace("/postgres?", "/concierge_memories?")
    engine = create_engine(_settings(url))
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
        await migrations.upgrade(url)
        started = time.perf_counter()
        conversation_id = await seed(engine, data, args.dimensions)
        lines.append(f"seeded PostgreSQL in {time.perf_counter() - started:.0f} s")
        async with engine.begin() as connection:
            await connection.execute(text("SET maintenance_work_mem = '1GB'"))
            await connection.execute(text(f"DROP INDEX IF EXISTS {vectors.hnsw_index_name(1536)}"))
            started = time.perf_counter()
            await connection.execute(text(vectors.hnsw_index(args.dimensions)))
            await connection.execute(text("ANALYZE memories"))
        lines.append(f"built the HNSW index in {time.perf_counter() - started:.0f} s")
        lines.append(f"search: {await vectors.describe(engine)}")
        await recall_times(engine, conversation_id, queries[:5], exact=False)  # warm up
        hnsw, approximate = await recall_times(engine, conversation_id, queries, exact=False)
        exact_sql, exact = await recall_times(engine, conversation_id, queries, exact=True)
        lines.append(summary("hnsw", hnsw))
        lines.append(summary("exact-sql", exact_sql))
        recall = [len(set(a) & set(e)) / 10 for a, e in zip(approximate, exact, strict=True)]
        lines.append(f"HNSW recall@10 against exact: {statistics.mean(recall):.3f}")
    finally:
        await engine.dispose()
        if server is not None:
            server.cleanup()

    if args.sqlite:
        with tempfile.TemporaryDirectory(prefix="concierge-bench-") as directory:
            sqlite_url = f"sqlite+aiosqlite:///{Path(directory) / 'memories.db'}"
            await migrations.upgrade(sqlite_url)
            engine = create_engine(_settings(sqlite_url))
            try:
                conversation_id = await seed(engine, data, args.dimensions)
                times, _ = await recall_times(engine, conversation_id, queries, exact=True)
                lines.append(summary("exact-numpy", times) + "   (SQLite)")
            finally:
                await engine.dispose()
    print("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--dimensions", type=int, default=1536)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--clusters", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sqlite", action="store_true", help="measure SQLite's exact search too")
    parser.add_argument("--database-url", help="a PostgreSQL with pgvector (default: pgserver)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
