"""Editing your schedule: settings and weekly hours, and date exceptions."""

from __future__ import annotations

from datetime import date

import strawberry

from gql.api.calendar.types import Schedule, ScheduleException, Weekday
from gql.api.core.context import Info
from gql.api.core.mutations import Payload, run_mutation
from persistence import models
from persistence.services import schedules
from persistence.unit_of_work import UnitOfWork


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


@strawberry.type
class ScheduleMutations:
    @strawberry.mutation(
        description="Change your schedule's time zone, booking rules or weekly hours. "
        "Fails with UnknownTimeZone, EndBeforeStart or OverlappingIntervals."
    )
    async def update_schedule(self, info: Info, input: UpdateScheduleInput) -> SchedulePayload:
        async def work(uow: UnitOfWork, viewer: models.User) -> SchedulePayload:
            changes = {
                name: value
                for name in ("timezone", *schedules.LIMITS)
                if (value := getattr(input, name)) is not strawberry.UNSET
            }
            if input.weekly_hours is not strawberry.UNSET:
                changes["weekly_hours"] = [
                    (item.weekday.value, item.opens, item.closes)
                    for item in input.weekly_hours or []
                ]
            row = await schedules.update_schedule(uow, viewer.id, changes)
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
            row = await schedules.set_schedule_exception(
                uow,
                viewer.id,
                input.date,
                closed=input.closed,
                hours=[(item.opens, item.closes) for item in input.hours],
                note=input.note,
            )
            exception = ScheduleException.from_row(row) if row is not None else None
            return ScheduleExceptionPayload(exception=exception)

        return await run_mutation(info, ScheduleExceptionPayload, work)
