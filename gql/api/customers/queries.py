from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from gql.api.core.connections import Connection, Keyset, keyset_connection
from gql.api.core.context import Info
from gql.api.core.nodes import decode_id
from gql.api.customers.types import (
    CUSTOMER_ORDERINGS,
    Customer,
    CustomerFilterInput,
    CustomerOrder,
)
from gql.auth.permissions import AUTHENTICATED
from persistence.errors import NotFound
from persistence.models import Channel
from persistence.models import Customer as CustomerRow
from persistence.repositories import CustomerFilter
from persistence.services import lifecycle


@strawberry.type
class CustomerQueries:
    @keyset_connection(
        Connection[Customer], permission_classes=AUTHENTICATED, description="Your customers."
    )
    def customers(
        self,
        info: Info,
        filter: CustomerFilterInput | None = None,
        order_by: CustomerOrder = CustomerOrder.CREATED_AT_DESC,
    ) -> Keyset[CustomerRow]:
        given = filter or CustomerFilterInput()
        filter_ = CustomerFilter(channel=given.channel, search=given.search)
        ordering = CUSTOMER_ORDERINGS[order_by]
        return Keyset.of_filter(info.context.uow.customers, filter_, ordering, Customer.from_row)

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="Your customer known by this id on this channel, or null.",
    )
    async def customer_by_external_id(
        self, info: Info, channel: Channel, external_id: str
    ) -> Customer | None:
        viewer = info.context.require_viewer()
        row = await info.context.uow.customers.find_by_external_id(viewer.id, channel, external_id)
        return Customer.from_row(row) if row else None

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="Everything stored about one of your customers, as one JSON document "
        "(the customer, conversations with messages, memories and state, appointments with "
        "history, file metadata); null if the customer is not yours.",
    )
    async def export_customer_data(self, info: Info, customer_id: strawberry.ID) -> JSON | None:
        row_id = decode_id(customer_id, "Customer", "customerId")
        try:
            document = await lifecycle.export_customer(info.context.uow, row_id)
        except NotFound:
            return None
        return document  # type: ignore[return-value]  # a JSON document
