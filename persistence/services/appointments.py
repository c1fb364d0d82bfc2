"""Booking, moving and the lifecycle of appointments. Every change reads the
appointment afresh under a row lock, so concurrent changes of one take turns,
and leaves one event in its history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from persistence.errors import (
    InvalidInput,
    InvalidTransition,
    NotFound,
    OutsideOpeningHours,
    Problem,
    TooClose,
)
from persistence.events import Event, Topic
from persistence.models import Appointment, AppointmentChange, AppointmentEvent, utcnow
from persistence.models import AppointmentStatus as Status
from persistence.rules.lifecycle import CHANGE_TO, may_become, may_move
from persistence.rules.scheduling import MAX_DURATION_MINUTES, BookingProblem
from persistence.rules.values import between, length, refuse
from persistence.services.availability import check_booking
from persistence.unit_of_work import UnitOfWork

NOTES_MAX = 2000


@dataclass(frozen=True)
class Booking:
    customer_id: UUID
    starts_at: datetime
    duration_minutes: int
    persona_id: UUID | None = None
    notes: str | None = None


def _duration(minutes: int | None) -> Problem | None:
    return between(minutes, ("duration_minutes",), 1, MAX_DURATION_MINUTES)


async def book_appointment(uow: UnitOfWork, booking: Booking) -> Appointment:
    """A pending appointment with a visible customer (and persona) at a time the
    owner's schedule offers. Raises InvalidInput, NotFound, OutsideOpeningHours,
    TooClose, or Overlap when another appointment holds the time."""
    refuse([_duration(booking.duration_minutes)])
    refuse([length(booking.notes, ("notes",), maximum=NOTES_MAX)])
    async with uow.transaction():
        (customer,) = await uow.customers.get_many([booking.customer_id])
        if customer is None:
            raise NotFound("customer", booking.customer_id, ("customer_id",))
        persona = None
        if booking.persona_id is not None:
            (persona,) = await uow.personas.get_many([booking.persona_id])
            if persona is None:
                raise NotFound("persona", booking.persona_id, ("persona_id",))
            if persona.owner_id != customer.owner_id:
                refuse([Problem(("persona_id",), "belongs to another operator than the customer")])
        await _check_schedule(uow, customer.owner_id, booking.starts_at, booking.duration_minutes)
        appointment = Appointment(
            owner_id=customer.owner_id,
            customer_id=customer.id,
            persona_id=persona.id if persona else None,
            starts_at=booking.starts_at,
            duration_minutes=booking.duration_minutes,
            notes=booking.notes,
        )
        await uow.appointments.add(appointment)
        await _record(uow, appointment, AppointmentChange.BOOKED)
        return appointment


async def reschedule_appointment(
    uow: UnitOfWork, appointment_id: UUID, starts_at: datetime, duration_minutes: int | None
) -> Appointment:
    """Move a pending or confirmed appointment, keeping its id, status and history;
    refused like a booking if the new time is not available."""
    refuse([_duration(duration_minutes)])
    async with uow.transaction():
        appointment = await _appointment(uow, appointment_id)
        if not may_move(appointment.status):
            raise InvalidTransition(f"a {appointment.status.value} appointment cannot be moved")
        duration = duration_minutes or appointment.duration_minutes
        await _check_schedule(uow, appointment.owner_id, starts_at, duration, moving=appointment.id)
        previous = appointment.starts_at
        appointment.starts_at = starts_at
        appointment.duration_minutes = duration
        await uow.appointments.save(appointment)
        await _record(uow, appointment, AppointmentChange.RESCHEDULED, previous)
        return appointment


async def change_status(uow: UnitOfWork, appointment_id: UUID, target: Status) -> Appointment:
    """Move an appointment along its lifecycle (confirm, complete, cancel); raises
    InvalidTransition where the lifecycle does not allow it."""
    async with uow.transaction():
        appointment = await _appointment(uow, appointment_id)
        if not may_become(appointment.status, target):
            raise InvalidTransition(
                f"a {appointment.status.value} appointment cannot become {target.value}"
            )
        appointment.status = target
        await uow.appointments.save(appointment)
        await _record(uow, appointment, CHANGE_TO[target])
        return appointment


async def _appointment(uow: UnitOfWork, appointment_id: UUID) -> Appointment:
    appointment = await uow.appointments.lock(appointment_id)
    if appointment is None:
        raise NotFound("appointment", appointment_id, ("id",))
    return appointment


async def _check_schedule(
    uow: UnitOfWork,
    owner_id: UUID,
    starts_at: datetime,
    duration_minutes: int,
    moving: UUID | None = None,
) -> None:
    """Refuse what the owner's schedule does not allow."""
    problem = await check_booking(
        uow, owner_id, starts_at, duration_minutes, utcnow(), moving=moving
    )
    if problem is BookingProblem.OUTSIDE_OPENING_HOURS:
        raise OutsideOpeningHours(problem.value)
    if problem is BookingProblem.TOO_CLOSE:
        raise TooClose(problem.value)
    if problem is not None:
        raise InvalidInput(Problem(("starts_at",), problem.value))


async def _record(
    uow: UnitOfWork,
    appointment: Appointment,
    change: AppointmentChange,
    previous_starts_at: datetime | None = None,
) -> None:
    await uow.appointments.record(
        appointment,
        AppointmentEvent(
            change=change,
            status=appointment.status,
            starts_at=appointment.starts_at,
            duration_minutes=appointment.duration_minutes,
            previous_starts_at=previous_starts_at,
        ),
    )
    uow.publish(Event(Topic.APPOINTMENT, change.value, appointment.owner_id, appointment.id))
