from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from gql.api.conversations.types import Conversation, Message
from gql.api.core.context import Info
from gql.api.core.mutations import DeleteInput, DeletePayload, Payload, row_id, run_mutation
from persistence import models
from persistence.models import MessageRole
from persistence.services import conversations
from persistence.services.conversations import MAX_ATTACHMENTS_PER_MESSAGE, MAX_MESSAGES_PER_CALL
from persistence.unit_of_work import UnitOfWork


@strawberry.input
class StartConversationInput:
    title: str
    persona_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None
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
    attachment_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description=f"Files of the conversation's owner to attach, in order "
        f"(at most {MAX_ATTACHMENTS_PER_MESSAGE}; see `uploadFile`).",
    )


@strawberry.input
class PostMessagesInput:
    conversation_id: strawberry.ID
    messages: list[MessageInput]


@strawberry.type
class ConversationPayload(Payload):
    conversation: Conversation | None = None


@strawberry.type
class PostMessagesPayload(Payload):
    conversation: Conversation | None = None
    messages: list[Message] = strawberry.field(default_factory=list)


@strawberry.type
class ConversationMutations:
    @strawberry.mutation(description="Start a conversation between a persona and a customer.")
    async def start_conversation(
        self, info: Info, input: StartConversationInput
    ) -> ConversationPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> ConversationPayload:
            new = conversations.NewConversation(
                title=input.title,
                persona_id=row_id(input.persona_id, "Persona", ("persona_id",)),
                customer_id=row_id(input.customer_id, "Customer", ("customer_id",)),
                provider_type=input.provider_type,
                provider_config=input.provider_config,
            )
            conversation = await conversations.start_conversation(uow, viewer.id, new)
            return ConversationPayload(conversation=Conversation.from_row(conversation))

        return await run_mutation(info, ConversationPayload, work)

    @strawberry.mutation(
        description="Append one or many messages to a conversation, all or none, "
        f"at most {MAX_MESSAGES_PER_CALL} per call."
    )
    async def post_messages(self, info: Info, input: PostMessagesInput) -> PostMessagesPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> PostMessagesPayload:
            messages = [
                conversations.NewMessage(
                    role=m.role,
                    content=m.content,
                    thinking=m.thinking,
                    extra_data=m.extra_data,
                    input_tokens=m.input_tokens,
                    output_tokens=m.output_tokens,
                    attachment_ids=[
                        row_id(raw, "File", ("messages", index, "attachment_ids", at))
                        for at, raw in enumerate(m.attachment_ids)
                    ],
                )
                for index, m in enumerate(input.messages)
            ]
            conversation_id = row_id(input.conversation_id, "Conversation", ("conversation_id",))
            conversation, stored = await conversations.post_messages(uow, conversation_id, messages)
            return PostMessagesPayload(
                conversation=Conversation.from_row(conversation),
                messages=[Message.from_row(message) for message in stored],
            )

        return await run_mutation(info, PostMessagesPayload, work)

    @strawberry.mutation(description="Delete one of your conversations and its messages.")
    async def delete_conversation(self, info: Info, input: DeleteInput) -> DeletePayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> DeletePayload:
            await conversations.delete_conversation(uow, row_id(input.id, "Conversation", ("id",)))
            return DeletePayload(deleted_id=input.id)

        return await run_mutation(info, DeletePayload, work)
