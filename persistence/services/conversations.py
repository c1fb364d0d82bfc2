"""Conversations and the messages posted to them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from persistence.errors import NotFound, Problem
from persistence.events import Event, Topic
from persistence.models import Conversation, Message, MessageRole
from persistence.rules.values import between, json_object, length, refuse
from persistence.services.files import owned_files
from persistence.unit_of_work import UnitOfWork

TITLE_MAX, PROVIDER_TYPE_MAX = 200, 50
MAX_MESSAGES_PER_CALL = 100
CONTENT_MAX = 100_000
MAX_ATTACHMENTS_PER_MESSAGE = 10
# A message's token counts: far beyond any model's window, well within the columns.
MAX_TOKENS_PER_MESSAGE = 10_000_000


@dataclass(frozen=True)
class NewConversation:
    title: str
    persona_id: UUID | None = None
    customer_id: UUID | None = None
    provider_type: str | None = None
    provider_config: Any = None


@dataclass(frozen=True)
class NewMessage:
    role: MessageRole
    content: str
    thinking: str | None = None
    extra_data: Any = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    attachment_ids: Sequence[UUID] = ()


async def start_conversation(
    uow: UnitOfWork, viewer_id: UUID, new: NewConversation
) -> Conversation:
    """A conversation of the owner of its persona or customer (the viewer's when it
    has neither); raises InvalidInput, or NotFound for a persona or customer the
    viewer cannot see."""
    refuse(
        [
            length(new.title, ("title",), minimum=1, maximum=TITLE_MAX),
            length(new.provider_type, ("provider_type",), maximum=PROVIDER_TYPE_MAX),
            json_object(new.provider_config, ("provider_config",)),
        ]
    )
    async with uow.transaction():
        persona = await _visible(uow.personas, new.persona_id, "persona", "persona_id")
        customer = await _visible(uow.customers, new.customer_id, "customer", "customer_id")
        owners = {row.owner_id for row in (persona, customer) if row is not None}
        if len(owners) > 1:  # only an admin sees rows of several owners
            refuse([Problem(("customer_id",), "belongs to another operator than the persona")])
        conversation = await uow.conversations.add(
            Conversation(
                # An admin starting one for an operator's persona or customer starts it for them.
                owner_id=owners.pop() if owners else viewer_id,
                persona_id=persona.id if persona else None,
                customer_id=customer.id if customer else None,
                title=new.title.strip(),
                provider_type=new.provider_type,
                provider_config=new.provider_config or {},
            )
        )
        uow.publish(_changed(conversation, "started"))
        return conversation


def _message_problems(message: NewMessage, index: int) -> list[Problem | None]:
    def field(name: str) -> tuple[str | int, ...]:
        return ("messages", index, name)

    return [
        length(message.content, field("content"), maximum=CONTENT_MAX),
        length(message.thinking, field("thinking"), maximum=CONTENT_MAX),
        between(message.input_tokens, field("input_tokens"), 0, MAX_TOKENS_PER_MESSAGE),
        between(message.output_tokens, field("output_tokens"), 0, MAX_TOKENS_PER_MESSAGE),
        json_object(message.extra_data, field("extra_data")),
        None
        if len(message.attachment_ids) <= MAX_ATTACHMENTS_PER_MESSAGE
        else Problem(
            field("attachment_ids"), f"attach at most {MAX_ATTACHMENTS_PER_MESSAGE} files"
        ),
    ]


async def post_messages(
    uow: UnitOfWork, conversation_id: UUID, messages: Sequence[NewMessage]
) -> tuple[Conversation, list[Message]]:
    """Append ``messages`` to a visible conversation, all or none, in order. The
    conversation is locked meanwhile, so concurrent posts take turns and its
    ``last_message_at`` only moves forward. Attachments must be files of the
    conversation's owner: NotFound for one the viewer cannot see, InvalidInput
    for another owner's."""
    if not 1 <= len(messages) <= MAX_MESSAGES_PER_CALL:
        refuse([Problem(("messages",), f"pass 1 to {MAX_MESSAGES_PER_CALL} messages")])
    refuse(
        problem
        for index, message in enumerate(messages)
        for problem in _message_problems(message, index)
    )
    async with uow.transaction():
        conversation = await uow.conversations.lock(conversation_id)
        if conversation is None:
            raise NotFound("conversation", conversation_id, ("conversation_id",))
        for index, message in enumerate(messages):
            ids = message.attachment_ids
            fields = [("messages", index, "attachment_ids", at) for at in range(len(ids))]
            await owned_files(uow, conversation.owner_id, ids, fields)
        stored = await uow.messages.append(
            conversation,
            [
                Message(
                    role=message.role,
                    content=message.content,
                    thinking=message.thinking,
                    extra_data=message.extra_data or {},
                    input_tokens=message.input_tokens,
                    output_tokens=message.output_tokens,
                )
                for message in messages
            ],
        )
        for message, row in zip(messages, stored, strict=True):
            if message.attachment_ids:
                await uow.files.attach(conversation.owner_id, row.id, message.attachment_ids)
        for row in stored:
            uow.publish(
                Event(Topic.MESSAGE, "added", conversation.owner_id, conversation.id, row.id)
            )
        uow.publish(_changed(conversation, "messages_added"))
        return conversation, stored


async def delete_conversation(uow: UnitOfWork, conversation_id: UUID) -> None:
    """Delete a visible conversation and its messages."""
    async with uow.transaction():
        conversation = await uow.conversations.lock(conversation_id)
        if conversation is None:
            raise NotFound("conversation", conversation_id, ("id",))
        await uow.conversations.remove(conversation)
        uow.publish(_changed(conversation, "deleted"))


def _changed(conversation: Conversation, kind: str) -> Event:
    return Event(Topic.CONVERSATION, kind, conversation.owner_id, conversation.id)


async def _visible(repository: Any, row_id: UUID | None, entity: str, field: str) -> Any:
    if row_id is None:
        return None
    (row,) = await repository.get_many([row_id])
    if row is None:
        raise NotFound(entity, row_id, (field,))
    return row
