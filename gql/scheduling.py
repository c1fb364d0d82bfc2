"""Free appointment slots on a local date, computed in the caller's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import strawberry

from gql.errors import BadUserInput
from persistence.config import Settings
from persistence.repositories import AppointmentRepository

MAX_DURATION_MINUTES = 24 * 60


@strawberry.type(description="A free interval that an appointment of the asked length fits.")
class TimeSlot:
    starts_at: datetime
    ends_at: datetime


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadUserInput(f"unknown time zone {name!r}", "timezone") from exc


async def free_slots(
    appointments: AppointmentRepository,
    settings: Settings,
    *,
    owner_id: UUID,
    day: date,
    duration_minutes: int,
    timezone: str,
) -> list[TimeSlot]:
    """Slots of ``duration_minutes`` stepping by that length from opening to closing
    time on ``day`` in ``timezone``, minus the owner's busy times (one query)."""
    if not 0 < duration_minutes <= MAX_DURATION_MINUTES:
        raise BadUserInput(
            f"`durationMinutes` must be between 1 and {MAX_DURATION_MINUTES}", "durationMinutes"
        )
    tz = zone(timezone)
    opens = datetime.combine(day, time(settings.opening_hour), tz)
    closes = datetime.combine(day, time(0), tz) + timedelta(hours=settings.closing_hour)
    # Step in UTC so wall-clock gaps and repeats around DST changes are not doubled or invented.
    start, end = opens.astimezone(UTC), closes.astimezone(UTC)
    busy = await appointments.busy_between(owner_id, start, end)
    length = timedelta(minutes=duration_minutes)
    slots: list[TimeSlot] = []
    cursor = start
    while cursor + length <= end:
        slot_end = cursor + length
        if not any(b.starts_at < slot_end and cursor < b.ends_at for b in busy):
            slots.append(TimeSlot(starts_at=cursor.astimezone(tz), ends_at=slot_end.astimezone(tz)))
        cursor = slot_end
    return slots
