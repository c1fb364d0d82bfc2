"""Editing your schedule: settings and weekly hours, and date exceptions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import strawberry

from gql.api.calendar.types import Schedule, ScheduleException, Weekday
from gql.api.core.context import Info
from gql.api.core.errors import (
    EndBeforeStart,
    ErrorCode,
    OverlappingIntervals,
    UnknownTimeZone,
    UserError,
)
from gql.api.core.mutations import (
    Payload,
    Rejected,
    camel,
    check_length,
    invalid,
    reject_invalid,
    run_mutation,
)
from persistence import models
from persistence.rules import scheduling
from persistence.rules.scheduling import TimeRange
from persistence.unit_of_work import UnitOfWork

# input field → (column, smallest, largest), as the schedules table checks them
LIMITS = {
    "slot_minutes": ("slot_minutes", 5, 1440),
    "buffer_minutes": ("buffer_minutes", 0, 1440),
    "minimum_notice_minutes": ("notice_minutes", 0, 525_600),
    "horizon_days": ("horizon_days", 1, 730),
}


@strawberry.input(description="Local wall-clock times `HH:MM`; `24:00` ends the day.")
class OpeningRangeInput:
    opens: str
    closes: str


@strawberry.input
class OpeningHoursInput(OpeningRangeInput):
    weekday: Weekday


@strawberry.input(description="Only the fields you pass change.")
class UpdateScheduleInput:
    timezone: str | None = strawberry.UNSET
    slot_minutes: int | None = strawberry.UNSET
    buffer_minutes: int | None = strawberry.UNSET
    minimum_notice_minutes: int | None = strawberry.UNSET
    horizon_days: int | None = strawberry.UNSET
    weekly_hours: list[OpeningHoursInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces every weekly range when given."
    )


@strawberry.input(
    description="`closed: true` closes the date; `hours` opens it only then; neither "
    "(no hours, not closed) removes the exception so the weekly hours apply again."
)
class SetScheduleExceptionInput:
    date: date
    closed: bool = False
    hours: list[OpeningRangeInput] = strawberry.field(default_factory=list)
    note: str | None = None


@strawberry.type
class SchedulePayload(Payload):
    schedule: Schedule | None = None


@strawberry.type
class ScheduleExceptionPayload(Payload):
    exception: ScheduleException | None = strawberry.field(
        default=None, description="The stored exception; null once removed."
    )


def _ranges(given: Sequence[OpeningRangeInput], fields: Sequence[str]) -> list[TimeRange]:
    """Parse the ranges of one day (``fields[i]`` names ``given[i]`` in errors);
    raises every format, order and overlap problem at once."""
    errors: list[UserError] = []
    parsed: list[TimeRange] = []
    for item, field in zip(given, fields, strict=True):
        try:
            parsed.append(TimeRange.parse(item.opens, item.closes))
        except ValueError as exc:
            errors.append(invalid(str(exc), field))
    if errors:
        raise Rejected(*errors)
    problems = scheduling.range_problems(parsed)
    if problems:
        raise Rejected(*(_range_error(problem, fields) for problem in problems))
    return parsed


def _range_error(problem: scheduling.ScheduleProblem, fields: Sequence[str]) -> UserError:
    if isinstance(problem, scheduling.EndBeforeStart):
        return EndBeforeStart(
            code=ErrorCode.END_BEFORE_START, message=str(problem), field=fields[problem.index]
        )
    assert isinstance(problem, scheduling.OverlappingRanges)
    return OverlappingIntervals(
        code=ErrorCode.OVERLAPPING_INTERVALS, message=str(problem), field=fields[problem.index]
    )


def _weekly(given: Sequence[OpeningHoursInput]) -> dict[int, list[TimeRange]]:
    """Weekly ranges by weekday, checked day by day; errors name ``input.weeklyHours[i]``."""
    by_day: dict[int, list[int]] = defaultdict(list)
    for index, item in enumerate(given):
        by_day[item.weekday.value].append(index)
    weekly: dict[int, list[TimeRange]] = {}
    errors: list[UserError] = []
    for weekday, indexes in by_day.items():
        try:
            weekly[weekday] = _ranges(
                [given[i] for i in indexes], [f"input.weeklyHours[{i}]" for i in indexes]
            )
        except Rejected as rejected:
            errors.extend(rejected.errors)
    if errors:
        raise Rejected(*errors)
    return weekly


def _settings(input: UpdateScheduleInput) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    errors: list[UserError] = []
    if input.timezone is not strawberry.UNSET:
        try:
            scheduling.zone(input.timezone or "")
        except scheduling.UnknownTimeZone as exc:
            errors.append(
                UnknownTimeZone(
                    code=ErrorCode.UNKNOWN_TIME_ZONE, message=str(exc), field="input.timezone"
                )
            )
        settings["timezone"] = input.timezone
    for name, (column, smallest, largest) in LIMITS.items():
        value = getattr(input, name)
        if value is strawberry.UNSET:
            continue
        if value is None or not smallest <= value <= largest:
            field = f"input.{camel(name)}"
            errors.append(invalid(f"must be between {smallest} and {largest}", field))
        settings[column] = value
    if errors:
        raise Rejected(*errors)
    return settings


@strawberry.type
class ScheduleMutations:
    @strawberry.mutation(
        description="Change your schedule's time zone, booking rules or weekly hours. "
        "Fails with UnknownTimeZone, EndBeforeStart or OverlappingIntervals."
    )
    async def update_schedule(self, info: Info, input: UpdateScheduleInput) -> SchedulePayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> SchedulePayload:
            # Check both halves before refusing, so a form can show every problem at once.
            errors: list[UserError] = []
            settings: dict[str, Any] = {}
            weekly: dict[int, list[TimeRange]] | None = None
            try:
                settings = _settings(input)
            except Rejected as rejected:
                errors += rejected.errors
            try:
                if input.weekly_hours is not strawberry.UNSET:
                    weekly = _weekly(input.weekly_hours or [])
            except Rejected as rejected:
                errors += rejected.errors
            if errors:
                raise Rejected(*errors)
            row = await uow.schedules.update(viewer.id, settings, weekly)
            return SchedulePayload(schedule=await Schedule.load(uow, viewer.id, row))

        return await run_mutation(info, SchedulePayload, work)

    @strawberry.mutation(
        description="Close a date, give it special hours, or let it follow the weekly hours "
        "again. Fails with EndBeforeStart or OverlappingIntervals."
    )
    async def set_schedule_exception(
        self, info: Info, input: SetScheduleExceptionInput
    ) -> ScheduleExceptionPayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> ScheduleExceptionPayload:
            reject_invalid(
                check_length(input.note, "input.note", maximum=200),
                invalid("a closed date has no hours", "input.hours")
                if input.closed and input.hours
                else None,
            )
            hours = _ranges(input.hours, [f"input.hours[{i}]" for i in range(len(input.hours))])
            if not input.closed and not hours:
                await uow.schedules.remove_exception(viewer.id, input.date)
                return ScheduleExceptionPayload()
            row = await uow.schedules.set_exception(viewer.id, input.date, hours, input.note)
            return ScheduleExceptionPayload(exception=ScheduleException.from_row(row))

        return await run_mutation(info, ScheduleExceptionPayload, work)
