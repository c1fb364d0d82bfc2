"""Editing an owner's schedule: its settings, weekly hours and date exceptions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any
from uuid import UUID

from persistence.errors import InvalidInput, Problem, ProblemKind
from persistence.models import Schedule, ScheduleException
from persistence.rules import scheduling
from persistence.rules.scheduling import TimeRange
from persistence.rules.values import length, refuse
from persistence.unit_of_work import UnitOfWork

# setting (as the use case names it) → (column, smallest, largest), as the table checks them
LIMITS = {
    "slot_minutes": ("slot_minutes", 5, 1440),
    "buffer_minutes": ("buffer_minutes", 0, 1440),
    "minimum_notice_minutes": ("notice_minutes", 0, 525_600),
    "horizon_days": ("horizon_days", 1, 730),
}
NOTE_MAX = 200
# One opening range: (opens, closes), local wall-clock "HH:MM" ("24:00" ends the day).
Clock = tuple[str, str]


def _ranges(given: Sequence[Clock], fields: Sequence[tuple[str | int, ...]]) -> list[TimeRange]:
    """The ranges of one day (``fields[i]`` names ``given[i]``); raises InvalidInput
    with every format, order and overlap problem at once."""
    problems: list[Problem] = []
    parsed: list[TimeRange] = []
    for (opens, closes), field in zip(given, fields, strict=True):
        try:
            parsed.append(TimeRange.parse(opens, closes))
        except ValueError as exc:
            problems.append(Problem(field, str(exc)))
    refuse(problems)
    refuse(
        Problem(fields[problem.index], str(problem), _kind(problem))
        for problem in scheduling.range_problems(parsed)
    )
    return parsed


def _kind(problem: scheduling.RangeProblem) -> ProblemKind:
    if isinstance(problem, scheduling.EndBeforeStart):
        return ProblemKind.END_BEFORE_START
    return ProblemKind.OVERLAPPING_RANGES


def _weekly(given: Sequence[tuple[int, str, str]]) -> dict[int, list[TimeRange]]:
    """Weekly ranges by weekday (0 = Monday), checked day by day; problems name
    ``("weekly_hours", i)``."""
    by_day: dict[int, list[int]] = defaultdict(list)
    for index, (weekday, _, _) in enumerate(given):
        by_day[weekday].append(index)
    weekly: dict[int, list[TimeRange]] = {}
    problems: list[Problem] = []
    for weekday, indexes in by_day.items():
        try:
            weekly[weekday] = _ranges(
                [given[i][1:] for i in indexes], [("weekly_hours", i) for i in indexes]
            )
        except InvalidInput as invalid:
            problems.extend(invalid.problems)
    refuse(problems)
    return weekly


def _settings(changes: Mapping[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    problems: list[Problem] = []
    if "timezone" in changes:
        try:
            scheduling.zone(changes["timezone"] or "")
        except scheduling.UnknownTimeZone as exc:
            problems.append(Problem(("timezone",), str(exc), ProblemKind.UNKNOWN_TIME_ZONE))
        settings["timezone"] = changes["timezone"]
    for name, (column, smallest, largest) in LIMITS.items():
        if name not in changes:
            continue
        value = changes[name]
        if value is None or not smallest <= value <= largest:
            problems.append(Problem((name,), f"must be between {smallest} and {largest}"))
        settings[column] = value
    refuse(problems)
    return settings


async def update_schedule(uow: UnitOfWork, owner_id: UUID, changes: Mapping[str, Any]) -> Schedule:
    """Change the given settings (``timezone`` and :data:`LIMITS`) and, when
    ``weekly_hours`` is given (``(weekday, opens, closes)`` triples), replace every
    weekly range. Every problem of both halves is refused at once."""
    problems: list[Problem] = []
    settings: dict[str, Any] = {}
    weekly: dict[int, list[TimeRange]] | None = None
    try:
        settings = _settings(changes)
    except InvalidInput as invalid:
        problems += invalid.problems
    try:
        if "weekly_hours" in changes:
            weekly = _weekly(changes["weekly_hours"])
    except InvalidInput as invalid:
        problems += invalid.problems
    refuse(problems)
    async with uow.transaction():
        return await uow.schedules.update(owner_id, settings, weekly)


async def set_schedule_exception(
    uow: UnitOfWork,
    owner_id: UUID,
    on_date: date,
    *,
    closed: bool,
    hours: Sequence[Clock],
    note: str | None,
) -> ScheduleException | None:
    """Close ``on_date``, open it only during ``hours``, or (neither) let it follow
    the weekly hours again; the stored exception, ``None`` once removed."""
    refuse(
        [
            length(note, ("note",), maximum=NOTE_MAX),
            Problem(("hours",), "a closed date has no hours") if closed and hours else None,
        ]
    )
    ranges = _ranges(hours, [("hours", i) for i in range(len(hours))])
    async with uow.transaction():
        if not closed and not ranges:
            await uow.schedules.remove_exception(owner_id, on_date)
            return None
        return await uow.schedules.set_exception(owner_id, on_date, ranges, note)
