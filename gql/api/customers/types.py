from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import ClassVar
from uuid import UUID

import strawberry
from strawberry import relay

from gql.api.appointments.types import Appointment
from gql.api.conversations.types import CONVERSATION_ORDERINGS, Conversation, ConversationOrder
from gql.api.core.compiled import Declared, PageOf
from gql.api.core.connections import Connection, Keyset, keyset_connection
from gql.api.core.context import Info
from gql.api.core.nodes import RowNode
from persistence.models import Appointment as AppointmentRow
from persistence.models import Channel
from persistence.models import Conversation as ConversationRow
from persistence.repositories.appointments import APPOINTMENTS_BY_START
from persistence.repositories.customers import CUSTOMERS_NEWEST_FIRST, CUSTOMERS_OLDEST_FIRST

strawberry.enum(Channel, description="Where a customer talks with a persona.")


@strawberry.type(description="Someone an operator's personas talk with, known on one channel.")
class Customer(RowNode):
    loader = "customer"
    reads: ClassVar[Mapping[str, Declared]] = {
        "conversations": PageOf(CONVERSATION_ORDERINGS),
        "appointments": PageOf(fixed=APPOINTMENTS_BY_START),
    }

    id: relay.NodeID[str]
    pk: strawberry.Private[UUID]
    channel: Channel
    external_id: str
    username: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None
    email: str | None
    created_at: datetime
    updated_at: datetime

    @keyset_connection(
        Connection[Conversation], paging_first=True, description="The customer's conversations."
    )
    def conversations(
        self, info: Info, order_by: ConversationOrder = ConversationOrder.LAST_MESSAGE_AT_DESC
    ) -> Keyset[ConversationRow]:
        children = info.context.loaders.conversations_of_customer
        return Keyset.of_parent(
            self.pk, children, CONVERSATION_ORDERINGS[order_by], Conversation.from_row
        )

    @keyset_connection(
        Connection[Appointment],
        paging_first=True,
        description="The customer's appointments, soonest first.",
    )
    def appointments(self, info: Info) -> Keyset[AppointmentRow]:
        children = info.context.loaders.appointments_of_customer
        return Keyset.of_parent(self.pk, children, APPOINTMENTS_BY_START, Appointment.from_row)


@strawberry.enum(description="How customers are ordered.")
class CustomerOrder(enum.Enum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"


CUSTOMER_ORDERINGS = {
    CustomerOrder.CREATED_AT_DESC: CUSTOMERS_NEWEST_FIRST,
    CustomerOrder.CREATED_AT_ASC: CUSTOMERS_OLDEST_FIRST,
}


@strawberry.input
class CustomerFilterInput:
    channel: Channel | None = None
    search: str | None = strawberry.field(
        default=None, description="Matches username, names, email or external id."
    )
