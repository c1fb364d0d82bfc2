"""Calendar operations over a unit of work: free slots for a range of local
dates, and the schedule's verdict on a booking. The rules themselves live in
:mod:`persistence.rules.scheduling`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from uuid import UUID

from persistence.rules.scheduling import (
    BookingProblem,
    Rules,
    Window,
    booking_problem,
    days_between,
    free_slots,
    utc_span,
)
from persistence.unit_of_work import UnitOfWork


async def slots_by_day(
    uow: UnitOfWork,
    owner_id: UUID,
    first: date,
    last: date,
    duration_minutes: int,
    now: datetime,
) -> tuple[Rules, dict[date, list[Window]]]:
    """Free slots of each local date ``first``..``last`` in the owner's zone.

    At most four statements whatever the range: the schedule, its weekly hours,
    its exceptions in the range, and the appointments of the whole range.
    """
    rules = await uow.schedules.rules(owner_id, first, last)
    span = utc_span(rules, first, last)
    margin = timedelta(minutes=rules.buffer_minutes)
    busy = [
        Window(row.starts_at, row.ends_at)
        for row in await uow.appointments.busy_between(
            owner_id, span.start - margin, span.end + margin
        )
    ]
    return rules, {
        day: free_slots(rules, day, duration_minutes, busy, now)
        for day in days_between(first, last)
    }


async def check_booking(
    uow: UnitOfWork,
    owner_id: UUID,
    starts_at: datetime,
    duration_minutes: int,
    now: datetime,
    *,
    moving: UUID | None = None,
) -> BookingProblem | None:
    """Why the owner's schedule refuses an appointment at ``starts_at``, or ``None``.

    Locks the owner's calendar first, so the answer still holds when the
    unit of work commits. ``moving`` is the appointment being rescheduled,
    which does not stand in its own way.
    """
    await uow.appointments.lock_calendar(owner_id)
    # The local date is within a day of the UTC one, whatever the zone.
    day = timedelta(days=1)
    rules = await uow.schedules.rules(owner_id, starts_at.date() - day, starts_at.date() + day)
    margin = timedelta(minutes=rules.buffer_minutes)
    ends_at = starts_at + timedelta(minutes=duration_minutes)
    busy = [
        Window(row.starts_at, row.ends_at)
        for row in await uow.appointments.busy_between(
            owner_id, starts_at - margin, ends_at + margin, ignoring=moving
        )
    ]
    return booking_problem(rules, starts_at, duration_minutes, busy, now)
