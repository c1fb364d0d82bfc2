"""Keyset pagination: orderings that are total (they end on the id), page
requests expressed as key values, and the pages that come back."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from sqlalchemy import ColumnElement, literal, tuple_

Row = TypeVar("Row")
KeyValue = datetime | UUID | str | int
Key = tuple[KeyValue, ...]

_PARSERS: dict[type, Callable[[Any], KeyValue]] = {
    datetime: datetime.fromisoformat,
    UUID: UUID,
    str: str,
    int: int,
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

    def beyond(self, key: Key, *, before: bool) -> ColumnElement[bool]:
        """Rows strictly after ``key`` in this order (or strictly before it)."""
        if len(key) != len(self.columns):
            raise InvalidCursor(f"cursor does not fit the {self.name} ordering")
        values = tuple_(
            *(literal(value, column.type) for value, column in zip(key, self.columns, strict=True))
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
            key = tuple(_PARSERS[kind](value) for kind, value in zip(self.types, raw, strict=True))
        except (AttributeError, TypeError, ValueError) as exc:  # UUID(int) raises AttributeError
            raise InvalidCursor(f"cursor does not fit the {self.name} ordering") from exc
        if any(isinstance(value, datetime) and value.utcoffset() is None for value in key):
            # A naive time would be refused later, when bound to SQL, as an unexpected error.
            raise InvalidCursor(f"cursor does not fit the {self.name} ordering")
        return key


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
    return Ordering(
        name=name,
        columns=tuple(attributes),
        key=lambda row: tuple(getattr(row, attr) for attr in names),
        types=tuple(attribute.type.python_type for attribute in attributes),
        descending=descending,
    )
