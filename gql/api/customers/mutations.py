from __future__ import annotations

from typing import Any

import strawberry

from gql.api.core.context import Info
from gql.api.core.mutations import Payload, row_id, run_mutation
from gql.api.customers.types import Customer
from persistence import models
from persistence.models import Channel
from persistence.repositories.customers import PROFILE_FIELDS
from persistence.services import customers, lifecycle
from persistence.unit_of_work import UnitOfWork


@strawberry.input
class UpsertCustomerInput:
    channel: Channel
    external_id: str
    username: str | None = strawberry.UNSET
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET


@strawberry.input(description="Only the fields you pass change; `null` clears them.")
class UpdateCustomerInput:
    id: strawberry.ID
    username: str | None = strawberry.UNSET
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    phone: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET


@strawberry.type
class CustomerPayload(Payload):
    customer: Customer | None = None


@strawberry.type
class UpsertCustomerPayload(Payload):
    customer: Customer | None = None
    created: bool = strawberry.field(default=False, description="True if this call created it.")


def _profile(input: UpsertCustomerInput | UpdateCustomerInput) -> dict[str, Any]:
    """The profile fields the client passed."""
    return {
        name: value
        for name in PROFILE_FIELDS
        if (value := getattr(input, name)) is not strawberry.UNSET
    }


@strawberry.input
class EraseCustomerInput:
    customer_id: strawberry.ID


@strawberry.type
class EraseCustomerPayload(Payload):
    erased_customer_id: strawberry.ID | None = None
    conversations: int = 0
    messages: int = 0
    memories: int = 0
    appointments: int = 0


@strawberry.type
class CustomerMutations:
    @strawberry.mutation(
        description="Delete one of your customers and everything of theirs (conversations, "
        "messages, memories, state, appointments with their history) in one transaction."
    )
    async def erase_customer(self, info: Info, input: EraseCustomerInput) -> EraseCustomerPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> EraseCustomerPayload:
            customer_id = row_id(input.customer_id, "Customer", ("customer_id",))
            erased = await lifecycle.erase_customer(uow, customer_id)
            return EraseCustomerPayload(
                erased_customer_id=input.customer_id,
                conversations=erased.conversations,
                messages=erased.messages,
                memories=erased.memories,
                appointments=erased.appointments,
            )

        return await run_mutation(info, EraseCustomerPayload, work)

    @strawberry.mutation(
        description="Get or create your customer by channel and external id, refreshing the "
        "profile fields you pass. Concurrent calls for one customer create it once."
    )
    async def upsert_customer(
        self, info: Info, input: UpsertCustomerInput
    ) -> UpsertCustomerPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> UpsertCustomerPayload:
            customer, created = await customers.upsert_customer(
                uow, viewer.id, input.channel, input.external_id, _profile(input)
            )
            return UpsertCustomerPayload(customer=Customer.from_row(customer), created=created)

        return await run_mutation(info, UpsertCustomerPayload, work)

    @strawberry.mutation(description="Change the profile of one of your customers.")
    async def update_customer(self, info: Info, input: UpdateCustomerInput) -> CustomerPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> CustomerPayload:
            customer_id = row_id(input.id, "Customer", ("id",))
            customer = await customers.update_customer(uow, customer_id, _profile(input))
            return CustomerPayload(customer=Customer.from_row(customer))

        return await run_mutation(info, CustomerPayload, work)
