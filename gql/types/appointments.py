from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Self
from uuid import UUID

import strawberry
from strawberry import relay

from gql.context import Info
from gql.types.node import RowNode
from persistence import models
from persistence.models import AppointmentChange, AppointmentStatus

if TYPE_CHECKING:
    from gql.types.customers import Customer
    from gql.types.personas import Persona

strawberry.enum(AppointmentStatus, description="Where an appointment is in its lifecycle.")
strawberry.enum(AppointmentChange, description="What happened to an appointment.")


@strawberry.type(description="One entry of an appointment's history.")
class AppointmentEvent:
    change: AppointmentChange
    status: AppointmentStatus = strawberry.field(description="The status after the change.")
    starts_at: datetime = strawberry.field(description="The start after the change.")
    duration_minutes: int
    previous_starts_at: datetime | None = strawberry.field(
        description="Where a rescheduled appointment was before."
    )
    at: datetime

    @classmethod
    def from_row(cls, row: models.AppointmentEvent) -> Self:
        return cls(
            change=row.change,
            status=row.status,
            starts_at=row.starts_at,
            duration_minutes=row.duration_minutes,
            previous_starts_at=row.previous_starts_at,
            at=row.created_at,
        )


@strawberry.type(description="A booked time with a customer.")
class Appointment(RowNode):
    loader = "appointment"

    id: relay.NodeID[str]
    pk: strawberry.Private[UUID]
    customer_id: strawberry.Private[UUID]
    persona_id: strawberry.Private[UUID | None]
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    status: AppointmentStatus
    notes: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.Appointment) -> Self:
        return cls(
            id=str(row.id),
            pk=row.id,
            customer_id=row.customer_id,
            persona_id=row.persona_id,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            duration_minutes=row.duration_minutes,
            status=row.status,
            notes=row.notes,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    @strawberry.field(description="Who the appointment is with.")
    async def customer(
        self, info: Info
    ) -> Annotated[Customer, strawberry.lazy("gql.types.customers")] | None:
        from gql.types.customers import Customer

        row = await info.context.loaders.customer.load(self.customer_id)
        return Customer.from_row(row) if row else None

    @strawberry.field(description="The persona that booked it, if any.")
    async def persona(
        self, info: Info
    ) -> Annotated[Persona, strawberry.lazy("gql.types.personas")] | None:
        from gql.types.personas import Persona

        if self.persona_id is None:
            return None
        row = await info.context.loaders.persona.load(self.persona_id)
        return Persona.from_row(row) if row else None

    @strawberry.field(description="Booked, confirmed, moved, …: every change, oldest first.")
    async def history(self, info: Info) -> list[AppointmentEvent]:
        rows = await info.context.loaders.appointment_history.load(self.pk)
        return [AppointmentEvent.from_row(row) for row in rows]
