from __future__ import annotations

import strawberry

from gql.api.core.connections import Connection, Keyset, keyset_connection
from gql.api.core.context import Info
from gql.api.customers.types import (
    CUSTOMER_ORDERINGS,
    Customer,
    CustomerFilterInput,
    CustomerOrder,
)
from gql.auth.permissions import AUTHENTICATED
from persistence.models import Channel
from persistence.models import Customer as CustomerRow
from persistence.repositories import CustomerFilter


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
