from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, ClassVar
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from gql.api.core.compiled import Declared, NewestOf, PageOf, ToOne
from gql.api.core.connections import Connection, Keyset, keyset_connection
from gql.api.core.context import Info
from gql.api.core.loaded import loaded
from gql.api.core.nodes import RowNode
from persistence.models import MessageRole
from persistence.records import CustomerRecord, MessageRecord, PersonaRecord
from persistence.repositories.conversations import (
    CONVERSATIONS_BY_ACTIVITY,
    CONVERSATIONS_NEWEST_FIRST,
    CONVERSATIONS_RECENTLY_UPDATED,
)
from persistence.repositories.messages import MESSAGES_NEWEST_FIRST, MESSAGES_OLDEST_FIRST

if TYPE_CHECKING:
    from gql.api.customers.types import Customer
    from gql.api.files.types import File
    from gql.api.memories.types import Memory, MemoryOrder
    from gql.api.personas.types import Persona
    from gql.api.states.types import ConversationStateEntry

# How many keys one `state` field may name.
MAX_STATE_KEYS = 100

strawberry.enum(MessageRole, description="Who wrote a message.")


@strawberry.enum(description="How conversations are ordered.")
class ConversationOrder(enum.Enum):
    LAST_MESSAGE_AT_DESC = "LAST_MESSAGE_AT_DESC"
    CREATED_AT_DESC = "CREATED_AT_DESC"
    UPDATED_AT_DESC = "UPDATED_AT_DESC"


CONVERSATION_ORDERINGS = {
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
    reads: ClassVar[Mapping[str, Declared]] = {"conversation": ToOne()}

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

    @strawberry.field(description="The conversation this message belongs to.")
    async def conversation(self, info: Info) -> Conversation | None:
        return await Conversation.load(info, self.conversation_id)

    @strawberry.field(description="The files attached to this message, in their order.")
    async def attachments(
        self, info: Info
    ) -> list[Annotated[File, strawberry.lazy("gql.api.files.types")]]:
        from gql.api.files.types import File

        rows = await info.context.loaders.attachments_of_message.load(self.pk)
        return [File.from_row(row) for row in rows]


@strawberry.type(description="A thread between a persona and a customer.")
class Conversation(RowNode):
    loader = "conversation"
    reads: ClassVar[Mapping[str, Declared]] = {
        "persona": ToOne(),
        "customer": ToOne(),
        "messages": PageOf(MESSAGE_ORDERINGS),
        "last_message": NewestOf("messages"),
    }

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

    @strawberry.field(description="The persona in this conversation (null once deleted).")
    @loaded("persona", key="persona_id")
    def persona(
        self, row: PersonaRecord | None
    ) -> Annotated[Persona, strawberry.lazy("gql.api.personas.types")] | None:
        from gql.api.personas.types import Persona

        return Persona.from_row(row) if row is not None else None

    @strawberry.field(description="The customer in this conversation.")
    @loaded("customer", key="customer_id")
    def customer(
        self, row: CustomerRecord | None
    ) -> Annotated[Customer, strawberry.lazy("gql.api.customers.types")] | None:
        from gql.api.customers.types import Customer

        return Customer.from_row(row) if row is not None else None

    @keyset_connection(
        Connection[Message],
        paging_first=True,
        description="The messages, oldest first unless ordered otherwise.",
    )
    def messages(
        self, info: Info, order_by: MessageOrder = MessageOrder.CREATED_AT_ASC
    ) -> Keyset[MessageRecord]:
        children = info.context.loaders.messages_of_conversation
        ordering = MESSAGE_ORDERINGS[order_by]
        return Keyset.of_parent(
            self.pk, children, ordering, Message.from_row, total=self.message_count
        )

    # The row's own column, kept by the writers of messages: no statement to read it.
    message_count: int = strawberry.field(description="How many messages the conversation has.")

    @strawberry.field(description="The newest message, if any.")
    @loaded("last_message_by_conversation", key="pk")
    def last_message(self, row: MessageRecord | None) -> Message | None:
        return Message.from_row(row) if row else None

    @keyset_connection(
        Connection[Annotated["Memory", strawberry.lazy("gql.api.memories.types")]],
        paging_first=True,
        description="The memories drawn from this conversation, newest first unless "
        "ordered otherwise.",
    )
    def memories(
        self,
        info: Info,
        order_by: Annotated[MemoryOrder, strawberry.lazy("gql.api.memories.types")] | None = None,
    ) -> Keyset[Any]:
        from gql.api.memories.types import MEMORY_ORDERINGS, Memory, MemoryOrder

        ordering = MEMORY_ORDERINGS[order_by or MemoryOrder.CREATED_AT_DESC]
        children = info.context.loaders.memories_of_conversation
        return Keyset.of_parent(self.pk, children, ordering, Memory.from_row)

    @strawberry.field(
        description="The state of the modules in this conversation, by module and key: "
        "one module's (`module`), some keys (`keys`), of one persona (`personaId`) or, "
        "without it, of every persona and none."
    )
    async def state(
        self,
        info: Info,
        module: str | None = None,
        keys: list[str] | None = None,
        persona_id: strawberry.ID | None = None,
    ) -> list[Annotated[ConversationStateEntry, strawberry.lazy("gql.api.states.types")]]:
        from gql.api.core.errors import BadUserInput
        from gql.api.core.loaders import StateKey
        from gql.api.core.nodes import decode_optional_id
        from gql.api.states.types import ConversationStateEntry
        from persistence.repositories.states import StateSelection

        if keys is not None and len(keys) > MAX_STATE_KEYS:
            raise BadUserInput(f"`keys` may name at most {MAX_STATE_KEYS} keys", "keys")
        selection = StateSelection(
            module_key=module,
            keys=tuple(dict.fromkeys(keys)) if keys is not None else None,
            persona_id=decode_optional_id(persona_id, "Persona", "personaId"),
        )
        rows = await info.context.loaders.states_of_conversation.load(StateKey(self.pk, selection))
        return [ConversationStateEntry.from_row(row) for row in rows]


@strawberry.input
class ConversationFilterInput:
    persona_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
    updated_after: datetime | None = None
