from __future__ import annotations

from datetime import datetime
from typing import Self
from uuid import UUID

import strawberry
from strawberry import relay

from gql.context import Info
from gql.types.appointments import Appointment
from gql.types.connection import Connection, child_connection
from gql.types.conversations import ORDERINGS, Conversation, ConversationOrder
from gql.types.node import RowNode
from persistence import models
from persistence.models import Channel
from persistence.repositories.appointments import APPOINTMENTS_BY_START

strawberry.enum(Channel, description="Where a customer talks with a persona.")


@strawberry.type(description="Someone an operator's personas talk with, known on one channel.")
class Customer(RowNode):
    loader = "customer"

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

    @classmethod
    def from_row(cls, row: models.Customer) -> Self:
        return cls(
            id=str(row.id),
            pk=row.id,
            channel=row.channel,
            external_id=row.external_id,
            username=row.username,
            first_name=row.first_name,
            last_name=row.last_name,
            phone=row.phone,
            email=row.email,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(description="The customer's conversations.")
    async def conversations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        order_by: ConversationOrder = ConversationOrder.LAST_MESSAGE_AT_DESC,
    ) -> Connection[Conversation]:
        return await child_connection(
            info,
            parent_id=self.pk,
            pages=info.context.loaders.conversations_by_customer,
            counts=info.context.loaders.conversation_counts_by_customer,
            ordering=ORDERINGS[order_by],
            node=Conversation.from_row,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(description="The customer's appointments, soonest first.")
    async def appointments(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Appointment]:
        return await child_connection(
            info,
            parent_id=self.pk,
            pages=info.context.loaders.appointments_by_customer,
            counts=info.context.loaders.appointment_counts_by_customer,
            ordering=APPOINTMENTS_BY_START,
            node=Appointment.from_row,
            first=first,
            after=after,
            last=last,
            before=before,
        )
