from __future__ import annotations

import strawberry

from gql.api.core.connections import Connection, Keyset, keyset_connection
from gql.api.core.context import Info
from gql.api.personas.types import PERSONA_ORDERINGS, Persona, PersonaFilterInput, PersonaOrder
from gql.auth.permissions import AUTHENTICATED
from persistence.models import Persona as PersonaRow
from persistence.repositories import PersonaFilter


@strawberry.type
class PersonaQueries:
    @keyset_connection(
        Connection[Persona], permission_classes=AUTHENTICATED, description="Your personas."
    )
    def personas(
        self,
        info: Info,
        filter: PersonaFilterInput | None = None,
        order_by: PersonaOrder = PersonaOrder.NAME_ASC,
    ) -> Keyset[PersonaRow]:
        given = filter or PersonaFilterInput()
        filter_ = PersonaFilter(is_active=given.is_active, name_contains=given.name_contains)
        ordering = PERSONA_ORDERINGS[order_by]
        return Keyset.of_filter(info.context.uow.personas, filter_, ordering, Persona.from_row)
