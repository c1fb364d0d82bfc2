"""Writing and deleting conversation state by compare-and-set on its version."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from gql.api.core.context import Info
from gql.api.core.mutations import Payload, row_id, run_mutation
from gql.api.states.types import ConversationStateEntry
from persistence import models
from persistence.services import states
from persistence.unit_of_work import UnitOfWork


@strawberry.input
class SetConversationStateInput:
    conversation_id: strawberry.ID
    module: str
    key: str
    value: JSON | None
    expected_version: int | None = strawberry.field(
        default=None,
        description="The version you read; 0 or null when you expect nothing stored yet. "
        "Another version is refused with a VersionConflict carrying what is stored.",
    )
    persona_id: strawberry.ID | None = None


@strawberry.input
class DeleteConversationStateInput:
    conversation_id: strawberry.ID
    module: str
    key: str
    expected_version: int | None = strawberry.field(
        default=None, description="Delete only at this version (any version if null)."
    )
    persona_id: strawberry.ID | None = None


@strawberry.type
class ConversationStatePayload(Payload):
    entry: ConversationStateEntry | None = None


@strawberry.type
class DeleteConversationStatePayload(Payload):
    deleted: bool = False


def _write(
    input: SetConversationStateInput | DeleteConversationStateInput,
) -> states.StateWrite:
    return states.StateWrite(
        conversation_id=row_id(input.conversation_id, "Conversation", ("conversation_id",)),
        persona_id=row_id(input.persona_id, "Persona", ("persona_id",)),
        module_key=input.module,
        key=input.key,
    )


@strawberry.type
class StateMutations:
    @strawberry.mutation(
        description="Write one key of a module's state if it is still at `expectedVersion`, "
        "in one statement: of concurrent writers with the same expected version one wins."
    )
    async def set_conversation_state(
        self, info: Info, input: SetConversationStateInput
    ) -> ConversationStatePayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> ConversationStatePayload:
            row = await states.set_state(uow, _write(input), input.value, input.expected_version)
            return ConversationStatePayload(entry=ConversationStateEntry.from_row(row))

        return await run_mutation(info, ConversationStatePayload, work)

    @strawberry.mutation(description="Delete one key of a module's state.")
    async def delete_conversation_state(
        self, info: Info, input: DeleteConversationStateInput
    ) -> DeleteConversationStatePayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> DeleteConversationStatePayload:
            await states.delete_state(uow, _write(input), input.expected_version)
            return DeleteConversationStatePayload(deleted=True)

        return await run_mutation(info, DeleteConversationStatePayload, work)
