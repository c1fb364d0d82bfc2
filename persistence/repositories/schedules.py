from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import delete, select

from persistence.models import OpeningHours, Schedule, ScheduleException
from persistence.repositories.base import Repository
from persistence.rules.scheduling import DEFAULT_RULES, Rules, TimeRange

SETTINGS = ("timezone", "slot_minutes", "buffer_minutes", "notice_minutes", "horizon_days")


class ScheduleRepository(Repository[Schedule]):
    """An owner's schedule: its settings row, weekly hours and date exceptions.

    Owners without a stored schedule follow :data:`DEFAULT_RULES`.
    """

    model = Schedule

    async def find(self, owner_id: UUID) -> Schedule | None:
        self._check_owner(owner_id, "schedule")
        rows = await self._gate.scalars(self._select(Schedule.owner_id == owner_id))
        return rows[0] if rows else None

    async def weekly_hours(self, owner_id: UUID) -> list[OpeningHours]:
        self._check_owner(owner_id, "schedule")
        return await self._gate.scalars(
            select(OpeningHours)
            .where(OpeningHours.owner_id == owner_id)
            .order_by(OpeningHours.weekday, OpeningHours.start_minute)
        )

    async def exceptions(
        self, owner_id: UUID, first: date | None = None, last: date | None = None
    ) -> list[ScheduleException]:
        """The owner's date exceptions, optionally only those within ``first``..``last``."""
        self._check_owner(owner_id, "schedule")
        statement = select(ScheduleException).where(ScheduleException.owner_id == owner_id)
        if first is not None:
            statement = statement.where(ScheduleException.on_date >= first)
        if last is not None:
            statement = statement.where(ScheduleException.on_date <= last)
        return await self._gate.scalars(statement.order_by(ScheduleException.on_date))

    async def rules(self, owner_id: UUID, first: date, last: date) -> Rules:
        """The owner's booking rules, with the exceptions of ``first``..``last``.

        At most three statements, whatever the length of the range.
        """
        schedule = await self.find(owner_id)
        if schedule is None:
            return DEFAULT_RULES
        hours = await self.weekly_hours(owner_id)
        exceptions = await self.exceptions(owner_id, first, last)
        return rules_of(schedule, hours, exceptions)

    async def ensure(self, owner_id: UUID) -> Schedule:
        """The owner's stored schedule, created from the defaults (and their
        weekly hours) if there is none yet."""
        schedule = await self.find(owner_id)
        if schedule is not None:
            return schedule
        schedule = Schedule(
            owner_id=owner_id, **{name: getattr(DEFAULT_RULES, name) for name in SETTINGS}
        )
        await self.add(schedule)
        await self._insert_hours(owner_id, DEFAULT_RULES.weekly)
        return schedule

    async def update(
        self,
        owner_id: UUID,
        settings: Mapping[str, Any],
        weekly: Mapping[int, Sequence[TimeRange]] | None = None,
    ) -> Schedule:
        """Change some settings and, if given, replace every weekly opening range."""
        schedule = await self.ensure(owner_id)
        for name, value in settings.items():
            if name not in SETTINGS:
                raise ValueError(f"{name} is not a schedule setting")
            setattr(schedule, name, value)
        await self.save(schedule)
        if weekly is not None:
            await self._gate.execute(delete(OpeningHours).where(OpeningHours.owner_id == owner_id))
            await self._insert_hours(owner_id, weekly)
        return schedule

    async def _insert_hours(
        self, owner_id: UUID, weekly: Mapping[int, Sequence[TimeRange]]
    ) -> None:
        for weekday, ranges in weekly.items():
            for r in ranges:
                self._gate.add(
                    OpeningHours(
                        owner_id=owner_id, weekday=weekday, start_minute=r.start, end_minute=r.end
                    )
                )
        await self._gate.flush()

    async def set_exception(
        self, owner_id: UUID, on_date: date, hours: Sequence[TimeRange], note: str | None
    ) -> ScheduleException:
        """Make ``on_date`` closed (no ``hours``) or open only during ``hours``."""
        await self.ensure(owner_id)
        found = await self.exceptions(owner_id, on_date, on_date)
        exception = found[0] if found else ScheduleException(owner_id=owner_id, on_date=on_date)
        exception.hours = [[r.start, r.end] for r in sorted(hours)]
        exception.note = note
        self._gate.add(exception)
        await self._gate.flush()
        return exception

    async def remove_exception(self, owner_id: UUID, on_date: date) -> bool:
        """Let ``on_date`` follow the weekly hours again; ``False`` if it already did."""
        found = await self.exceptions(owner_id, on_date, on_date)
        for exception in found:
            await self._gate.delete(exception)
        await self._gate.flush()
        return bool(found)


def rules_of(
    schedule: Schedule,
    hours: Sequence[OpeningHours],
    exceptions: Sequence[ScheduleException],
) -> Rules:
    weekly: dict[int, list[TimeRange]] = defaultdict(list)
    for row in hours:
        weekly[row.weekday].append(TimeRange(row.start_minute, row.end_minute))
    return replace(
        DEFAULT_RULES,
        **{name: getattr(schedule, name) for name in SETTINGS},
        weekly={weekday: tuple(sorted(ranges)) for weekday, ranges in weekly.items()},
        exceptions={
            row.on_date: tuple(sorted(TimeRange(start, end) for start, end in row.hours))
            for row in exceptions
        },
    )
