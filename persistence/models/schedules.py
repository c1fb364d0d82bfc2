"""An owner's schedule: time zone and booking rules, weekly opening hours, and
date exceptions (closed days, special hours). All keyed by the owner."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, SmallInteger, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models.base import Entity, JSONDocument


class Schedule(Entity):
    """When an owner can be booked; one per owner (owners without one get defaults)."""

    __tablename__ = "schedules"
    __table_args__ = (
        CheckConstraint("slot_minutes BETWEEN 5 AND 1440", name="slot_minutes_in_range"),
        CheckConstraint("buffer_minutes BETWEEN 0 AND 1440", name="buffer_minutes_in_range"),
        CheckConstraint("notice_minutes BETWEEN 0 AND 525600", name="notice_minutes_in_range"),
        CheckConstraint("horizon_days BETWEEN 1 AND 730", name="horizon_days_in_range"),
    )

    owner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    slot_minutes: Mapped[int]
    buffer_minutes: Mapped[int]
    notice_minutes: Mapped[int]
    horizon_days: Mapped[int]


class OpeningHours(Entity):
    """One weekly opening range: ``weekday`` (0 = Monday) from ``start_minute`` to
    ``end_minute`` local time, as minutes since midnight (1440 = the next midnight)."""

    __tablename__ = "opening_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_in_range"),
        CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
            name="range_in_day",
        ),
        Index(None, "owner_id", "weekday"),
    )

    owner_id: Mapped[UUID] = mapped_column(ForeignKey("schedules.owner_id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    start_minute: Mapped[int] = mapped_column(SmallInteger)
    end_minute: Mapped[int] = mapped_column(SmallInteger)


class ScheduleException(Entity):
    """A local date that does not follow the weekly hours: closed, or open only
    during ``hours`` (a list of ``[start_minute, end_minute]`` pairs)."""

    __tablename__ = "schedule_exceptions"
    __table_args__ = (UniqueConstraint("owner_id", "on_date"),)

    owner_id: Mapped[UUID] = mapped_column(ForeignKey("schedules.owner_id", ondelete="CASCADE"))
    on_date: Mapped[date]
    hours: Mapped[list[list[int]]] = mapped_column(JSONDocument, default=list)
    note: Mapped[str | None] = mapped_column(String(200))

    @property
    def closed(self) -> bool:
        return not self.hours
