"""The calendar as GraphQL sees it: schedules, opening hours, exceptions, slots."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date, datetime
from typing import Self
from uuid import UUID
from zoneinfo import ZoneInfo

import strawberry
from strawberry import relay

from persistence import models
from persistence.models import utcnow
from persistence.repositories.schedules import rules_of
from persistence.rules.scheduling import DEFAULT_RULES, TimeRange, Window, format_clock, zone
from persistence.unit_of_work import UnitOfWork


@strawberry.enum(description="A day of the week; weeks start on Monday.")
class Weekday(enum.Enum):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


@strawberry.type(description="Local wall-clock times `HH:MM`; `24:00` is the end of the day.")
class OpeningRange:
    opens: str
    closes: str

    @classmethod
    def of(cls, time_range: TimeRange) -> Self:
        return cls(opens=format_clock(time_range.start), closes=format_clock(time_range.end))


@strawberry.type(description="A weekly opening range.")
class OpeningHours(OpeningRange):
    weekday: Weekday


@strawberry.type(description="A date that does not follow the weekly hours.")
class ScheduleException:
    date: date
    closed: bool
    hours: list[OpeningRange]
    note: str | None

    @classmethod
    def from_row(cls, row: models.ScheduleException) -> Self:
        return cls(
            date=row.on_date,
            closed=row.closed,
            hours=[OpeningRange.of(TimeRange(start, end)) for start, end in row.hours],
            note=row.note,
        )


@strawberry.type(
    description="When you can be booked, in your time zone. One per operator: its `id` "
    "stays the same across updates, so normalised client caches update it in place."
)
class Schedule:
    id: relay.GlobalID = strawberry.field(
        description="The schedule's global id, derived from its operator's."
    )
    timezone: str = strawberry.field(description="IANA time zone of every local time here.")
    slot_minutes: int = strawberry.field(description="Slots start every this many minutes.")
    buffer_minutes: int = strawberry.field(description="Kept free around each appointment.")
    minimum_notice_minutes: int = strawberry.field(description="How soon a slot may start.")
    horizon_days: int = strawberry.field(description="How far ahead slots are offered.")
    weekly_hours: list[OpeningHours]
    exceptions: list[ScheduleException] = strawberry.field(
        description="Date exceptions from today on, by date."
    )
    is_default: bool = strawberry.field(description="True until you save a schedule of your own.")

    @classmethod
    async def load(
        cls, uow: UnitOfWork, owner_id: UUID, row: models.Schedule | None = None
    ) -> Self:
        """The owner's schedule (``row``, when the caller has it already) with its
        exceptions from today on; the defaults while none is saved."""
        schedules = uow.schedules
        row = row or await schedules.find(owner_id)
        if row is None:
            return cls.build(owner_id, None, [], [])
        today = utcnow().astimezone(zone(row.timezone)).date()
        hours = await schedules.weekly_hours(owner_id)
        return cls.build(owner_id, row, hours, await schedules.exceptions(owner_id, today))

    @classmethod
    def build(
        cls,
        owner_id: UUID,
        row: models.Schedule | None,
        hours: Sequence[models.OpeningHours],
        exceptions: Sequence[models.ScheduleException],
    ) -> Self:
        rules = DEFAULT_RULES if row is None else rules_of(row, hours, [])
        return cls(
            id=relay.GlobalID("Schedule", str(owner_id)),
            timezone=rules.timezone,
            slot_minutes=rules.slot_minutes,
            buffer_minutes=rules.buffer_minutes,
            minimum_notice_minutes=rules.notice_minutes,
            horizon_days=rules.horizon_days,
            weekly_hours=[
                OpeningHours(
                    weekday=Weekday(weekday),
                    opens=format_clock(time_range.start),
                    closes=format_clock(time_range.end),
                )
                for weekday, ranges in sorted(rules.weekly.items())
                for time_range in ranges
            ],
            exceptions=[ScheduleException.from_row(e) for e in exceptions],
            is_default=row is None,
        )


@strawberry.type(description="A free time an appointment of the asked length fits.")
class TimeSlot:
    starts_at: datetime
    ends_at: datetime

    @classmethod
    def of(cls, window: Window, zone: ZoneInfo) -> Self:
        return cls(starts_at=window.start.astimezone(zone), ends_at=window.end.astimezone(zone))


@strawberry.type(description="The free slots of one local date.")
class DaySlots:
    date: date
    slots: list[TimeSlot]
