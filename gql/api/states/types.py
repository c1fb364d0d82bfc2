"""Conversation state as GraphQL types: one entry of a module's state."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Self
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from gql.api.core.context import Info

if TYPE_CHECKING:
    from gql.api.personas.types import Persona


@strawberry.type(
    description="One key of a module's state in a conversation, with the version every "
    "write moves on (pass it as `expectedVersion` to write it again)."
)
class ConversationStateEntry:
    persona_id: strawberry.Private[UUID | None]
    module: str
    key: str
    value: JSON | None
    version: int
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(
            persona_id=row.persona_id,
            module=row.module_key,
            key=row.key,
            value=row.value,
            version=row.version,
            updated_at=row.updated_at,
        )

    @strawberry.field(description="The persona whose state it is, if any.")
    async def persona(
        self, info: Info
    ) -> Annotated[Persona, strawberry.lazy("gql.api.personas.types")] | None:
        from gql.api.personas.types import Persona

        return await Persona.load(info, self.persona_id)
