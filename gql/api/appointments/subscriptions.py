"""Live appointments: each booking, move and step of their lifecycle."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from gql.api.appointments.types import Appointment
from gql.api.core.context import Context, Info
from gql.api.core.events import subscribe
from persistence.events import Event, Topic
from persistence.models import AppointmentChange


@strawberry.type(description="An appointment of yours was booked, moved or changed status.")
class AppointmentChanged:
    event_context: strawberry.Private[Context]
    change: AppointmentChange
    appointment: Appointment = strawberry.field(description="The appointment as it is now.")


@strawberry.type
class AppointmentSubscriptions:
    @strawberry.subscription(
        description="Each change to your appointments: booked, rescheduled, confirmed, "
        "cancelled or completed, as it is committed."
    )
    async def appointment_changed(self, info: Info) -> AsyncGenerator[AppointmentChanged, None]:
        def accepts(event: Event) -> bool:
            return event.topic is Topic.APPOINTMENT

        async def payloads(context: Context, event: Event) -> list[AppointmentChanged]:
            row = await context.loaders.appointment.load(event.subject_id)
            if row is None:
                return []
            return [
                AppointmentChanged(
                    event_context=context,
                    change=AppointmentChange(event.kind),
                    appointment=Appointment.from_row(row),
                )
            ]

        return await subscribe(info, accepts, payloads)  # type: ignore[return-value]
