"""Declarative base, column types and the columns every table shares."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any, ClassVar
from uuid import UUID

import uuid6
from sqlalchemy import JSON, DateTime, ForeignKeyConstraint, MetaData, Uuid
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

# Named constraints let Alembic's SQLite batch mode (and error translation) address them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The calendar Concierge works in: a year's margin at both ends of Python's, so
# that shifting any supported date or instant into a time zone, or by days,
# weeks or months, never leaves the calendar.
EARLIEST_DATE = date(2, 1, 1)
LATEST_DATE = date(9998, 12, 31)
_EARLIEST_INSTANT = datetime.combine(EARLIEST_DATE, time.min, UTC)
_LATEST_INSTANT = datetime.combine(LATEST_DATE, time.max, UTC)


def supported_instant(value: datetime) -> bool:
    """Whether an aware instant lies within the supported calendar."""
    return _EARLIEST_INSTANT <= value <= _LATEST_INSTANT


def new_id() -> UUID:
    """A time-ordered (version 7) UUID: new rows sort after old ones in indexes."""
    return UUID(int=uuid6.uuid7().int)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no zone, so values are stored
    as naive UTC (which sorts correctly as text) and come back aware. asyncpg
    reads every ``timestamptz`` as an aware datetime in ``datetime.UTC`` already,
    so there its values are not processed at all (two calls a value, for every
    timestamp of every row read).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        # Keyset cursors parse their values by this type; the default is `object`.
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass a timezone-aware value")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.driver == "asyncpg":
            return self.impl_instance.result_processor(dialect, coltype)
        return super().result_processor(dialect, coltype)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is UTC:  # asyncpg's timestamptz is already UTC
            return value
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONDocument = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        UUID: Uuid(),
        dict[str, Any]: JSONDocument,
    }


class Entity(Base):
    """Columns of every table: a time-ordered id and UTC creation/update times."""

    __abstract__ = True

    id: Mapped[UUID] = mapped_column(primary_key=True, default=new_id, sort_order=-1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, sort_order=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, sort_order=1)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id}>"


def owned_reference(
    table: str, column: str, parent: str, *, on_delete: str
) -> tuple[ForeignKeyConstraint, ...]:
    """Foreign keys that let a row of ``table`` point through ``column`` only at a
    ``parent`` row of the same owner: ``(owner_id, column)`` references
    ``parent(owner_id, id)``, so no writer, admin or not, can link one owner's
    row to another's.

    ``on_delete="CASCADE"`` removes the row with its parent. ``"SET NULL"``
    clears ``column`` alone (the owner stays): PostgreSQL (15 and later) says
    so in the constraint itself; SQLite, which would clear every column of a
    composite key, clears it through a plain key on ``column`` while the
    composite one only checks, at the end of each statement.
    """
    composite = ForeignKeyConstraint(
        ["owner_id", column],
        [f"{parent}.owner_id", f"{parent}.id"],
        name=f"fk_{table}_owner_{column}_{parent}",
        ondelete=None if on_delete == "SET NULL" else on_delete,
    )
    if on_delete != "SET NULL":
        return (composite,)
    return (
        ForeignKeyConstraint(
            ["owner_id", column],
            [f"{parent}.owner_id", f"{parent}.id"],
            name=f"fk_{table}_owner_{column}_{parent}",
            ondelete=f"SET NULL ({column})",
        ).ddl_if(dialect="postgresql"),
        composite.ddl_if(dialect="sqlite"),
        ForeignKeyConstraint(
            [column],
            [f"{parent}.id"],
            name=f"fk_{table}_{column}_{parent}",
            ondelete="SET NULL",
        ).ddl_if(dialect="sqlite"),
    )


def for_dialect(dialect: str) -> Callable[..., bool]:
    """An Alembic ``include_object`` filter: leaves out what ``.ddl_if()`` creates only
    on other dialects (Alembic compares every constraint of the metadata otherwise)."""

    def include(obj: Any, _name: Any, _type: str, reflected: bool, _compare_to: Any) -> bool:
        condition = None if reflected else getattr(obj, "_ddl_if", None)
        if condition is None or condition.dialect is None:
            return True
        if isinstance(condition.dialect, str):
            return bool(condition.dialect == dialect)
        return dialect in condition.dialect

    return include
