"""Live conversations: each new message of one conversation, and the inbox."""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator

import strawberry
from strawberry import relay

from gql.api.conversations.types import Conversation, Message
from gql.api.core.context import Context, Info
from gql.api.core.errors import BadUserInput
from gql.api.core.events import subscribe
from gql.api.core.nodes import decode_id
from persistence.events import Event, Topic


@strawberry.type(description="A message was added to the conversation subscribed to.")
class MessageAdded:
    event_context: strawberry.Private[Context]
    message: Message


@strawberry.enum(description="What happened to a conversation of the inbox.")
class InboxChange(enum.Enum):
    STARTED = "started"
    MESSAGES_ADDED = "messages_added"
    DELETED = "deleted"


@strawberry.type(description="One of your conversations started, got messages or was deleted.")
class InboxChanged:
    event_context: strawberry.Private[Context]
    change: InboxChange
    conversation_id: strawberry.ID
    conversation: Conversation | None = strawberry.field(
        description="The conversation as it is now; null once deleted."
    )


@strawberry.type
class ConversationSubscriptions:
    @strawberry.subscription(
        description="Each message added to a conversation of yours, as it is committed. "
        "A conversation you cannot see is refused when subscribing."
    )
    async def message_added(
        self, info: Info, conversation_id: strawberry.ID
    ) -> AsyncGenerator[MessageAdded, None]:
        conversation = decode_id(conversation_id, "Conversation", "conversationId")

        async def check(context: Context) -> None:
            if await context.loaders.conversation.load(conversation) is None:
                raise BadUserInput(
                    "`conversationId` names no conversation of yours", "conversationId"
                )

        def accepts(event: Event) -> bool:
            return event.topic is Topic.MESSAGE and event.subject_id == conversation

        async def payloads(context: Context, event: Event) -> list[MessageAdded]:
            row = await context.loaders.message.load(event.item_id)
            return (
                []
                if row is None
                else [MessageAdded(event_context=context, message=Message.from_row(row))]
            )

        return await subscribe(info, accepts, payloads, check)  # type: ignore[return-value]

    @strawberry.subscription(
        description="A change to any of your conversations: one started, got messages "
        "or was deleted (for a live inbox)."
    )
    async def inbox_changed(self, info: Info) -> AsyncGenerator[InboxChanged, None]:
        def accepts(event: Event) -> bool:
            return event.topic is Topic.CONVERSATION

        async def payloads(context: Context, event: Event) -> list[InboxChanged]:
            change = InboxChange(event.kind)
            row = None
            if change is not InboxChange.DELETED:
                row = await context.loaders.conversation.load(event.subject_id)
                if row is None:
                    return []  # deleted since, or not visible
            gid = relay.to_base64("Conversation", str(event.subject_id))
            found = Conversation.from_row(row) if row is not None else None
            return [
                InboxChanged(
                    event_context=context,
                    change=change,
                    conversation_id=strawberry.ID(gid),
                    conversation=found,
                )
            ]

        return await subscribe(info, accepts, payloads)  # type: ignore[return-value]
