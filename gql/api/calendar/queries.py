"""Calendar queries: your schedule and the free slots of a day or a week."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo

import strawberry

from gql.api.calendar.types import DaySlots, Schedule, TimeSlot
from gql.api.core.context import Info
from gql.api.core.errors import BadUserInput
from gql.api.core.nodes import decode_id
from gql.auth.permissions import IsAuthenticated
from persistence.models import utcnow
from persistence.rules import scheduling
from persistence.rules.scheduling import MAX_DURATION_MINUTES
from persistence.services.availability import slots_by_day

MAX_RANGE_DAYS = 31


async def _owner(info: Info, persona_id: strawberry.ID | None) -> UUID:
    """Whose calendar: the persona's owner if one is named, else the viewer's."""
    viewer = info.context.require_viewer()
    if persona_id is None:
        return viewer.id
    persona = await info.context.loaders.persona.load(decode_id(persona_id, "Persona", "personaId"))
    if persona is None:
        raise BadUserInput("`personaId` is not one of your personas", "personaId")
    return persona.owner_id  # type: ignore[no-any-return]


def _output_zone(timezone: str | None, schedule_zone: ZoneInfo) -> ZoneInfo:
    if timezone is None:
        return schedule_zone
    try:
        return scheduling.zone(timezone)
    except scheduling.UnknownTimeZone as exc:
        raise BadUserInput(str(exc), "timezone") from exc


async def _slots(
    info: Info,
    first: date,
    last: date,
    duration_minutes: int,
    persona_id: strawberry.ID | None,
    timezone: str | None,
) -> list[DaySlots]:
    if not 0 < duration_minutes <= MAX_DURATION_MINUTES:
        raise BadUserInput(
            f"`durationMinutes` must be between 1 and {MAX_DURATION_MINUTES}", "durationMinutes"
        )
    owner_id = await _owner(info, persona_id)
    rules, by_day = await slots_by_day(
        info.context.uow, owner_id, first, last, duration_minutes, utcnow()
    )
    zone = _output_zone(timezone, rules.zone)
    return [
        DaySlots(date=day, slots=[TimeSlot.of(window, zone) for window in windows])
        for day, windows in by_day.items()
    ]


_TIMEZONE_HELP = "Show times with this zone's offsets; the date is always in the schedule's zone."


@strawberry.type
class CalendarQueries:
    @strawberry.field(permission_classes=[IsAuthenticated], description="Your schedule.")
    async def schedule(self, info: Info) -> Schedule:
        return await Schedule.load(info.context.uow, info.context.require_viewer().id)

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Free slots of a local date in the schedule's zone (yours, or the "
        "owner's of `personaId`): within opening hours, clear of non-cancelled "
        "appointments and their buffers, after the minimum notice, before the horizon.",
    )
    async def available_slots(
        self,
        info: Info,
        date: date,
        duration_minutes: int,
        persona_id: strawberry.ID | None = None,
        timezone: Annotated[str | None, strawberry.argument(description=_TIMEZONE_HELP)] = None,
    ) -> list[TimeSlot]:
        (day,) = await _slots(info, date, date, duration_minutes, persona_id, timezone)
        return day.slots

    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description=f"`availableSlots` for every local date from `from` to `to` (at most "
        f"{MAX_RANGE_DAYS} days), e.g. a week view; a fixed number of SQL statements.",
    )
    async def available_slots_range(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from")],
        to: date,
        duration_minutes: int,
        persona_id: strawberry.ID | None = None,
        timezone: Annotated[str | None, strawberry.argument(description=_TIMEZONE_HELP)] = None,
    ) -> list[DaySlots]:
        if to < from_:
            raise BadUserInput("`to` must not be before `from`", "to")
        if to - from_ >= timedelta(days=MAX_RANGE_DAYS):
            raise BadUserInput(f"at most {MAX_RANGE_DAYS} days at a time", "to")
        return await _slots(info, from_, to, duration_minutes, persona_id, timezone)
