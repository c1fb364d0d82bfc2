from __future__ import annotations

from datetime import datetime
from typing import Any, Self
from uuid import UUID

import strawberry
from strawberry import relay

from gql.context import Info
from gql.types.connection import Connection, child_connection
from gql.types.conversations import ORDERINGS, Conversation, ConversationOrder
from gql.types.node import RowNode
from persistence import models


@strawberry.type(description="How a persona's language model is called.")
class AiSettings:
    model: str
    temperature: float
    max_tokens: int

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Self:
        defaults = models.default_ai_settings()
        merged = defaults | {k: v for k, v in value.items() if k in defaults}
        return cls(
            model=str(merged["model"]),
            temperature=float(merged["temperature"]),
            max_tokens=int(merged["max_tokens"]),
        )


@strawberry.type(description="How a persona sounds on voice channels.")
class VoiceSettings:
    voice: str
    language: str
    speed: float

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Self:
        defaults = models.default_voice_settings()
        merged = defaults | {k: v for k, v in value.items() if k in defaults}
        return cls(
            voice=str(merged["voice"]),
            language=str(merged["language"]),
            speed=float(merged["speed"]),
        )


@strawberry.type(description="An assistant persona: its prompt, model and voice settings.")
class Persona(RowNode):
    loader = "persona"

    id: relay.NodeID[str]
    pk: strawberry.Private[UUID]
    owner_id: strawberry.Private[UUID]
    name: str
    description: str | None
    system_prompt: str
    first_message: str | None
    is_active: bool
    ai_settings: AiSettings
    voice_settings: VoiceSettings
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.Persona) -> Self:
        return cls(
            id=str(row.id),
            pk=row.id,
            owner_id=row.owner_id,
            name=row.name,
            description=row.description,
            system_prompt=row.system_prompt,
            first_message=row.first_message,
            is_active=row.is_active,
            ai_settings=AiSettings.from_json(row.ai_settings),
            voice_settings=VoiceSettings.from_json(row.voice_settings),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(description="The conversations this persona had.")
    async def conversations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: ConversationOrder = ConversationOrder.LAST_MESSAGE_AT_DESC,
    ) -> Connection[Conversation]:
        return await child_connection(
            info,
            parent_id=self.pk,
            pages=info.context.loaders.conversations_by_persona,
            counts=info.context.loaders.conversation_counts_by_persona,
            ordering=ORDERINGS[order_by],
            node=Conversation.from_row,
            first=first,
            after=after,
            last=last,
            before=before,
        )
