"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23 08:31:53.643033+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


NO_OVERLAP = "appointments_no_overlap"

# SQLite serialises writers, so a check before every write is race-free.
SQLITE_OVERLAP_TRIGGER = """
CREATE TRIGGER appointments_no_overlap_{event} BEFORE {event} ON appointments
WHEN NEW.status != 'cancelled' AND EXISTS (
    SELECT 1 FROM appointments AS other
    WHERE other.owner_id = NEW.owner_id
      AND other.id != NEW.id
      AND other.status != 'cancelled'
      AND other.starts_at < NEW.ends_at
      AND NEW.starts_at < other.ends_at
)
BEGIN
    SELECT RAISE(ABORT, 'appointments_no_overlap');
END
"""


def upgrade() -> None:
    dialect = op.get_context().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("username", sa.String(length=50), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column("hashed_password", sa.String(length=255), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "admin", "member", name="role", native_enum=False, create_constraint=True, length=20
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(email) <= 320", name=op.f("ck_users_email_length")),
        sa.CheckConstraint("length(full_name) <= 200", name=op.f("ck_users_full_name_length")),
        sa.CheckConstraint(
            "length(hashed_password) <= 255", name=op.f("ck_users_hashed_password_length")
        ),
        sa.CheckConstraint("length(username) <= 50", name=op.f("ck_users_username_length")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "customers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "telegram",
                "web",
                "whatsapp",
                "instagram",
                "messenger",
                "sms",
                "email",
                "voice",
                name="channel",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=True),
        sa.Column("first_name", sa.String(length=100), nullable=True),
        sa.Column("last_name", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(email) <= 320", name=op.f("ck_customers_email_length")),
        sa.CheckConstraint(
            "length(external_id) <= 255", name=op.f("ck_customers_external_id_length")
        ),
        sa.CheckConstraint(
            "length(first_name) <= 100", name=op.f("ck_customers_first_name_length")
        ),
        sa.CheckConstraint("length(last_name) <= 100", name=op.f("ck_customers_last_name_length")),
        sa.CheckConstraint("length(phone) <= 32", name=op.f("ck_customers_phone_length")),
        sa.CheckConstraint("length(username) <= 100", name=op.f("ck_customers_username_length")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_customers_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint(
            "owner_id",
            "channel",
            "external_id",
            name=op.f("uq_customers_owner_id_channel_external_id"),
        ),
    )
    op.create_table(
        "files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=512), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "length(content_type) <= 255", name=op.f("ck_files_content_type_length")
        ),
        sa.CheckConstraint("length(filename) <= 255", name=op.f("ck_files_filename_length")),
        sa.CheckConstraint("length(sha256) <= 64", name=op.f("ck_files_sha256_length")),
        sa.CheckConstraint("length(storage_key) <= 512", name=op.f("ck_files_storage_key_length")),
        sa.CheckConstraint("size_bytes >= 0", name=op.f("ck_files_size_non_negative")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_files_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
        sa.UniqueConstraint("storage_key", name=op.f("uq_files_storage_key")),
    )
    op.create_index(op.f("ix_files_owner_id"), "files", ["owner_id"], unique=False)
    op.create_table(
        "personas",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=True),
        sa.Column("system_prompt", sa.String(length=20000), nullable=False),
        sa.Column("first_message", sa.String(length=4000), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column(
            "ai_settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "voice_settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "length(description) <= 2000", name=op.f("ck_personas_description_length")
        ),
        sa.CheckConstraint(
            "length(first_message) <= 4000", name=op.f("ck_personas_first_message_length")
        ),
        sa.CheckConstraint("length(name) <= 100", name=op.f("ck_personas_name_length")),
        sa.CheckConstraint(
            "length(system_prompt) <= 20000", name=op.f("ck_personas_system_prompt_length")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_personas_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personas")),
        sa.UniqueConstraint("owner_id", "name", name=op.f("uq_personas_owner_id_name")),
    )
    op.create_table(
        "appointments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("persona_id", sa.Uuid(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirmed",
                "cancelled",
                "completed",
                name="appointment_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.String(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "duration_minutes > 0 AND duration_minutes <= 1440",
            name=op.f("ck_appointments_duration_in_range"),
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_appointments_ends_after_start")),
        sa.CheckConstraint("length(notes) <= 2000", name=op.f("ck_appointments_notes_length")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_appointments_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_appointments_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["persona_id"],
            ["personas.id"],
            name=op.f("fk_appointments_persona_id_personas"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointments")),
    )
    if dialect == "postgresql":
        op.execute(
            f"ALTER TABLE appointments ADD CONSTRAINT {NO_OVERLAP} EXCLUDE USING gist "
            "(owner_id WITH =, tstzrange(starts_at, ends_at) WITH &&) "
            "WHERE (status <> 'cancelled')"
        )
    else:
        for event in ("INSERT", "UPDATE"):
            op.execute(SQLITE_OVERLAP_TRIGGER.format(event=event))
    op.create_index(
        op.f("ix_appointments_customer_id"), "appointments", ["customer_id"], unique=False
    )
    op.create_index(
        op.f("ix_appointments_owner_id_starts_at"),
        "appointments",
        ["owner_id", "starts_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_appointments_persona_id"), "appointments", ["persona_id"], unique=False
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("persona_id", sa.Uuid(), nullable=True),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("provider_type", sa.String(length=50), nullable=True),
        sa.Column(
            "provider_config",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "length(provider_type) <= 50", name=op.f("ck_conversations_provider_type_length")
        ),
        sa.CheckConstraint("length(title) <= 200", name=op.f("ck_conversations_title_length")),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_conversations_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_conversations_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["persona_id"],
            ["personas.id"],
            name=op.f("fk_conversations_persona_id_personas"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
    )
    op.create_index(
        op.f("ix_conversations_customer_id"), "conversations", ["customer_id"], unique=False
    )
    op.create_index(
        op.f("ix_conversations_owner_id_last_message_at"),
        "conversations",
        ["owner_id", "last_message_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_conversations_persona_id"), "conversations", ["persona_id"], unique=False
    )
    op.create_table(
        "messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "user",
                "assistant",
                "system",
                "tool",
                name="message_role",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("content", sa.String(length=100000), nullable=False),
        sa.Column("thinking", sa.String(length=100000), nullable=True),
        sa.Column(
            "extra_data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("input_tokens", sa.Integer(), nullable=True),
        sa.Column("output_tokens", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("input_tokens >= 0", name=op.f("ck_messages_input_tokens_non_negative")),
        sa.CheckConstraint("length(content) <= 100000", name=op.f("ck_messages_content_length")),
        sa.CheckConstraint("length(thinking) <= 100000", name=op.f("ck_messages_thinking_length")),
        sa.CheckConstraint(
            "output_tokens >= 0", name=op.f("ck_messages_output_tokens_non_negative")
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_messages_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index(
        op.f("ix_messages_conversation_id_created_at_id"),
        "messages",
        ["conversation_id", "created_at", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_messages_conversation_id_created_at_id"), table_name="messages")
    op.drop_table("messages")
    op.drop_index(op.f("ix_conversations_persona_id"), table_name="conversations")
    op.drop_index(op.f("ix_conversations_owner_id_last_message_at"), table_name="conversations")
    op.drop_index(op.f("ix_conversations_customer_id"), table_name="conversations")
    op.drop_table("conversations")
    op.drop_index(op.f("ix_appointments_persona_id"), table_name="appointments")
    op.drop_index(op.f("ix_appointments_owner_id_starts_at"), table_name="appointments")
    op.drop_index(op.f("ix_appointments_customer_id"), table_name="appointments")
    if op.get_context().dialect.name == "sqlite":
        for event in ("INSERT", "UPDATE"):
            op.execute(f"DROP TRIGGER IF EXISTS appointments_no_overlap_{event}")
    op.drop_table("appointments")
    op.drop_table("personas")
    op.drop_index(op.f("ix_files_owner_id"), table_name="files")
    op.drop_table("files")
    op.drop_table("customers")
    op.drop_table("users")
