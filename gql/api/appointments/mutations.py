"""Booking and the appointment lifecycle: pending → confirmed → completed, and
pending|confirmed → cancelled (persistence/rules/lifecycle.py)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gql.api.appointments.types import Appointment
from gql.api.core.context import Info
from gql.api.core.mutations import Payload, row_id, run_mutation
from persistence import models
from persistence.models import AppointmentStatus
from persistence.services import appointments
from persistence.unit_of_work import UnitOfWork


@strawberry.input
class BookAppointmentInput:
    customer_id: strawberry.ID
    starts_at: datetime
    duration_minutes: int
    persona_id: strawberry.ID | None = None
    notes: str | None = None


@strawberry.input
class RescheduleAppointmentInput:
    id: strawberry.ID
    starts_at: datetime
    duration_minutes: int | None = None


@strawberry.input
class AppointmentIdInput:
    id: strawberry.ID


@strawberry.type
class AppointmentPayload(Payload):
    appointment: Appointment | None = None


def _status_mutation(status: AppointmentStatus, description: str) -> object:
    async def resolve(info: Info, input: AppointmentIdInput) -> AppointmentPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> AppointmentPayload:
            appointment_id = row_id(input.id, "Appointment", ("id",))
            changed = await appointments.change_status(uow, appointment_id, status)
            return AppointmentPayload(appointment=Appointment.from_row(changed))

        return await run_mutation(info, AppointmentPayload, work)

    return strawberry.mutation(resolver=resolve, description=description)


@strawberry.type
class AppointmentMutations:
    @strawberry.mutation(
        description="Book a time with one of your customers. Fails with OutsideOpeningHours "
        "outside the schedule, SlotUnavailable if it overlaps another appointment or its "
        "buffer, and ValidationError within the minimum notice or beyond the horizon."
    )
    async def book_appointment(self, info: Info, input: BookAppointmentInput) -> AppointmentPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> AppointmentPayload:
            booking = appointments.Booking(
                customer_id=row_id(input.customer_id, "Customer", ("customer_id",)),
                starts_at=input.starts_at,
                duration_minutes=input.duration_minutes,
                persona_id=row_id(input.persona_id, "Persona", ("persona_id",)),
                notes=input.notes,
            )
            appointment = await appointments.book_appointment(uow, booking)
            return AppointmentPayload(appointment=Appointment.from_row(appointment))

        return await run_mutation(info, AppointmentPayload, work)

    @strawberry.mutation(
        description="Move a pending or confirmed appointment; keeps its id, status and "
        "history. Refused like a booking if the new time is not available."
    )
    async def reschedule_appointment(
        self, info: Info, input: RescheduleAppointmentInput
    ) -> AppointmentPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> AppointmentPayload:
            appointment = await appointments.reschedule_appointment(
                uow,
                row_id(input.id, "Appointment", ("id",)),
                input.starts_at,
                input.duration_minutes,
            )
            return AppointmentPayload(appointment=Appointment.from_row(appointment))

        return await run_mutation(info, AppointmentPayload, work)

    confirm_appointment = _status_mutation(
        AppointmentStatus.CONFIRMED, "Confirm a pending appointment."
    )
    complete_appointment = _status_mutation(
        AppointmentStatus.COMPLETED, "Mark a confirmed appointment as held."
    )
    cancel_appointment = _status_mutation(
        AppointmentStatus.CANCELLED, "Cancel a pending or confirmed appointment; frees its time."
    )
