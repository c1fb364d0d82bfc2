"""Opening hours and free slots in an owner's local time: pure calendar rules,
no database. Every instant handed in or out is timezone-aware UTC.

Wall-clock rules, instants out:
- opening hours are local wall-clock ranges (minutes since local midnight,
  ``1440`` meaning the next midnight);
- slots start on the local grid ``opens + k * slot_minutes``. A grid time that
  does not exist (the skipped hour of a spring-forward day) has no slot; a grid
  time that exists twice (the repeated hour of a fall-back day) has one slot,
  at its first occurrence;
- lengths, buffers, notice and horizon are measured in real elapsed time.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

MINUTES_PER_DAY = 24 * 60
MAX_DURATION_MINUTES = MINUTES_PER_DAY


class ScheduleProblem(ValueError):
    """Why a schedule (or a part of one) cannot be stored."""


class UnknownTimeZone(ScheduleProblem):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown time zone {name[:64]!r}; use an IANA name like Europe/Berlin")
        self.name = name


class RangeProblem(ScheduleProblem):
    """What is wrong with the opening range at ``index`` of a day."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


class EndBeforeStart(RangeProblem):
    def __init__(self, index: int) -> None:
        super().__init__("the end must be after the start", index)


class OverlappingRanges(RangeProblem):
    def __init__(self, index: int, other: int) -> None:
        super().__init__("overlaps another range of the same day", index)
        self.other = other


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; raises :class:`UnknownTimeZone`.

    Only names of the time zone database are zones: a folder of it (``Europe``),
    a path or any other text is not, whatever files the system happens to have.
    """
    if name not in _known_zones():
        raise UnknownTimeZone(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise UnknownTimeZone(name) from exc


@dataclass(frozen=True, order=True)
class TimeRange:
    """Local wall-clock minutes ``[start, end)`` of one day; ``end`` may be 1440."""

    start: int
    end: int

    @classmethod
    def parse(cls, opens: str, closes: str) -> TimeRange:
        return cls(parse_clock(opens), parse_clock(closes))


def parse_clock(text: str) -> int:
    """Minutes since midnight of ``HH:MM`` (``24:00`` allowed); raises ValueError."""
    hours, sep, minutes = text.strip().partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(f"{text!r} is not a time like 09:30")
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > MINUTES_PER_DAY:
        raise ValueError(f"{text!r} is not a time between 00:00 and 24:00")
    return value


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def range_problems(ranges: Sequence[TimeRange]) -> list[RangeProblem]:
    """Every reason the ranges of one day are unusable (by index), empty if none."""
    problems: list[RangeProblem] = [
        EndBeforeStart(index) for index, r in enumerate(ranges) if r.end <= r.start
    ]
    valid = sorted((r, index) for index, r in enumerate(ranges) if r.end > r.start)
    reaching: tuple[TimeRange, int] | None = None  # the range that ends last so far
    for current, index in valid:
        if reaching is not None and current.start < reaching[0].end:
            problems.append(OverlappingRanges(index, reaching[1]))
        if reaching is None or current.end > reaching[0].end:
            reaching = (current, index)
    return problems


@dataclass(frozen=True)
class Window:
    """A stretch of real time ``[start, end)``, in UTC."""

    start: datetime
    end: datetime

    def contains(self, start: datetime, end: datetime) -> bool:
        return self.start <= start and end <= self.end


@dataclass(frozen=True)
class Rules:
    """Everything that decides when an owner can be booked."""

    timezone: str = "UTC"
    slot_minutes: int = 30
    buffer_minutes: int = 0
    notice_minutes: int = 0
    horizon_days: int = 90
    weekly: Mapping[int, tuple[TimeRange, ...]] = field(default_factory=dict)
    exceptions: Mapping[date, tuple[TimeRange, ...]] = field(default_factory=dict)

    @property
    def zone(self) -> ZoneInfo:
        return zone(self.timezone)

    def ranges_on(self, day: date) -> tuple[TimeRange, ...]:
        """Opening ranges of a local date: its exception (empty = closed) or its weekday."""
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekly.get(day.weekday(), ())


# Mondays to Fridays, nine to five, in UTC: what an owner without a schedule offers.
DEFAULT_RULES = Rules(weekly={weekday: (TimeRange(9 * 60, 17 * 60),) for weekday in range(5)})


def local_instant(day: date, minute: int, tz: ZoneInfo) -> datetime | None:
    """The UTC instant the local wall clock shows ``minute`` on ``day``.

    ``None`` if that wall time is skipped (spring forward); the first occurrence
    if it happens twice (fall back).
    """
    wall = datetime.combine(day, time(0)) + timedelta(minutes=minute)
    local = wall.replace(tzinfo=tz, fold=0)
    instant = local.astimezone(UTC)
    if instant.astimezone(tz).replace(tzinfo=None) != wall:
        return None
    return instant


def _boundary(day: date, minute: int, tz: ZoneInfo) -> datetime:
    """Like :func:`local_instant`, but a skipped wall time moves to the end of the gap."""
    while (instant := local_instant(day, minute, tz)) is None:
        minute += 1
    return instant


def opening_windows(rules: Rules, day: date) -> list[Window]:
    """The real-time windows the owner is open on local date ``day``."""
    tz = rules.zone
    return [
        Window(_boundary(day, r.start, tz), _boundary(day, r.end, tz))
        for r in sorted(rules.ranges_on(day))
    ]


def open_stretches(rules: Rules, first: date, last: date) -> list[Window]:
    """The opening windows of local dates ``first``..``last``, those that touch
    joined: a stay open until 24:00 and from 00:00 the next day is one stretch,
    so an appointment may run past midnight (or from one range into the next)."""
    windows = sorted(
        (window for day in days_between(first, last) for window in opening_windows(rules, day)),
        key=lambda window: window.start,
    )
    joined: list[Window] = []
    for window in windows:
        if joined and window.start <= joined[-1].end:
            joined[-1] = Window(joined[-1].start, max(joined[-1].end, window.end))
        else:
            joined.append(window)
    return joined


def _clashes(start: datetime, end: datetime, busy: Iterable[Window], buffer: timedelta) -> bool:
    return any(b.start - buffer < end and start < b.end + buffer for b in busy)


class BookingProblem(enum.Enum):
    OUTSIDE_OPENING_HOURS = "outside opening hours"
    TOO_SOON = "too soon: the schedule asks for more notice"
    TOO_FAR_AHEAD = "too far ahead: beyond the booking horizon"
    TOO_CLOSE = "too close to another appointment (buffer)"


def _booking_window(rules: Rules, now: datetime) -> tuple[datetime, datetime]:
    return (
        now + timedelta(minutes=rules.notice_minutes),
        now + timedelta(days=rules.horizon_days),
    )


def free_slots(
    rules: Rules,
    day: date,
    duration_minutes: int,
    busy: Sequence[Window],
    now: datetime,
) -> list[Window]:
    """Free start times on local date ``day`` for an appointment of ``duration_minutes``.

    A slot lies inside one opening window, keeps ``buffer_minutes`` clear of
    every busy stretch, starts no sooner than the notice allows and before the
    horizon ends.
    """
    tz = rules.zone
    length = timedelta(minutes=duration_minutes)
    buffer = timedelta(minutes=rules.buffer_minutes)
    earliest, latest = _booking_window(rules, now)
    slots: list[Window] = []
    for opening in sorted(rules.ranges_on(day)):
        closes = _boundary(day, opening.end, tz)
        for minute in range(opening.start, opening.end, rules.slot_minutes):
            start = local_instant(day, minute, tz)
            if start is None:
                continue
            end = start + length
            if end > closes or start < earliest or start >= latest:
                continue
            if _clashes(start, end, busy, buffer):
                continue
            slots.append(Window(start, end))
    return sorted(slots, key=lambda slot: slot.start)


def booking_problem(
    rules: Rules,
    start: datetime,
    duration_minutes: int,
    busy: Sequence[Window],
    now: datetime,
) -> BookingProblem | None:
    """Why an appointment at ``start`` may not be booked, or ``None`` if it may.

    Overlap with other appointments is the database's rule; this checks the
    schedule: opening hours, notice, horizon and buffers.
    """
    end = start + timedelta(minutes=duration_minutes)
    first, last = start.astimezone(rules.zone).date(), end.astimezone(rules.zone).date()
    if not any(w.contains(start, end) for w in open_stretches(rules, first, last)):
        return BookingProblem.OUTSIDE_OPENING_HOURS
    earliest, latest = _booking_window(rules, now)
    if start < earliest:
        return BookingProblem.TOO_SOON
    if start >= latest:
        return BookingProblem.TOO_FAR_AHEAD
    if _clashes(start, end, busy, timedelta(minutes=rules.buffer_minutes)):
        return BookingProblem.TOO_CLOSE
    return None


def days_between(first: date, last: date) -> list[date]:
    """Every date from ``first`` to ``last``, both included."""
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def utc_span(rules: Rules, first: date, last: date) -> Window:
    """Real time covering every opening window of local dates ``first``..``last``."""
    tz = rules.zone
    return Window(_boundary(first, 0, tz), _boundary(last + timedelta(days=1), 0, tz))
