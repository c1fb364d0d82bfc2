from __future__ import annotations

import strawberry

from gql.api.conversations.types import (
    CONVERSATION_ORDERINGS,
    Conversation,
    ConversationFilterInput,
    ConversationOrder,
)
from gql.api.core.connections import Connection, Keyset, keyset_connection
from gql.api.core.context import Info
from gql.api.core.nodes import decode_optional_id
from gql.auth.permissions import AUTHENTICATED
from persistence.models import Conversation as ConversationRow
from persistence.repositories import ConversationFilter


@strawberry.type
class ConversationQueries:
    @keyset_connection(
        Connection[Conversation],
        permission_classes=AUTHENTICATED,
        description="Your conversations.",
    )
    def conversations(
        self,
        info: Info,
        filter: ConversationFilterInput | None = None,
        order_by: ConversationOrder = ConversationOrder.LAST_MESSAGE_AT_DESC,
    ) -> Keyset[ConversationRow]:
        given = filter or ConversationFilterInput()
        filter_ = ConversationFilter(
            persona_id=decode_optional_id(given.persona_id, "Persona", "filter.personaId"),
            customer_id=decode_optional_id(given.customer_id, "Customer", "filter.customerId"),
            updated_after=given.updated_after,
        )
        ordering = CONVERSATION_ORDERINGS[order_by]
        return Keyset.of_filter(
            info.context.uow.conversations, filter_, ordering, Conversation.from_row
        )
