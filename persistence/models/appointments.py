from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import DDL, CheckConstraint, ForeignKey, Index, String, event, func, literal_column
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from persistence.models.base import Entity, owned_reference
from persistence.models.enums import AppointmentChange, AppointmentStatus, checked_enum

NO_OVERLAP = "appointments_no_overlap"

# SQLite has one writer at a time, so a trigger that checks before every write
# is race-free: no two transactions can both pass the check and then insert.
_SQLITE_OVERLAP_CHECK = """
CREATE TRIGGER {name}_{event} BEFORE {event} ON appointments
WHEN NEW.status != 'cancelled' AND EXISTS (
    SELECT 1 FROM appointments AS other
    WHERE other.owner_id = NEW.owner_id
      AND other.id != NEW.id
      AND other.status != 'cancelled'
      AND other.starts_at < NEW.ends_at
      AND NEW.starts_at < other.ends_at
)
BEGIN
    SELECT RAISE(ABORT, '{name}');
END
"""
SQLITE_OVERLAP_TRIGGERS = tuple(
    _SQLITE_OVERLAP_CHECK.format(name=NO_OVERLAP, event=event_name)
    for event_name in ("INSERT", "UPDATE")
)


class Appointment(Entity):
    """A booked time with a customer; ``ends_at`` follows starts_at + duration."""

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint(
            "duration_minutes > 0 AND duration_minutes <= 1440", name="duration_in_range"
        ),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        Index(None, "owner_id", "starts_at"),
        ExcludeConstraint(
            (literal_column("owner_id"), "="),
            (func.tstzrange(literal_column("starts_at"), literal_column("ends_at")), "&&"),
            name=NO_OVERLAP,
            using="gist",
            where="status <> 'cancelled'",
        ).ddl_if(dialect="postgresql"),
        *owned_reference("appointments", "customer_id", "customers", on_delete="CASCADE"),
        *owned_reference("appointments", "persona_id", "personas", on_delete="SET NULL"),
    )

    owner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    customer_id: Mapped[UUID] = mapped_column(index=True)
    persona_id: Mapped[UUID | None] = mapped_column(index=True)
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int]
    ends_at: Mapped[datetime]
    status: Mapped[AppointmentStatus] = mapped_column(
        checked_enum(AppointmentStatus, "appointment_status"), default=AppointmentStatus.PENDING
    )
    notes: Mapped[str | None] = mapped_column(String(2000))

    @validates("starts_at", "duration_minutes")
    def _keep_end_in_step(self, key: str, value: Any) -> Any:
        if key == "starts_at" and isinstance(value, datetime) and value.tzinfo is not None:
            # Kept in UTC as stored, so a fresh write reads back exactly like a reload.
            value = value.astimezone(UTC)
        starts_at = value if key == "starts_at" else self.starts_at
        duration = value if key == "duration_minutes" else self.duration_minutes
        if starts_at is not None and duration is not None:
            self.ends_at = starts_at + timedelta(minutes=duration)
        return value


class AppointmentEvent(Entity):
    """One entry of an appointment's history: booked, a status change, or a move.

    ``starts_at``/``duration_minutes`` are the appointment's time after the
    event; a move also keeps where it came from in ``previous_starts_at``.
    """

    __tablename__ = "appointment_events"
    __table_args__ = (Index(None, "appointment_id", "created_at", "id"),)

    appointment_id: Mapped[UUID] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"))
    change: Mapped[AppointmentChange] = mapped_column(
        checked_enum(AppointmentChange, "appointment_change")
    )
    status: Mapped[AppointmentStatus] = mapped_column(
        checked_enum(AppointmentStatus, "appointment_status")
    )
    starts_at: Mapped[datetime]
    duration_minutes: Mapped[int]
    previous_starts_at: Mapped[datetime | None]


_ddl: Any = DDL  # SQLAlchemy's DDL() is untyped


event.listen(
    Appointment.__table__,
    "before_create",
    _ddl("CREATE EXTENSION IF NOT EXISTS btree_gist").execute_if(dialect="postgresql"),
)
for _trigger in SQLITE_OVERLAP_TRIGGERS:
    event.listen(Appointment.__table__, "after_create", _ddl(_trigger).execute_if(dialect="sqlite"))
