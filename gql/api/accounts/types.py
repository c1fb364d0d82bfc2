from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, ClassVar
from uuid import UUID

import strawberry
from strawberry import relay

from gql.api.core.compiled import Declared, PageOf
from gql.api.core.connections import Connection, Keyset, keyset_connection
from gql.api.core.context import Info
from gql.api.core.nodes import RowNode
from persistence.models import Persona as PersonaRow
from persistence.models import Role
from persistence.repositories.personas import PERSONAS_BY_NAME

if TYPE_CHECKING:
    from gql.api.memories.types import OwnerSettings
    from gql.api.personas.types import Persona

strawberry.enum(Role, description="What a user may do: admins see every tenant's data.")


@strawberry.type(description="An operator who runs assistant personas.")
class User(RowNode):
    loader = "user"
    reads: ClassVar[Mapping[str, Declared]] = {"personas": PageOf(fixed=PERSONAS_BY_NAME)}

    id: relay.NodeID[str]
    pk: strawberry.Private[UUID]
    email: str
    username: str
    full_name: str | None
    role: Role
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @keyset_connection(
        Connection[Annotated["Persona", strawberry.lazy("gql.api.personas.types")]],
        paging_first=True,
        description="The user's personas, by name.",
    )
    def personas(self, info: Info) -> Keyset[PersonaRow]:
        from gql.api.personas.types import Persona

        children = info.context.loaders.personas_of_owner
        return Keyset.of_parent(self.pk, children, PERSONAS_BY_NAME, Persona.from_row)

    @strawberry.field(description="The user's settings for memories and retention.")
    async def settings(
        self, info: Info
    ) -> Annotated[OwnerSettings, strawberry.lazy("gql.api.memories.types")]:
        from gql.api.memories.types import OwnerSettings

        return OwnerSettings.from_row(await info.context.loaders.owner_settings.load(self.pk))
