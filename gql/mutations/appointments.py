from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry import relay

from gql.context import Info
from gql.errors import ErrorCode, InvalidTransition
from gql.mutations.base import (
    Payload,
    Rejected,
    check_length,
    invalid,
    load_row,
    reject_invalid,
    run_mutation,
)
from gql.scheduling import MAX_DURATION_MINUTES
from gql.types.appointments import Appointment
from persistence import models
from persistence.models import AppointmentStatus
from persistence.unit_of_work import UnitOfWork

# Where each status may go next; anything else is an InvalidTransition.
TRANSITIONS: dict[AppointmentStatus, frozenset[AppointmentStatus]] = {
    AppointmentStatus.PENDING: frozenset(
        {AppointmentStatus.CONFIRMED, AppointmentStatus.CANCELLED}
    ),
    AppointmentStatus.CONFIRMED: frozenset(
        {AppointmentStatus.COMPLETED, AppointmentStatus.CANCELLED}
    ),
    AppointmentStatus.CANCELLED: frozenset(),
    AppointmentStatus.COMPLETED: frozenset(),
}
MOVABLE = frozenset({AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED})


@strawberry.input
class BookAppointmentInput:
    customer_id: relay.GlobalID
    starts_at: datetime
    duration_minutes: int
    persona_id: relay.GlobalID | None = None
    notes: str | None = None


@strawberry.input
class RescheduleAppointmentInput:
    id: relay.GlobalID
    starts_at: datetime
    duration_minutes: int | None = None


@strawberry.input
class AppointmentIdInput:
    id: relay.GlobalID


@strawberry.type
class AppointmentPayload(Payload):
    appointment: Appointment | None = None


def _check_time(starts_at: datetime, duration_minutes: int | None) -> None:
    reject_invalid(
        None
        if starts_at.tzinfo is not None
        else invalid("needs a time zone offset, e.g. 2026-05-01T09:00:00+02:00", "input.startsAt"),
        None
        if duration_minutes is None or 0 < duration_minutes <= MAX_DURATION_MINUTES
        else invalid(f"must be between 1 and {MAX_DURATION_MINUTES}", "input.durationMinutes"),
    )


def _move(appointment: models.Appointment, status: AppointmentStatus) -> None:
    if status not in TRANSITIONS[appointment.status]:
        raise Rejected(
            InvalidTransition(
                code=ErrorCode.INVALID_TRANSITION,
                message=f"a {appointment.status.value} appointment cannot become {status.value}",
            )
        )
    appointment.status = status


def _status_mutation(status: AppointmentStatus, description: str) -> object:
    async def resolve(info: Info, input: AppointmentIdInput) -> AppointmentPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> AppointmentPayload:
            appointment = await load_row(uow.appointments, input.id, "Appointment")
            _move(appointment, status)
            await uow.appointments.save(appointment)
            return AppointmentPayload(appointment=Appointment.from_row(appointment))

        return await run_mutation(info, AppointmentPayload, work)

    return strawberry.mutation(resolver=resolve, description=description)


@strawberry.type
class AppointmentMutations:
    @strawberry.mutation(
        description="Book a time with one of your customers; fails with SlotUnavailable "
        "if it overlaps another of your appointments."
    )
    async def book_appointment(self, info: Info, input: BookAppointmentInput) -> AppointmentPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> AppointmentPayload:
            _check_time(input.starts_at, input.duration_minutes)
            reject_invalid(check_length(input.notes, "input.notes", maximum=2000))
            customer = await load_row(
                uow.customers, input.customer_id, "Customer", "input.customerId"
            )
            persona = (
                await load_row(uow.personas, input.persona_id, "Persona", "input.personaId")
                if input.persona_id
                else None
            )
            appointment = models.Appointment(
                owner_id=customer.owner_id,
                customer_id=customer.id,
                persona_id=persona.id if persona else None,
                starts_at=input.starts_at,
                duration_minutes=input.duration_minutes,
                notes=input.notes,
            )
            await uow.appointments.add(appointment)
            return AppointmentPayload(appointment=Appointment.from_row(appointment))

        return await run_mutation(info, AppointmentPayload, work)

    @strawberry.mutation(
        description="Move a pending or confirmed appointment; keeps its id and status."
    )
    async def reschedule_appointment(
        self, info: Info, input: RescheduleAppointmentInput
    ) -> AppointmentPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> AppointmentPayload:
            _check_time(input.starts_at, input.duration_minutes)
            appointment = await load_row(uow.appointments, input.id, "Appointment")
            if appointment.status not in MOVABLE:
                raise Rejected(
                    InvalidTransition(
                        code=ErrorCode.INVALID_TRANSITION,
                        message=f"a {appointment.status.value} appointment cannot be moved",
                    )
                )
            appointment.starts_at = input.starts_at
            if input.duration_minutes is not None:
                appointment.duration_minutes = input.duration_minutes
            await uow.appointments.save(appointment)
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
