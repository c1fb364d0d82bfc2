from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, ClassVar, Self
from uuid import UUID

import strawberry
from strawberry import relay

from gql.api.conversations.types import CONVERSATION_ORDERINGS, Conversation, ConversationOrder
from gql.api.core.compiled import Declared, PageOf
from gql.api.core.connections import Connection, Keyset, keyset_connection
from gql.api.core.context import Info
from gql.api.core.nodes import RowNode
from persistence import models
from persistence.models import Conversation as ConversationRow
from persistence.repositories.personas import PERSONAS_BY_NAME, PERSONAS_NEWEST_FIRST


@strawberry.type(
    description="How a persona's language model is called. A value object embedded in its "
    "persona, without an id: normalised caches should store it inside the persona and "
    "replace it whole (Apollo: `merge: true`; urql graphcache: a `keys` entry of `null`)."
)
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


@strawberry.type(
    description="How a persona sounds on voice channels. A value object embedded in its "
    "persona, without an id, like `AiSettings`."
)
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
    reads: ClassVar[Mapping[str, Declared]] = {"conversations": PageOf(CONVERSATION_ORDERINGS)}
    converters: ClassVar[Mapping[str, Callable[[Any], Any]]] = {
        "ai_settings": AiSettings.from_json,
        "voice_settings": VoiceSettings.from_json,
    }

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

    @keyset_connection(
        Connection[Conversation],
        paging_first=True,
        description="The conversations this persona had.",
    )
    def conversations(
        self, info: Info, order_by: ConversationOrder = ConversationOrder.LAST_MESSAGE_AT_DESC
    ) -> Keyset[ConversationRow]:
        children = info.context.loaders.conversations_of_persona
        return Keyset.of_parent(
            self.pk, children, CONVERSATION_ORDERINGS[order_by], Conversation.from_row
        )


@strawberry.enum(description="How personas are ordered.")
class PersonaOrder(enum.Enum):
    NAME_ASC = "NAME_ASC"
    CREATED_AT_DESC = "CREATED_AT_DESC"


PERSONA_ORDERINGS = {
    PersonaOrder.NAME_ASC: PERSONAS_BY_NAME,
    PersonaOrder.CREATED_AT_DESC: PERSONAS_NEWEST_FIRST,
}


@strawberry.input
class PersonaFilterInput:
    is_active: bool | None = None
    name_contains: str | None = strawberry.field(default=None, description="Case-insensitive.")
