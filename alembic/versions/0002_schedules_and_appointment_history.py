"""schedules and appointment history

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:33:41.281658+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _status_enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("slot_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_minutes", sa.Integer(), nullable=False),
        sa.Column("notice_minutes", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "buffer_minutes BETWEEN 0 AND 1440", name=op.f("ck_schedules_buffer_minutes_in_range")
        ),
        sa.CheckConstraint(
            "horizon_days BETWEEN 1 AND 730", name=op.f("ck_schedules_horizon_days_in_range")
        ),
        sa.CheckConstraint("length(timezone) <= 64", name=op.f("ck_schedules_timezone_length")),
        sa.CheckConstraint(
            "notice_minutes BETWEEN 0 AND 525600",
            name=op.f("ck_schedules_notice_minutes_in_range"),
        ),
        sa.CheckConstraint(
            "slot_minutes BETWEEN 5 AND 1440", name=op.f("ck_schedules_slot_minutes_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_schedules_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
        sa.UniqueConstraint("owner_id", name=op.f("uq_schedules_owner_id")),
    )
    op.create_table(
        "opening_hours",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("start_minute", sa.SmallInteger(), nullable=False),
        sa.Column("end_minute", sa.SmallInteger(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
            name=op.f("ck_opening_hours_range_in_day"),
        ),
        sa.CheckConstraint(
            "weekday BETWEEN 0 AND 6", name=op.f("ck_opening_hours_weekday_in_range")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["schedules.owner_id"],
            name=op.f("fk_opening_hours_owner_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opening_hours")),
    )
    op.create_index(
        op.f("ix_opening_hours_owner_id_weekday"), "opening_hours", ["owner_id", "weekday"]
    )
    op.create_table(
        "schedule_exceptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column(
            "hours",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=200), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("length(note) <= 200", name=op.f("ck_schedule_exceptions_note_length")),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["schedules.owner_id"],
            name=op.f("fk_schedule_exceptions_owner_id_schedules"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_exceptions")),
        sa.UniqueConstraint(
            "owner_id", "on_date", name=op.f("uq_schedule_exceptions_owner_id_on_date")
        ),
    )
    op.create_table(
        "appointment_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("appointment_id", sa.Uuid(), nullable=False),
        sa.Column(
            "change",
            _status_enum(
                "appointment_change", "booked", "confirmed", "completed", "cancelled", "rescheduled"
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            _status_enum("appointment_status", "pending", "confirmed", "cancelled", "completed"),
            nullable=False,
        ),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("previous_starts_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_appointment_events_appointment_id_appointments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_events")),
    )
    op.create_index(
        op.f("ix_appointment_events_appointment_id_created_at_id"),
        "appointment_events",
        ["appointment_id", "created_at", "id"],
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_appointment_events_appointment_id_created_at_id"),
        table_name="appointment_events",
    )
    op.drop_table("appointment_events")
    op.drop_table("schedule_exceptions")
    op.drop_index(op.f("ix_opening_hours_owner_id_weekday"), table_name="opening_hours")
    op.drop_table("opening_hours")
    op.drop_table("schedules")
