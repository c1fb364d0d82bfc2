"""Which vector search a database offers, and turning pgvector on for it.

Memories' embeddings are ``real[]`` on PostgreSQL and float4 bytes on SQLite,
searched exactly (every candidate scored, persistence/rules/recall.py). Where
PostgreSQL has pgvector, the column is ``vector`` with an HNSW index (cosine)
over embeddings of the default length, and searches rank in SQL. Statements
that write or read embeddings cast through ``real[]``, so they serve both
columns (models.memories.Float4Array).
"""

from __future__ import annotations

import enum
import weakref

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from persistence.models import DEFAULT_EMBEDDING_DIMENSIONS, MAX_EMBEDDING_DIMENSIONS


class VectorSearch(enum.StrEnum):
    PGVECTOR = "pgvector"  # HNSW index, ranking in SQL
    EXACT = "exact"  # every candidate scored (SQLite, PostgreSQL without pgvector)


_EMBEDDING_TYPE = text(
    "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
    "WHERE attrelid = to_regclass('memories') AND attname = 'embedding'"
)
_AVAILABLE = text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")

# Per engine: the column's type does not change under a running server, except by
# `concierge vectors enable`, after which servers are restarted (the exact search
# keeps working on the converted column meanwhile).
_known: weakref.WeakKeyDictionary[Engine, VectorSearch] = weakref.WeakKeyDictionary()


def search_on(connection: Connection) -> VectorSearch:
    """The search the database behind ``connection`` offers (remembered per engine)."""
    engine = connection.engine
    found = _known.get(engine)
    if found is None:
        found = VectorSearch.EXACT
        if connection.dialect.name == "postgresql":
            column_type = connection.execute(_EMBEDDING_TYPE).scalar()
            if column_type == "vector":
                found = VectorSearch.PGVECTOR
        _known[engine] = found
    return found


def hnsw_index_name(dimensions: int) -> str:
    return f"ix_memories_embedding_hnsw_{dimensions}"


def hnsw_index(dimensions: int) -> str:
    """The partial HNSW index over embeddings of one length (an index takes one)."""
    return (
        f"CREATE INDEX IF NOT EXISTS {hnsw_index_name(dimensions)} ON memories "
        f"USING hnsw ((embedding::vector({dimensions})) vector_cosine_ops) "
        f"WHERE dimensions = {dimensions}"
    )


class PgvectorUnavailable(Exception):
    """The database is not PostgreSQL, or its server has no pgvector to install."""


async def describe(engine: AsyncEngine) -> str:
    """A line for ``concierge check``: which search is in use, and what could be."""
    async with engine.connect() as connection:
        search = await connection.run_sync(search_on)
        if search is VectorSearch.PGVECTOR:
            return "pgvector (HNSW index, cosine; ranking in SQL)"
        if engine.dialect.name != "postgresql":
            return "exact search (SQLite has no vector index)"
        available = (await connection.execute(_AVAILABLE)).first() is not None
    if available:
        return "exact search; pgvector is available: run `concierge vectors enable`"
    return "exact search (this PostgreSQL server has no pgvector extension)"


async def enable(engine: AsyncEngine, dimensions: int = DEFAULT_EMBEDDING_DIMENSIONS) -> None:
    """Install pgvector in the database, convert the embedding column and index
    embeddings of ``dimensions``; raises PgvectorUnavailable where it cannot."""
    if engine.dialect.name != "postgresql":
        raise PgvectorUnavailable("pgvector needs PostgreSQL")
    if not 1 <= dimensions <= MAX_EMBEDDING_DIMENSIONS:
        raise PgvectorUnavailable(f"HNSW indexes take 1 to {MAX_EMBEDDING_DIMENSIONS} dimensions")
    async with engine.begin() as connection:
        if (await connection.execute(_AVAILABLE)).first() is None:
            raise PgvectorUnavailable("this PostgreSQL server has no pgvector extension")
        await connection.execute(text("CREATE EXTENSION IF NOT EXISTS vector"))
        if (await connection.execute(_EMBEDDING_TYPE)).scalar() != "vector":
            await connection.execute(
                text(
                    "ALTER TABLE memories ALTER COLUMN embedding TYPE vector "
                    "USING embedding::vector"
                )
            )
        await connection.execute(text(hnsw_index(dimensions)))
    _known.pop(engine.sync_engine, None)
