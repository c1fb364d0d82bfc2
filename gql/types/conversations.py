from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self, cast
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from gql.context import Info
from gql.types.connection import Connection, child_connection
from gql.types.node import RowNode
from persistence import models
from persistence.models import MessageRole
from persistence.records import MessageRecord
from persistence.repositories.conversations import (
    CONVERSATIONS_BY_ACTIVITY,
    CONVERSATIONS_NEWEST_FIRST,
    CONVERSATIONS_RECENTLY_UPDATED,
)
from persistence.repositories.messages import MESSAGES_NEWEST_FIRST, MESSAGES_OLDEST_FIRST

if TYPE_CHECKING:
    from gql.types.customers import Customer
    from gql.types.personas import Persona

strawberry.enum(MessageRole, description="Who wrote a message.")


@strawberry.enum(description="How conversations are ordered.")
class ConversationOrder(enum.Enum):
    LAST_MESSAGE_AT_DESC = "LAST_MESSAGE_AT_DESC"
    CREATED_AT_DESC = "CREATED_AT_DESC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"


ORDERINGS = {
    ConversationOrder.LAST_MESSAGE_AT_DESC: CONVERSATIONS_BY_ACTIVITY,
    ConversationOrder.CREATED_AT_DESC: CONVERSATIONS_NEWEST_FIRST,
    ConversationOrder.UPDATED_AT_DESC: CONVERSATIONS_RECENTLY_UPDATED,
}


@strawberry.enum(description="How messages are ordered.")
class MessageOrder(enum.Enum):
    CREATED_AT_ASC = "CREATED_AT_ASC"
    CREATED_AT_DESC = "CREATED_AT_DESC"


MESSAGE_ORDERINGS = {
    MessageOrder.CREATED_AT_ASC: MESSAGES_OLDEST_FIRST,
    MessageOrder.CREATED_AT_DESC: MESSAGES_NEWEST_FIRST,
}


@strawberry.type(description="One turn of a conversation.")
class Message(RowNode):
    loader = "message"

    id: relay.NodeID[str]
    pk: strawberry.Private[UUID]
    conversation_id: strawberry.Private[UUID]
    role: MessageRole
    content: str
    thinking: str | None
    extra_data: JSON
    input_tokens: int | None
    output_tokens: int | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: models.Message | MessageRecord) -> Self:
        return cls(
            id=str(row.id),
            pk=row.id,
            conversation_id=row.conversation_id,
            role=row.role,
            content=row.content,
            thinking=row.thinking,
            extra_data=cast(JSON, row.extra_data),
            input_tokens=row.input_tokens,
            output_tokens=row.output_tokens,
            created_at=row.created_at,
        )

    @strawberry.field(description="The conversation this message belongs to.")
    async def conversation(self, info: Info) -> Conversation | None:
        row = await info.context.loaders.conversation.load(self.conversation_id)
        return Conversation.from_row(row) if row else None


@strawberry.type(description="A thread between a persona and a customer.")
class Conversation(RowNode):
    loader = "conversation"

    id: relay.NodeID[str]
    pk: strawberry.Private[UUID]
    persona_id: strawberry.Private[UUID | None]
    customer_id: strawberry.Private[UUID | None]
    title: str
    provider_type: str | None
    provider_config: JSON
    last_message_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.Conversation) -> Self:
        return cls(
            id=str(row.id),
            pk=row.id,
            persona_id=row.persona_id,
            customer_id=row.customer_id,
            title=row.title,
            provider_type=row.provider_type,
            provider_config=cast(JSON, row.provider_config),
            last_message_at=row.last_message_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(description="The persona in this conversation (null once deleted).")
    async def persona(
        self, info: Info
    ) -> Annotated[Persona, strawberry.lazy("gql.types.personas")] | None:
        from gql.types.personas import Persona

        if self.persona_id is None:
            return None
        row = await info.context.loaders.persona.load(self.persona_id)
        return Persona.from_row(row) if row else None

    @strawberry.field(description="The customer in this conversation.")
    async def customer(
        self, info: Info
    ) -> Annotated[Customer, strawberry.lazy("gql.types.customers")] | None:
        from gql.types.customers import Customer

        if self.customer_id is None:
            return None
        row = await info.context.loaders.customer.load(self.customer_id)
        return Customer.from_row(row) if row else None

    @strawberry.field(description="The messages, oldest first unless ordered otherwise.")
    async def messages(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: MessageOrder = MessageOrder.CREATED_AT_ASC,
    ) -> Connection[Message]:
        return await child_connection(
            info,
            parent_id=self.pk,
            pages=info.context.loaders.messages_by_conversation,
            counts=info.context.loaders.message_counts_by_conversation,
            ordering=MESSAGE_ORDERINGS[order_by],
            node=Message.from_row,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(description="How many messages the conversation has.")
    async def message_count(self, info: Info) -> int:
        return int(await info.context.loaders.message_counts_by_conversation.load(self.pk))

    @strawberry.field(description="The newest message, if any.")
    async def last_message(self, info: Info) -> Message | None:
        row = await info.context.loaders.last_message_by_conversation.load(self.pk)
        return Message.from_row(row) if row else None
