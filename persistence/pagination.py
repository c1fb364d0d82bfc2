"""Keyset pagination: orderings that are total (they end on the id), page
requests expressed as key values, and the pages that come back."""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, literal, tuple_

from persistence.models import supported_instant

Row = TypeVar("Row")
KeyValue = datetime | UUID | str | int
Key = tuple[KeyValue, ...]


def _instant(value: str) -> datetime:
    """A cursor's timestamp: ISO text with an offset, within the supported calendar."""
    parsed = datetime.fromisoformat(value)
    if parsed.utcoffset() is None:
        raise ValueError("a cursor's time has an offset")
    instant = parsed.astimezone(UTC)  # OverflowError at the very ends of the calendar
    if not supported_instant(instant):
        raise ValueError("a cursor's time lies within the supported calendar")
    return instant


def _text_of(kind: type) -> Callable[[Any], KeyValue]:
    def parse(value: Any) -> KeyValue:
        if not isinstance(value, str):
            raise TypeError(f"expected text, got {type(value).__name__}")
        return kind(value)  # type: ignore[no-any-return]

    return parse


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    return value


_PARSERS: dict[type, Callable[[Any], KeyValue]] = {
    datetime: _text_of(_instant),  # type: ignore[arg-type]
    UUID: _text_of(UUID),
    str: _text_of(str),
    int: _integer,
}


class InvalidCursor(ValueError):
    """A cursor's key values do not fit the ordering they are used with."""


@dataclass(frozen=True, eq=False)
class Ordering(Generic[Row]):
    """A total order: sort expressions ending with the id, all in one direction.

    ``key`` reads the same values from a loaded row, so a row's position can be
    handed back as a cursor and resumed from without OFFSET.
    """

    name: str
    columns: tuple[ColumnElement[Any], ...]
    key: Callable[[Row], Key]
    types: tuple[type, ...]
    descending: bool = False

    def order_by(self, *, reverse: bool = False) -> list[ColumnElement[Any]]:
        descending = self.descending != reverse
        return [column.desc() if descending else column.asc() for column in self.columns]

    def beyond(
        self, key: Key | Sequence[ColumnElement[Any]], *, before: bool
    ) -> ColumnElement[bool]:
        """Rows strictly after ``key`` in this order (or strictly before it). The key
        is values, or parameters bound later (compiled reads)."""
        if len(key) != len(self.columns):
            raise InvalidCursor(f"cursor does not fit the {self.name} ordering")
        values = tuple_(
            *(
                value if isinstance(value, ColumnElement) else literal(value, column.type)
                for value, column in zip(key, self.columns, strict=True)
            )
        )
        row = tuple_(*self.columns)
        return row < values if self.descending != before else row > values

    def dump(self, key: Key) -> list[str | int]:
        return [value if isinstance(value, int) else _text(value) for value in key]

    def load(self, raw: Sequence[Any]) -> Key:
        """Parse cursor values written by :meth:`dump`; raises :class:`InvalidCursor`."""
        if len(raw) != len(self.types):
            raise InvalidCursor(f"cursor does not fit the {self.name} ordering")
        try:
            return tuple(_PARSERS[kind](value) for kind, value in zip(self.types, raw, strict=True))
        except (TypeError, ValueError, OverflowError) as exc:
            raise InvalidCursor(f"cursor does not fit the {self.name} ordering") from exc


def _text(value: KeyValue) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


@dataclass(frozen=True)
class PageRequest:
    """``limit`` rows after ``after`` and/or before ``before``; ``from_end`` takes
    the last ``limit`` rows of that window instead of the first (Relay's ``last``)."""

    limit: int
    after: Key | None = None
    before: Key | None = None
    from_end: bool = False

    def __post_init__(self) -> None:
        if self.limit < 0:
            raise ValueError("limit must not be negative")

    def conditions(self, ordering: Ordering[Any]) -> list[ColumnElement[bool]]:
        found = []
        if self.after is not None:
            found.append(ordering.beyond(self.after, before=False))
        if self.before is not None:
            found.append(ordering.beyond(self.before, before=True))
        return found


@dataclass
class Page(Generic[Row]):
    """One page of rows in order, with Relay's page information."""

    rows: list[Row]
    has_next_page: bool
    has_previous_page: bool
    ordering: Ordering[Row] = field(repr=False)

    def key(self, row: Row) -> Key:
        return self.ordering.key(row)

    @classmethod
    def from_overfetch(
        cls, rows: list[Row], request: PageRequest, ordering: Ordering[Row]
    ) -> Page[Row]:
        """Build a page from ``limit + 1`` rows fetched in the request's direction."""
        more = len(rows) > request.limit
        rows = rows[: request.limit]
        if request.from_end:
            rows.reverse()
            return cls(rows, request.before is not None, more, ordering)
        return cls(rows, more, request.after is not None, ordering)


def ordering_by(name: str, *attributes: Any, descending: bool = False) -> Ordering[Any]:
    """An ordering over plain mapped attributes, e.g. ``(Message.created_at, Message.id)``."""
    names = tuple(attribute.key for attribute in attributes)
    # attrgetter reads them all in one C call; of one name it gives the value itself.
    read: Callable[[Any], Any] = operator.attrgetter(*names)
    key: Callable[[Any], Key] = read if len(names) > 1 else lambda row: (read(row),)
    return Ordering(
        name=name,
        columns=tuple(attributes),
        key=key,
        types=tuple(attribute.type.python_type for attribute in attributes),
        descending=descending,
    )
