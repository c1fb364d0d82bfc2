"""The schema's scalars where Strawberry's defaults are too lenient.

Every value these refuse is refused before anything runs, as a
``BAD_USER_INPUT`` error naming the argument (see :mod:`gql.api.core.inputs`):

- ``DateTime`` is an instant: an ISO 8601 date and time WITH an offset
  (``2027-01-01T09:00:00+01:00`` or ``…Z``). A time without an offset would be
  read in some zone nobody chose, so it is refused, everywhere. Values are
  handed to resolvers in UTC.
- ``Date`` is a calendar date, ``YYYY-MM-DD``.
- Both lie within the range Concierge supports (years 2 to 9998), so shifting
  them into any time zone, or by a day, a buffer or a week, never leaves the
  calendar.
- ``JSON`` values nest at most :data:`MAX_JSON_DEPTH` levels.
- ``BigInt`` carries totals that outgrow GraphQL's 32-bit ``Int``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, NewType

import strawberry
from strawberry.scalars import JSON
from strawberry.types.scalar import ScalarDefinition

from persistence.models import EARLIEST_DATE, LATEST_DATE, supported_instant

MAX_JSON_DEPTH = 32
# How deep a request may nest anything at all: documents, variables, JSON values.
MAX_NESTING = 64


class InvalidScalar(ValueError):
    """A value is not of its scalar type; the message says what is expected."""


_SUPPORTED = f"between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}"


def parse_datetime(value: object) -> datetime:
    """An instant with an offset, in UTC; raises :class:`InvalidScalar`."""
    if not isinstance(value, str):
        raise InvalidScalar("must be a date-time string like 2027-01-01T09:00:00+01:00")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidScalar(
            f"{value[:40]!r} is not a date-time like 2027-01-01T09:00:00+01:00"
        ) from None
    if parsed.utcoffset() is None:
        raise InvalidScalar(
            f"{value[:40]!r} has no time zone offset; add one, like 2027-01-01T09:00:00+01:00 "
            "or 2027-01-01T08:00:00Z"
        )
    try:
        instant = parsed.astimezone(UTC)
    except OverflowError:
        instant = None
    if instant is None or not supported_instant(instant):
        raise InvalidScalar(f"{value[:40]!r} is out of range: use a time {_SUPPORTED} (UTC)")
    return instant


def parse_date(value: object) -> date:
    """A calendar date within the supported range; raises :class:`InvalidScalar`."""
    if not isinstance(value, str):
        raise InvalidScalar("must be a date string like 2027-01-01")
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        raise InvalidScalar(f"{value[:40]!r} is not a date like 2027-01-01") from None
    if not EARLIEST_DATE <= parsed <= LATEST_DATE:
        raise InvalidScalar(f"{value[:40]!r} is out of range: use a date {_SUPPORTED}")
    return parsed


def json_problem(value: Any, max_depth: int) -> str | None:
    """Why a decoded JSON value cannot be taken, or ``None``: a NUL character in a
    string or key, or nesting deeper than ``max_depth``. Walks without recursion,
    so no value can exhaust Python's stack."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return "must not contain NUL characters"
        elif isinstance(item, dict | list):
            if depth > max_depth:
                return f"must not nest deeper than {max_depth} levels"
            children = item.items() if isinstance(item, dict) else enumerate(item)
            for key, child in children:
                if isinstance(key, str) and "\x00" in key:
                    return "must not contain NUL characters"
                pending.append((child, depth + 1))
    return None


def parse_json(value: object) -> object:
    problem = json_problem(value, MAX_JSON_DEPTH)
    if problem is not None:
        raise InvalidScalar(f"a JSON value {problem}")
    return value


def _isoformat(value: date) -> str:
    return value.isoformat()


def _bigint(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidScalar("BigInt must be an integer")
    return value


DATETIME = strawberry.scalar(
    name="DateTime",
    description="An instant: ISO 8601 date and time with an offset, "
    "e.g. `2027-01-01T09:00:00+01:00` or `2027-01-01T08:00:00Z`; times without an offset "
    f"are refused. Supported {_SUPPORTED}. Sent back in UTC unless a field says otherwise.",
    serialize=_isoformat,
    parse_value=parse_datetime,
)
DATE = strawberry.scalar(
    name="Date",
    description=f"A calendar date, ISO 8601 `YYYY-MM-DD`, {_SUPPORTED}.",
    serialize=_isoformat,
    parse_value=parse_date,
)
JSON_SCALAR = strawberry.scalar(
    name="JSON",
    description=f"A JSON value (ECMA-404), nested at most {MAX_JSON_DEPTH} levels deep.",
    specified_by_url="https://ecma-international.org/wp-content/uploads/ECMA-404_2nd_edition_december_2017.pdf",
    parse_value=parse_json,
)

BigInt = NewType("BigInt", int)
BIGINT = strawberry.scalar(
    name="BigInt",
    description="An integer that may exceed GraphQL's 32-bit `Int` (e.g. token totals); "
    "sent as a JSON number, exact up to 2^53 - 1.",
    serialize=_bigint,
    parse_value=_bigint,
)

SCALAR_OVERRIDES: dict[object, ScalarDefinition] = {
    datetime: DATETIME,
    date: DATE,
    JSON: JSON_SCALAR,
}
SCALAR_MAP: dict[object, ScalarDefinition] = {BigInt: BIGINT}
