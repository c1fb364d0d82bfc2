"""Memories: remembering (in bulk, all or none), changing, forgetting, recalling
by embedding, and the owner's embedding length."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from persistence.errors import NotFound, Problem, ProblemKind
from persistence.models import MAX_EMBEDDING_DIMENSIONS, Memory, MemoryType, OwnerSettings, utcnow
from persistence.repositories.memories import RecallQuery
from persistence.rules import recall
from persistence.rules.values import between, json_object, length, refuse
from persistence.unit_of_work import UnitOfWork

CONTENT_MAX = 10_000
MAX_MEMORIES_PER_CALL = 100
# All content and metadata of one call together (embeddings are bounded by their length).
MAX_TOTAL_BYTES = 256 * 1024


@dataclass(frozen=True)
class NewMemory:
    content: str
    embedding: Sequence[float]
    memory_type: MemoryType = MemoryType.FACT
    importance: float = 0.5
    persona_id: UUID | None = None
    first_message_id: UUID | None = None
    metadata: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Recalled:
    memory: Memory
    similarity: float
    score: float


def _embedding_problem(
    embedding: Sequence[float], dimensions: int, *at: str | int
) -> Problem | None:
    if len(embedding) != dimensions:
        return Problem(
            tuple(at),
            f"must have {dimensions} dimensions (the owner's setting), not {len(embedding)}",
            ProblemKind.WRONG_DIMENSIONS,
        )
    if not all(math.isfinite(x) for x in embedding):
        return Problem(tuple(at), "must hold finite numbers only")
    return None


def _memory_problems(memory: NewMemory, index: int, dimensions: int) -> list[Problem | None]:
    def at(name: str) -> tuple[str | int, ...]:
        return ("memories", index, name)

    return [
        length(memory.content, at("content"), minimum=1, maximum=CONTENT_MAX),
        between(memory.importance, at("importance"), 0, 1),
        json_object(memory.metadata, at("metadata")),
        _embedding_problem(memory.embedding, dimensions, *at("embedding")),
    ]


async def remember(
    uow: UnitOfWork, conversation_id: UUID, memories: Sequence[NewMemory]
) -> list[Memory]:
    """Store ``memories`` of a visible conversation, all or none. Refuses (InvalidInput)
    more than MAX_MEMORIES_PER_CALL or MAX_TOTAL_BYTES, embeddings of another
    length than the owner's setting, and personas or messages not of the
    conversation's owner (NotFound)."""
    if not 1 <= len(memories) <= MAX_MEMORIES_PER_CALL:
        refuse([Problem(("memories",), f"pass 1 to {MAX_MEMORIES_PER_CALL} memories")])
    total = sum(len(m.content.encode()) + len(orjson.dumps(m.metadata or {})) for m in memories)
    if total > MAX_TOTAL_BYTES:
        refuse([Problem(("memories",), f"must be at most {MAX_TOTAL_BYTES} bytes of content")])
    async with uow.transaction():
        conversation = await uow.conversations.lock(conversation_id)
        if conversation is None:
            raise NotFound("conversation", conversation_id, ("conversation_id",))
        settings = await uow.owner_settings.of_owner(conversation.owner_id)
        refuse(
            problem
            for index, memory in enumerate(memories)
            for problem in _memory_problems(memory, index, settings.embedding_dimensions)
        )
        await _check_links(uow, conversation.owner_id, conversation.id, memories)
        rows = [
            Memory(
                persona_id=m.persona_id,
                first_message_id=m.first_message_id,
                content=m.content,
                memory_type=m.memory_type,
                importance=float(m.importance),
                dimensions=len(m.embedding),
                embedding=[float(x) for x in m.embedding],
                metadata_=dict(m.metadata or {}),
                access_count=0,
            )
            for m in memories
        ]
        await uow.memories.add_all(conversation, rows)
        return rows


async def _check_links(
    uow: UnitOfWork, owner_id: UUID, conversation_id: UUID, memories: Sequence[NewMemory]
) -> None:
    persona_ids = list(dict.fromkeys(m.persona_id for m in memories if m.persona_id))
    personas = dict(zip(persona_ids, await uow.personas.get_many(persona_ids), strict=True))
    message_ids = list(dict.fromkeys(m.first_message_id for m in memories if m.first_message_id))
    messages = dict(zip(message_ids, await uow.messages.get_many(message_ids), strict=True))
    for index, memory in enumerate(memories):
        persona = personas.get(memory.persona_id) if memory.persona_id else None
        if memory.persona_id and (persona is None or persona.owner_id != owner_id):
            raise NotFound("persona", memory.persona_id, ("memories", index, "persona_id"))
        message = messages.get(memory.first_message_id) if memory.first_message_id else None
        if memory.first_message_id and (
            message is None or message.conversation_id != conversation_id
        ):
            raise NotFound(
                "message", memory.first_message_id, ("memories", index, "first_message_id")
            )


async def update_memory(uow: UnitOfWork, memory_id: UUID, changes: Mapping[str, Any]) -> Memory:
    """Change ``content``, ``memory_type``, ``importance``, ``metadata`` or
    ``embedding`` of a visible memory. Raises NotFound or InvalidInput."""
    async with uow.transaction():
        memory = await uow.memories.lock(memory_id)
        if memory is None:
            raise NotFound("memory", memory_id, ("id",))
        for required in ("content", "memory_type", "importance", "embedding", "metadata"):
            if required in changes and changes[required] is None:
                refuse([Problem((required,), "cannot be null")])
        problems: list[Problem | None] = [
            length(changes.get("content"), ("content",), minimum=1, maximum=CONTENT_MAX),
            between(changes.get("importance"), ("importance",), 0, 1),
            json_object(changes.get("metadata"), ("metadata",)),
        ]
        if "embedding" in changes:
            settings = await uow.owner_settings.of_owner(memory.owner_id)
            problems.append(
                _embedding_problem(changes["embedding"], settings.embedding_dimensions, "embedding")
            )
        refuse(problems)
        for name in ("content", "memory_type", "importance"):
            if name in changes:
                setattr(memory, name, changes[name])
        if "metadata" in changes:
            memory.metadata_ = dict(changes["metadata"])
        if "embedding" in changes:
            memory.embedding = [float(x) for x in changes["embedding"]]
            memory.dimensions = len(memory.embedding)
        return await uow.memories.save(memory)


async def forget(uow: UnitOfWork, memory_ids: Sequence[UUID]) -> list[UUID]:
    """Delete visible memories, all or none: NotFound names the first id not visible."""
    if not 1 <= len(memory_ids) <= MAX_MEMORIES_PER_CALL:
        refuse([Problem(("ids",), f"pass 1 to {MAX_MEMORIES_PER_CALL} ids")])
    async with uow.transaction():
        deleted = set(await uow.memories.remove_many(memory_ids))
        for index, memory_id in enumerate(memory_ids):
            if memory_id not in deleted:
                raise NotFound("memory", memory_id, ("ids", index))
        return list(dict.fromkeys(memory_ids))


async def recall_memories(uow: UnitOfWork, query: RecallQuery) -> list[Recalled]:
    """The ``k`` best memories for ``query``, best first; each counts one more access
    (``access_count``, ``last_accessed_at``) in the same transaction. Raises
    InvalidInput (the embedding's length, ``k``, the weights) or NotFound."""
    if (query.conversation_id is None) == (query.persona_id is None):
        refuse([Problem(("conversation_id",), "pass either conversationId or personaId")])
    refuse(
        [
            between(query.k, ("k",), 1, recall.MAX_K),
            *query.weights.problems(),
        ]
    )
    async with uow.transaction():
        owner_id = await _owner_of_target(uow, query)
        settings = await uow.owner_settings.of_owner(owner_id)
        refuse([_embedding_problem(query.near, settings.embedding_dimensions, "near")])
        now = utcnow()
        scored = await uow.memories.search(query, now)
        rows = {row.id: row for row in await uow.memories.touch([s.id for s in scored], now)}
        return [Recalled(rows[s.id], s.similarity, s.score) for s in scored if s.id in rows]


async def _owner_of_target(uow: UnitOfWork, query: RecallQuery) -> UUID:
    if query.conversation_id is not None:
        (conversation,) = await uow.conversations.get_many([query.conversation_id])
        if conversation is None:
            raise NotFound("conversation", query.conversation_id, ("conversation_id",))
        return conversation.owner_id
    assert query.persona_id is not None
    (persona,) = await uow.personas.get_many([query.persona_id])
    if persona is None:
        raise NotFound("persona", query.persona_id, ("persona_id",))
    return persona.owner_id


async def update_owner_settings(
    uow: UnitOfWork, owner_id: UUID, changes: Mapping[str, Any]
) -> OwnerSettings:
    """Change the owner's ``embedding_dimensions`` (refused while memories of another
    length exist) or ``message_retention_days`` (``None``: keep forever)."""
    if "embedding_dimensions" in changes and changes["embedding_dimensions"] is None:
        refuse([Problem(("embedding_dimensions",), "cannot be null")])
    refuse(
        [
            between(
                changes.get("embedding_dimensions"),
                ("embedding_dimensions",),
                1,
                MAX_EMBEDDING_DIMENSIONS,
            ),
            between(changes.get("message_retention_days"), ("message_retention_days",), 1, 36_500),
        ]
    )
    async with uow.transaction():
        settings = await uow.owner_settings.stored(owner_id)
        if settings is None:
            settings = await uow.owner_settings.add(await uow.owner_settings.of_owner(owner_id))
        dimensions = changes.get("embedding_dimensions")
        if dimensions is not None and dimensions != settings.embedding_dimensions:
            if await uow.memories.count(
                Memory.owner_id == owner_id, Memory.dimensions != dimensions
            ):
                refuse(
                    [
                        Problem(
                            ("embedding_dimensions",),
                            "memories of another length exist: forget them first",
                        )
                    ]
                )
            settings.embedding_dimensions = dimensions
        if "message_retention_days" in changes:
            settings.message_retention_days = changes["message_retention_days"]
        return await uow.owner_settings.save(settings)
