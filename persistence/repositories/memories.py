"""Memories and their search by embedding: exact (every candidate scored with
numpy) or, where pgvector is installed, nearest neighbours through the HNSW
index re-ranked in SQL (persistence/vectors.py, persistence/rules/recall.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Float,
    LargeBinary,
    Select,
    bindparam,
    cast,
    delete,
    func,
    literal,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.types import UserDefinedType

from persistence.models import Conversation, Memory, MemoryType
from persistence.models.memories import Float4Array
from persistence.pagination import Ordering, Page, PageRequest, ordering_by
from persistence.repositories.base import Repository
from persistence.rules import recall
from persistence.vectors import VectorSearch, search_on

MEMORIES_NEWEST_FIRST: Ordering[Memory] = ordering_by(
    "CREATED_AT_DESC", Memory.created_at, Memory.id, descending=True
)
MEMORIES_OLDEST_FIRST: Ordering[Memory] = ordering_by(
    "CREATED_AT_ASC", Memory.created_at, Memory.id
)


class Vector(UserDefinedType[Any]):
    """pgvector's ``vector(n)``, only ever cast to (values travel as ``real[]``)."""

    cache_ok = True

    def __init__(self, dimensions: int) -> None:
        self.dimensions = dimensions

    def get_col_spec(self, **_kw: Any) -> str:
        return f"vector({self.dimensions})"


@dataclass(frozen=True)
class RecallQuery:
    """What to recall: the memories nearest ``near`` of one conversation or of one
    persona (across its conversations), of some types, scored by ``weights``."""

    near: Sequence[float]
    conversation_id: UUID | None = None
    persona_id: UUID | None = None
    k: int = 10
    min_score: float | None = None
    memory_types: tuple[MemoryType, ...] | None = None
    weights: recall.Weights = field(default_factory=recall.Weights)
    # Score every candidate even where an index could answer (benchmarks, checks).
    exact: bool = False


@dataclass(frozen=True)
class Scored:
    id: UUID
    similarity: float
    score: float


class MemoryRepository(Repository[Memory]):
    """Memories, owned by the owner of their conversation."""

    model = Memory

    async def pages_by_conversation(
        self, conversation_ids: Sequence[UUID], ordering: Ordering[Memory], request: PageRequest
    ) -> list[Page[Memory]]:
        return await self._pages_by_parent(
            Memory.conversation_id, conversation_ids, ordering, request
        )

    async def counts_by_conversation(self, conversation_ids: Sequence[UUID]) -> list[int]:
        return await self._counts_by_parent(Memory.conversation_id, conversation_ids)

    async def add_all(self, conversation: Conversation, memories: Sequence[Memory]) -> None:
        """Insert ``memories`` of ``conversation`` (its owner's), all in one flush."""
        self._check_owner(conversation.owner_id)
        for memory in memories:
            memory.owner_id = conversation.owner_id
            memory.conversation_id = conversation.id
            self._gate.add(memory)
        await self._gate.flush()

    async def remove_many(self, ids: Sequence[UUID]) -> list[UUID]:
        """Delete the visible memories among ``ids``; the ids deleted."""
        conditions = [c for c in (self._visible(), Memory.id.in_(set(ids))) if c is not None]
        statement = delete(Memory).where(*conditions).returning(Memory.id)
        return [row.id for row in await self._gate.rows(statement)]

    async def search(self, query: RecallQuery, now: datetime) -> list[Scored]:
        """The best ``k`` visible memories for ``query`` at ``now``, best first."""
        search = VectorSearch.EXACT
        if self._gate.dialect == "postgresql":
            search = await self._gate.run_sync(search_on)
        if search is VectorSearch.PGVECTOR:
            return await self._search_in_sql(query, now)
        return await self._search_exactly(query, now)

    def _candidates(self, query: RecallQuery) -> list[ColumnElement[bool]]:
        conditions = [Memory.dimensions == len(query.near)]
        if query.conversation_id is not None:
            conditions.append(Memory.conversation_id == query.conversation_id)
        if query.persona_id is not None:
            conditions.append(Memory.persona_id == query.persona_id)
        if query.memory_types:
            conditions.append(Memory.memory_type.in_(query.memory_types))
        visible = self._visible()
        return conditions if visible is None else [visible, *conditions]

    async def _search_exactly(self, query: RecallQuery, now: datetime) -> list[Scored]:
        embedding: Any = Memory.embedding
        if self._gate.dialect == "sqlite":
            # The raw float4 bytes: numpy reads them without a list per row.
            embedding = type_coerce(Memory.__table__.c.embedding, LargeBinary())
        statement = select(
            Memory.id,
            embedding,
            Memory.importance,
            Memory.created_at,
            Memory.last_accessed_at,
        ).where(*self._candidates(query))
        rows = await self._gate.rows(statement)
        if not rows:
            return []
        if self._gate.dialect == "sqlite":
            vectors = np.frombuffer(b"".join(row[1] for row in rows), dtype="<f4")
        else:
            vectors = np.asarray([row[1] for row in rows], dtype=np.float32)
        similarities = recall.cosine_similarities(query.near, vectors.reshape(len(rows), -1))
        weights = query.weights
        scored = [
            Scored(
                row.id,
                float(similarity),
                recall.score(
                    float(similarity),
                    row.importance,
                    recall.recency(
                        row.last_accessed_at or row.created_at, now, weights.half_life_days
                    ),
                    weights,
                ),
            )
            for row, similarity in zip(rows, similarities, strict=True)
        ]
        if query.min_score is not None:
            scored = [found for found in scored if found.score >= query.min_score]
        scored.sort(key=lambda found: (-found.score, found.id))
        return scored[: query.k]

    async def _search_in_sql(self, query: RecallQuery, now: datetime) -> list[Scored]:
        vector = Vector(len(query.near))
        near = cast(bindparam("near", list(query.near), type_=Float4Array()), vector)
        distance = cast(Memory.__table__.c.embedding, vector).op("<=>", return_type=Float())(near)
        nearest: Select[Any] = select(  # type: ignore[assignment]
            Memory.id,
            Memory.importance,
            func.coalesce(Memory.last_accessed_at, Memory.created_at).label("last_used"),
            (literal(1.0) - distance).label("similarity"),
        ).where(*self._candidates(query))
        if not query.exact:
            # The HNSW index yields neighbours by distance; the score re-ranks them.
            limit = recall.candidates(query.k)
            nearest = nearest.order_by(distance).limit(limit)
            breadth = recall.search_breadth(query.k)
            await self._gate.execute(text(f"SET LOCAL hnsw.ef_search = {int(breadth)}"))
        found = nearest.subquery("nearest")
        weights = query.weights
        age_days = (
            func.greatest(
                0.0,
                func.extract(
                    "epoch", bindparam("now", now, type_=Memory.created_at.type) - found.c.last_used
                ),
            )
            / recall.SECONDS_PER_DAY
        )
        freshness = func.power(0.5, age_days / weights.half_life_days)
        score = (
            found.c.similarity * weights.similarity
            + found.c.importance * weights.importance
            + freshness * weights.recency
        ).label("score")
        scored = select(found.c.id, found.c.similarity, score).subquery("scored")
        ranked = select(scored).order_by(scored.c.score.desc(), scored.c.id).limit(query.k)
        if query.min_score is not None:
            ranked = ranked.where(scored.c.score >= query.min_score)
        rows = await self._gate.rows(ranked)
        return [Scored(row.id, float(row.similarity), float(row.score)) for row in rows]

    async def touch(self, ids: Sequence[UUID], now: datetime) -> list[Memory]:
        """Count one more access of each of ``ids`` at ``now``; the updated rows."""
        if not ids:
            return []
        statement = (
            update(Memory)
            .where(Memory.id.in_(set(ids)))
            # A recall is no change of the memory: `updated_at` stays.
            .values(
                access_count=Memory.access_count + 1,
                last_accessed_at=now,
                updated_at=Memory.updated_at,
            )
            .returning(Memory)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        by_id = {row.id: row for row in await self._gate.scalars(statement)}
        return [by_id[id_] for id_ in ids if id_ in by_id]
