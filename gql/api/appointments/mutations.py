"""Booking and the appointment lifecycle: pending → confirmed → completed, and
pending|confirmed → cancelled. Every change is kept in the appointment's history."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry
from strawberry import relay

from gql.api.appointments.types import Appointment
from gql.api.core.context import Info
from gql.api.core.errors import ErrorCode, InvalidTransition, OutsideOpeningHours, SlotUnavailable
from gql.api.core.mutations import (
    Payload,
    Rejected,
    check_length,
    invalid,
    load_row,
    reject_invalid,
    run_mutation,
)
from persistence import models
from persistence.models import AppointmentChange, AppointmentStatus, utcnow
from persistence.rules.scheduling import MAX_DURATION_MINUTES, BookingProblem
from persistence.services.availability import check_booking
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
CHANGE_TO = {
    AppointmentStatus.CONFIRMED: AppointmentChange.CONFIRMED,
    AppointmentStatus.COMPLETED: AppointmentChange.COMPLETED,
    AppointmentStatus.CANCELLED: AppointmentChange.CANCELLED,
}


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


def _check_duration(duration_minutes: int | None) -> None:
    # The DateTime scalar already refused a start without an offset or out of range.
    reject_invalid(
        None
        if duration_minutes is None or 0 < duration_minutes <= MAX_DURATION_MINUTES
        else invalid(f"must be between 1 and {MAX_DURATION_MINUTES}", "input.durationMinutes"),
    )


async def _check_schedule(
    uow: UnitOfWork,
    owner_id: UUID,
    starts_at: datetime,
    duration_minutes: int,
    moving: UUID | None = None,
) -> None:
    """Refuse, as typed errors, what the owner's schedule does not allow."""
    problem = await check_booking(
        uow, owner_id, starts_at, duration_minutes, utcnow(), moving=moving
    )
    if problem is None:
        return
    field, message = "input.startsAt", problem.value
    if problem is BookingProblem.OUTSIDE_OPENING_HOURS:
        raise Rejected(
            OutsideOpeningHours(code=ErrorCode.OUTSIDE_OPENING_HOURS, message=message, field=field)
        )
    if problem is BookingProblem.TOO_CLOSE:
        raise Rejected(
            SlotUnavailable(code=ErrorCode.SLOT_UNAVAILABLE, message=message, field=field)
        )
    raise Rejected(invalid(message, field))


async def _record(
    uow: UnitOfWork,
    appointment: models.Appointment,
    change: AppointmentChange,
    previous_starts_at: datetime | None = None,
) -> None:
    await uow.appointments.record(
        appointment,
        models.AppointmentEvent(
            change=change,
            status=appointment.status,
            starts_at=appointment.starts_at,
            duration_minutes=appointment.duration_minutes,
            previous_starts_at=previous_starts_at,
        ),
    )


def _refuse_transition(message: str) -> Rejected:
    return Rejected(InvalidTransition(code=ErrorCode.INVALID_TRANSITION, message=message))


def _status_mutation(status: AppointmentStatus, description: str) -> object:
    async def resolve(info: Info, input: AppointmentIdInput) -> AppointmentPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> AppointmentPayload:
            appointment = await load_row(uow.appointments, input.id, "Appointment", lock=True)
            if status not in TRANSITIONS[appointment.status]:
                raise _refuse_transition(
                    f"a {appointment.status.value} appointment cannot become {status.value}"
                )
            appointment.status = status
            await uow.appointments.save(appointment)
            await _record(uow, appointment, CHANGE_TO[status])
            return AppointmentPayload(appointment=Appointment.from_row(appointment))

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
            _check_duration(input.duration_minutes)
            reject_invalid(check_length(input.notes, "input.notes", maximum=2000))
            customer = await load_row(
                uow.customers, input.customer_id, "Customer", "input.customerId"
            )
            persona = (
                await load_row(uow.personas, input.persona_id, "Persona", "input.personaId")
                if input.persona_id
                else None
            )
            if persona is not None and persona.owner_id != customer.owner_id:
                raise Rejected(
                    invalid("belongs to another operator than the customer", "input.personaId")
                )
            await _check_schedule(uow, customer.owner_id, input.starts_at, input.duration_minutes)
            appointment = models.Appointment(
                owner_id=customer.owner_id,
                customer_id=customer.id,
                persona_id=persona.id if persona else None,
                starts_at=input.starts_at,
                duration_minutes=input.duration_minutes,
                notes=input.notes,
            )
            await uow.appointments.add(appointment)
            await _record(uow, appointment, AppointmentChange.BOOKED)
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
            _check_duration(input.duration_minutes)
            appointment = await load_row(uow.appointments, input.id, "Appointment", lock=True)
            if appointment.status not in MOVABLE:
                raise _refuse_transition(
                    f"a {appointment.status.value} appointment cannot be moved"
                )
            duration = input.duration_minutes or appointment.duration_minutes
            await _check_schedule(
                uow, appointment.owner_id, input.starts_at, duration, moving=appointment.id
            )
            previous = appointment.starts_at
            appointment.starts_at = input.starts_at
            appointment.duration_minutes = duration
            await uow.appointments.save(appointment)
            await _record(uow, appointment, AppointmentChange.RESCHEDULED, previous)
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
