"""Remembering, changing, forgetting and recalling memories; the owner's memory
settings. A recall is a mutation: it counts each returned memory's access in
the same transaction, and queries run without one."""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry.scalars import JSON

from gql.api.conversations.types import Conversation
from gql.api.core.context import Info
from gql.api.core.mutations import Payload, row_id, run_mutation
from gql.api.memories.types import Memory, OwnerSettings, RecallWeightsInput, ScoredMemory
from gql.api.personas.types import Persona
from persistence import models
from persistence.models import MemoryType
from persistence.repositories.memories import RecallQuery
from persistence.rules.recall import MAX_K
from persistence.services import memories
from persistence.services.memories import MAX_MEMORIES_PER_CALL, MAX_TOTAL_BYTES
from persistence.unit_of_work import UnitOfWork


@strawberry.input
class MemoryInput:
    content: str
    embedding: list[float] = strawberry.field(
        description="As long as your `embeddingDimensions` setting (1536 by default)."
    )
    memory_type: MemoryType = MemoryType.FACT
    importance: float = 0.5
    persona_id: strawberry.ID | None = None
    first_message_id: strawberry.ID | None = None
    metadata: JSON | None = None


@strawberry.input
class RememberMemoriesInput:
    conversation_id: strawberry.ID
    memories: list[MemoryInput]


@strawberry.input(description="Only the fields you pass change.")
class UpdateMemoryInput:
    id: strawberry.ID
    content: str | None = strawberry.UNSET
    memory_type: MemoryType | None = strawberry.UNSET
    importance: float | None = strawberry.UNSET
    embedding: list[float] | None = strawberry.UNSET
    metadata: JSON | None = strawberry.UNSET


@strawberry.input
class ForgetMemoriesInput:
    ids: list[strawberry.ID]


@strawberry.input(
    description="The memories nearest `near` of one conversation or of one persona "
    "(pass exactly one of `conversationId`, `personaId`)."
)
class RecallMemoriesInput:
    near: list[float]
    conversation_id: strawberry.ID | None = None
    persona_id: strawberry.ID | None = None
    k: int = strawberry.field(default=10, description=f"How many, 1 to {MAX_K}.")
    min_score: float | None = strawberry.field(
        default=None, description="Leave out results scoring less."
    )
    memory_types: list[MemoryType] | None = None
    weights: RecallWeightsInput | None = None


@strawberry.input(description="Only the fields you pass change.")
class UpdateOwnerSettingsInput:
    embedding_dimensions: int | None = strawberry.UNSET
    message_retention_days: int | None = strawberry.UNSET


@strawberry.type
class RememberMemoriesPayload(Payload):
    memories: list[Memory] = strawberry.field(default_factory=list)


@strawberry.type
class MemoryPayload(Payload):
    memory: Memory | None = None


@strawberry.type
class ForgetMemoriesPayload(Payload):
    forgotten_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.type
class RecallMemoriesPayload(Payload):
    results: list[ScoredMemory] = strawberry.field(default_factory=list, description="Best first.")
    conversation: Conversation | None = strawberry.field(
        default=None, description="The conversation recalled from (its state, its messages)."
    )
    persona: Persona | None = strawberry.field(
        default=None,
        description="The persona recalled for, or the conversation's (its modules).",
    )


@strawberry.type
class OwnerSettingsPayload(Payload):
    settings: OwnerSettings | None = None


def _ids(raw: list[strawberry.ID]) -> list[Any]:
    return [row_id(id_, "Memory", ("ids", index)) for index, id_ in enumerate(raw)]


@strawberry.type
class MemoryMutations:
    @strawberry.mutation(
        description="Store memories of a conversation, all or none: at most "
        f"{MAX_MEMORIES_PER_CALL} per call and {MAX_TOTAL_BYTES} bytes of content and "
        "metadata together; embeddings of another length than your setting are refused."
    )
    async def remember_memories(
        self, info: Info, input: RememberMemoriesInput
    ) -> RememberMemoriesPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> RememberMemoriesPayload:
            new = [
                memories.NewMemory(
                    content=m.content,
                    embedding=m.embedding,
                    memory_type=m.memory_type,
                    importance=m.importance,
                    persona_id=row_id(m.persona_id, "Persona", ("memories", i, "persona_id")),
                    first_message_id=row_id(
                        m.first_message_id, "Message", ("memories", i, "first_message_id")
                    ),
                    metadata=m.metadata,  # type: ignore[arg-type]  # checked by the use case
                )
                for i, m in enumerate(input.memories)
            ]
            conversation_id = row_id(input.conversation_id, "Conversation", ("conversation_id",))
            stored = await memories.remember(uow, conversation_id, new)
            return RememberMemoriesPayload(memories=[Memory.from_row(row) for row in stored])

        return await run_mutation(info, RememberMemoriesPayload, work)

    @strawberry.mutation(description="Change some fields of one of your memories.")
    async def update_memory(self, info: Info, input: UpdateMemoryInput) -> MemoryPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> MemoryPayload:
            changes = {
                name: value
                for name in ("content", "memory_type", "importance", "embedding", "metadata")
                if (value := getattr(input, name)) is not strawberry.UNSET
            }
            memory_id = row_id(input.id, "Memory", ("id",))
            row = await memories.update_memory(uow, memory_id, changes)
            return MemoryPayload(memory=Memory.from_row(row))

        return await run_mutation(info, MemoryPayload, work)

    @strawberry.mutation(description="Delete memories of yours, all or none.")
    async def forget_memories(
        self, info: Info, input: ForgetMemoriesInput
    ) -> ForgetMemoriesPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> ForgetMemoriesPayload:
            await memories.forget(uow, _ids(input.ids))
            return ForgetMemoriesPayload(forgotten_ids=list(dict.fromkeys(input.ids)))

        return await run_mutation(info, ForgetMemoriesPayload, work)

    @strawberry.mutation(
        description="The memories that best match `near`, ranked by cosine similarity "
        "weighted with importance and recency; each one returned counts an access."
    )
    async def recall_memories(
        self, info: Info, input: RecallMemoriesInput
    ) -> RecallMemoriesPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> RecallMemoriesPayload:
            query = RecallQuery(
                near=input.near,
                conversation_id=row_id(input.conversation_id, "Conversation", ("conversation_id",)),
                persona_id=row_id(input.persona_id, "Persona", ("persona_id",)),
                k=input.k,
                min_score=input.min_score,
                memory_types=tuple(input.memory_types) if input.memory_types else None,
                weights=(input.weights or RecallWeightsInput()).weights(),
            )
            found = await memories.recall_memories(uow, query)
            conversation = await Conversation.load(info, query.conversation_id)
            persona_id = query.persona_id or (conversation.persona_id if conversation else None)
            return RecallMemoriesPayload(
                results=[
                    ScoredMemory(
                        memory=Memory.from_row(r.memory), similarity=r.similarity, score=r.score
                    )
                    for r in found
                ],
                conversation=conversation,
                persona=await Persona.load(info, persona_id),
            )

        return await run_mutation(info, RecallMemoriesPayload, work)

    @strawberry.mutation(description="Change your settings for memories and retention.")
    async def update_owner_settings(
        self, info: Info, input: UpdateOwnerSettingsInput
    ) -> OwnerSettingsPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> OwnerSettingsPayload:
            changes = {
                name: value
                for name in ("embedding_dimensions", "message_retention_days")
                if (value := getattr(input, name)) is not strawberry.UNSET
            }
            row = await memories.update_owner_settings(uow, viewer.id, changes)
            return OwnerSettingsPayload(settings=OwnerSettings.from_row(row))

        return await run_mutation(info, OwnerSettingsPayload, work)
