from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, ClassVar, Self
from uuid import UUID

import strawberry
from strawberry import relay

from gql.api.core.compiled import Declared, ToOne
from gql.api.core.context import Info
from gql.api.core.nodes import RowNode, copied_fields
from persistence import models
from persistence.models import AppointmentChange, AppointmentStatus
from persistence.repositories.appointments import (
    APPOINTMENTS_BY_START,
    APPOINTMENTS_LATEST_START_FIRST,
)

if TYPE_CHECKING:
    from gql.api.customers.types import Customer
    from gql.api.personas.types import Persona

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
    created_at: datetime = strawberry.field(name="at")

    @classmethod
    def from_row(cls, row: models.AppointmentEvent) -> Self:
        return cls(**copied_fields(cls, row))


@strawberry.type(description="A booked time with a customer.")
class Appointment(RowNode):
    loader = "appointment"
    reads: ClassVar[Mapping[str, Declared]] = {"customer": ToOne(), "persona": ToOne()}

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

    @strawberry.field(description="Who the appointment is with.")
    async def customer(
        self, info: Info
    ) -> Annotated[Customer, strawberry.lazy("gql.api.customers.types")] | None:
        from gql.api.customers.types import Customer

        return await Customer.load(info, self.customer_id)

    @strawberry.field(description="The persona that booked it, if any.")
    async def persona(
        self, info: Info
    ) -> Annotated[Persona, strawberry.lazy("gql.api.personas.types")] | None:
        from gql.api.personas.types import Persona

        return await Persona.load(info, self.persona_id)

    @strawberry.field(description="Booked, confirmed, moved, …: every change, oldest first.")
    async def history(self, info: Info) -> list[AppointmentEvent]:
        rows = await info.context.loaders.appointment_history.load(self.pk)
        return [AppointmentEvent.from_row(row) for row in rows]


@strawberry.enum(description="How appointments are ordered.")
class AppointmentOrder(enum.Enum):
    STARTS_AT_ASC = "STARTS_AT_ASC"
    STARTS_AT_DESC = "STARTS_AT_DESC"


APPOINTMENT_ORDERINGS = {
    AppointmentOrder.STARTS_AT_ASC: APPOINTMENTS_BY_START,
    AppointmentOrder.STARTS_AT_DESC: APPOINTMENTS_LATEST_START_FIRST,
}


@strawberry.input
class AppointmentFilterInput:
    status: AppointmentStatus | None = None
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="Starts at or after."
    )
    to: datetime | None = strawberry.field(default=None, description="Starts before.")
    customer_id: strawberry.ID | None = None
