"""Calendar buckets of dashboards (days, ISO weeks, months) in an owner's local
time: pure date arithmetic, no database.

The same rules run in two places: here, to list every bucket of a range (so
empty ones can be filled), and inside SQLite as the SQL function
``concierge_local_bucket`` (PostgreSQL does the same with ``date_trunc`` on
``timezone(zone, ts)``; see :mod:`persistence.repositories.usage`).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo


class Grain(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


def bucket_start(day: date, grain: Grain) -> date:
    """The first local date of the bucket holding ``day`` (weeks start on Monday)."""
    if grain is Grain.DAY:
        return day
    if grain is Grain.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_bucket(start: date, grain: Grain) -> date:
    if grain is Grain.DAY:
        return start + timedelta(days=1)
    if grain is Grain.WEEK:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def bucket_starts(first: date, last: date, grain: Grain) -> list[date]:
    """Every bucket that local dates ``first``..``last`` touch, in order."""
    starts: list[date] = []
    current = bucket_start(first, grain)
    while current <= last:
        starts.append(current)
        current = next_bucket(current, grain)
    return starts


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_bucket(stored_utc: str | None, timezone: str | None, grain: str | None) -> str | None:
    """The SQLite function: a stored naive-UTC timestamp's bucket as ``YYYY-MM-DD``.

    SQLite keeps timestamps as ISO text in UTC (see ``UTCDateTime``); the
    result is the start of the bucket holding its local date in ``timezone``.
    """
    if stored_utc is None or timezone is None or grain is None:
        return None
    instant = datetime.fromisoformat(stored_utc).replace(tzinfo=UTC)
    local_day = instant.astimezone(_zone(timezone)).date()
    return bucket_start(local_day, Grain(grain)).isoformat()
