from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from gql.api.conversations.types import Conversation, Message
from gql.api.core.context import Info
from gql.api.core.errors import ValidationError
from gql.api.core.inputs import field_path
from gql.api.core.mutations import (
    Payload,
    Rejected,
    check_json_object,
    check_length,
    invalid,
    load_row,
    reject_invalid,
    run_mutation,
)
from gql.api.personas.mutations import DeleteInput, DeletePayload
from persistence import models
from persistence.models import MessageRole
from persistence.unit_of_work import UnitOfWork

MAX_MESSAGES_PER_CALL = 100
CONTENT_MAX = 100_000
# A message's token counts: far beyond any model's window, well within the columns.
MAX_TOKENS_PER_MESSAGE = 10_000_000


@strawberry.input
class StartConversationInput:
    title: str
    persona_id: relay.GlobalID | None = None
    customer_id: relay.GlobalID | None = None
    provider_type: str | None = None
    provider_config: JSON | None = None


@strawberry.input
class MessageInput:
    role: MessageRole
    content: str
    thinking: str | None = None
    extra_data: JSON | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None


@strawberry.input
class PostMessagesInput:
    conversation_id: relay.GlobalID
    messages: list[MessageInput]


@strawberry.type
class ConversationPayload(Payload):
    conversation: Conversation | None = None


@strawberry.type
class PostMessagesPayload(Payload):
    conversation: Conversation | None = None
    messages: list[Message] = strawberry.field(default_factory=list)


def _check_message(message: MessageInput, index: int) -> list[ValidationError | None]:
    def field(name: str) -> str:
        return field_path("input", "messages", index, name)

    return [
        check_length(message.content, field("content"), maximum=CONTENT_MAX),
        check_length(message.thinking, field("thinking"), maximum=CONTENT_MAX),
        *(
            invalid(f"must be between 0 and {MAX_TOKENS_PER_MESSAGE}", field(name))
            for name, value in (
                ("inputTokens", message.input_tokens),
                ("outputTokens", message.output_tokens),
            )
            if value is not None and not 0 <= value <= MAX_TOKENS_PER_MESSAGE
        ),
        check_json_object(message.extra_data, field("extraData")),
    ]


@strawberry.type
class ConversationMutations:
    @strawberry.mutation(description="Start a conversation between a persona and a customer.")
    async def start_conversation(
        self, info: Info, input: StartConversationInput
    ) -> ConversationPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> ConversationPayload:
            reject_invalid(
                check_length(input.title, "input.title", minimum=1, maximum=200),
                check_length(input.provider_type, "input.providerType", maximum=50),
                check_json_object(input.provider_config, "input.providerConfig"),
            )
            persona = (
                await load_row(uow.personas, input.persona_id, "Persona", "input.personaId")
                if input.persona_id
                else None
            )
            customer = (
                await load_row(uow.customers, input.customer_id, "Customer", "input.customerId")
                if input.customer_id
                else None
            )
            owners = {row.owner_id for row in (persona, customer) if row is not None}
            if len(owners) > 1:  # only an admin sees rows of several owners
                raise Rejected(
                    invalid("belongs to another operator than the persona", "input.customerId")
                )
            conversation = models.Conversation(
                # An admin starting one for an operator's persona or customer starts it for them.
                owner_id=owners.pop() if owners else viewer.id,
                persona_id=persona.id if persona else None,
                customer_id=customer.id if customer else None,
                title=input.title.strip(),
                provider_type=input.provider_type,
                provider_config=input.provider_config or {},
            )
            await uow.conversations.add(conversation)
            return ConversationPayload(conversation=Conversation.from_row(conversation))

        return await run_mutation(info, ConversationPayload, work)

    @strawberry.mutation(
        description="Append one or many messages to a conversation, all or none, "
        f"at most {MAX_MESSAGES_PER_CALL} per call."
    )
    async def post_messages(self, info: Info, input: PostMessagesInput) -> PostMessagesPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> PostMessagesPayload:
            if not 1 <= len(input.messages) <= MAX_MESSAGES_PER_CALL:
                raise Rejected(
                    invalid(f"pass 1 to {MAX_MESSAGES_PER_CALL} messages", "input.messages")
                )
            reject_invalid(
                *(
                    error
                    for index, message in enumerate(input.messages)
                    for error in _check_message(message, index)
                )
            )
            conversation = await load_row(
                uow.conversations,
                input.conversation_id,
                "Conversation",
                "input.conversationId",
                lock=True,
            )
            messages = await uow.messages.append(
                conversation,
                [
                    models.Message(
                        role=message.role,
                        content=message.content,
                        thinking=message.thinking,
                        extra_data=message.extra_data or {},
                        input_tokens=message.input_tokens,
                        output_tokens=message.output_tokens,
                    )
                    for message in input.messages
                ],
            )
            return PostMessagesPayload(
                conversation=Conversation.from_row(conversation),
                messages=[Message.from_row(message) for message in messages],
            )

        return await run_mutation(info, PostMessagesPayload, work)

    @strawberry.mutation(description="Delete one of your conversations and its messages.")
    async def delete_conversation(self, info: Info, input: DeleteInput) -> DeletePayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> DeletePayload:
            conversation = await load_row(uow.conversations, input.id, "Conversation")
            await uow.conversations.remove(conversation)
            return DeletePayload(deleted_id=input.id)

        return await run_mutation(info, DeletePayload, work)
