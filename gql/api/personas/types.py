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
from gql.api.files.types import File
from persistence import models
from persistence.models import Conversation as ConversationRow
from persistence.models import ExecutionContext
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


strawberry.enum(ExecutionContext, description="When a persona module runs, relative to the reply.")


@strawberry.type(description="One module of a persona's pipeline, run in stage priority order.")
class PersonaModule(RowNode):
    loader = "persona_module"

    id: relay.NodeID[str]
    pk: strawberry.Private[UUID]
    persona_id: strawberry.Private[UUID]
    name: str
    type: str
    trigger_pattern: str | None
    content: str | None
    script: str | None
    execution_context: ExecutionContext
    requires_ai_inference: bool
    stage_priority: int = strawberry.field(description="Lower runs first; 0 to 10000.")
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="The persona this module belongs to.")
    async def persona(self, info: Info) -> Persona | None:
        return await Persona.load(info, self.persona_id)


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
    avatar_file_id: strawberry.Private[UUID | None]
    mode: str | None = strawberry.field(description="How it runs, e.g. assistant, companion.")
    loop_frequency: str | None = strawberry.field(
        description="How often its proactive loop runs, e.g. daily."
    )
    relation_type: str | None = strawberry.field(
        description="For a companion: the relation it plays, e.g. friend, mentor."
    )
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="The persona's avatar image, if it has one.")
    async def avatar(self, info: Info) -> File | None:
        return await File.load(info, self.avatar_file_id)

    @strawberry.field(description="Its modules, by stage priority (then name).")
    async def modules(self, info: Info) -> list[PersonaModule]:
        rows = await info.context.loaders.modules_of_persona.load(self.pk)
        return [PersonaModule.from_row(row) for row in rows]

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
