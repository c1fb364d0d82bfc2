"""Memories as GraphQL types: the node, a recall's scored result, the owner's
memory settings, and the orderings of a conversation's memories."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Self
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from gql.api.core.context import Info
from gql.api.core.nodes import RowNode
from persistence.models import MemoryType
from persistence.repositories.memories import MEMORIES_NEWEST_FIRST, MEMORIES_OLDEST_FIRST
from persistence.rules.recall import Weights
from persistence.vectors import VectorSearch

if TYPE_CHECKING:
    from gql.api.conversations.types import Conversation, Message
    from gql.api.personas.types import Persona

strawberry.enum(MemoryType, description="What kind of thing a memory keeps.")
strawberry.enum(VectorSearch, description="How memories are searched by embedding.")

_DEFAULT = Weights()


@strawberry.type(description="Something an assistant drew from a conversation, to recall later.")
class Memory(RowNode):
    loader = "memory"

    id: relay.NodeID[str]
    pk: strawberry.Private[UUID]
    conversation_id: strawberry.Private[UUID]
    persona_id: strawberry.Private[UUID | None]
    first_message_id: strawberry.Private[UUID | None]
    content: str
    memory_type: MemoryType
    importance: float = strawberry.field(description="From 0 (trivial) to 1 (essential).")
    embedding: list[float]
    metadata: JSON
    access_count: int = strawberry.field(description="How often a recall returned it.")
    last_accessed_at: datetime | None = strawberry.field(description="Its latest recall.")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Self:
        # `metadata` is the column's name; on the model it is `metadata_` (SQLAlchemy
        # reserves `metadata`), so this type is not built by name alone.
        return cls(
            id=str(row.id),
            pk=row.id,
            conversation_id=row.conversation_id,
            persona_id=row.persona_id,
            first_message_id=row.first_message_id,
            content=row.content,
            memory_type=row.memory_type,
            importance=row.importance,
            embedding=row.embedding,
            metadata=row.metadata_,
            access_count=row.access_count,
            last_accessed_at=row.last_accessed_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(description="The conversation it was drawn from.")
    async def conversation(
        self, info: Info
    ) -> Annotated[Conversation, strawberry.lazy("gql.api.conversations.types")] | None:
        from gql.api.conversations.types import Conversation

        return await Conversation.load(info, self.conversation_id)

    @strawberry.field(description="The persona it belongs to, if any.")
    async def persona(
        self, info: Info
    ) -> Annotated[Persona, strawberry.lazy("gql.api.personas.types")] | None:
        from gql.api.personas.types import Persona

        return await Persona.load(info, self.persona_id)

    @strawberry.field(description="The message it was first drawn from, if any (and kept).")
    async def first_message(
        self, info: Info
    ) -> Annotated[Message, strawberry.lazy("gql.api.conversations.types")] | None:
        from gql.api.conversations.types import Message

        return await Message.load(info, self.first_message_id)


@strawberry.type(description="A recalled memory with how well it matches.")
class ScoredMemory:
    memory: Memory
    similarity: float = strawberry.field(description="Cosine similarity to `near`, -1 to 1.")
    score: float = strawberry.field(
        description="similarity * weights.similarity + importance * weights.importance "
        "+ 0.5^(days since last recall or creation / weights.halfLifeDays) * weights.recency"
    )


@strawberry.enum(description="How a conversation's memories are ordered.")
class MemoryOrder(enum.Enum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"


MEMORY_ORDERINGS = {
    MemoryOrder.CREATED_AT_DESC: MEMORIES_NEWEST_FIRST,
    MemoryOrder.CREATED_AT_ASC: MEMORIES_OLDEST_FIRST,
}


@strawberry.input(description="The weights of a recall's score (see ScoredMemory.score).")
class RecallWeightsInput:
    similarity: float = _DEFAULT.similarity
    importance: float = _DEFAULT.importance
    recency: float = _DEFAULT.recency
    half_life_days: float = _DEFAULT.half_life_days

    def weights(self) -> Weights:
        return Weights(self.similarity, self.importance, self.recency, self.half_life_days)


@strawberry.type(description="An owner's settings for what assistants keep.")
class OwnerSettings:
    embedding_dimensions: int = strawberry.field(
        description="The length every embedding of this owner must have (1536 by default)."
    )
    message_retention_days: int | None = strawberry.field(
        description="Messages older than this are deleted by `concierge purge`; null: kept."
    )

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(
            embedding_dimensions=row.embedding_dimensions,
            message_retention_days=row.message_retention_days,
        )
