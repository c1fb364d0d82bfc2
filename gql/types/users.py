from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self
from uuid import UUID

import strawberry
from strawberry import relay

from gql.context import Info
from gql.types.connection import Connection, child_connection
from gql.types.node import RowNode
from persistence import models
from persistence.models import Role
from persistence.repositories.personas import PERSONAS_BY_NAME

if TYPE_CHECKING:
    from gql.types.personas import Persona

strawberry.enum(Role, description="What a user may do: admins see every tenant's data.")


@strawberry.type(description="An operator who runs assistant personas.")
class User(RowNode):
    loader = "user"

    id: relay.NodeID[str]
    pk: strawberry.Private[UUID]
    email: str
    username: str
    full_name: str | None
    role: Role
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.User) -> Self:
        return cls(
            id=str(row.id),
            pk=row.id,
            email=row.email,
            username=row.username,
            full_name=row.full_name,
            role=row.role,
            is_active=row.is_active,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(description="The user's personas, by name.")
    async def personas(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Annotated[Persona, strawberry.lazy("gql.types.personas")]]:
        from gql.types.personas import Persona

        return await child_connection(
            info,
            parent_id=self.pk,
            pages=info.context.loaders.personas_by_owner,
            counts=info.context.loaders.persona_counts_by_owner,
            ordering=PERSONAS_BY_NAME,
            node=Persona.from_row,
            first=first,
            after=after,
            last=last,
            before=before,
        )
