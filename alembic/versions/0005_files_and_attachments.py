"""files and attachments: content-addressed blobs, message attachments, persona avatars

A file's ``storage_key`` is now its content address (sha256), which rows of
equal content share: its unique constraint becomes a plain index (used to
tell whether a blob is still referenced). Files gain ``(owner_id, id)`` so
rows of the same owner can reference them: ``message_files`` (a message's
attachments, in order) and ``personas.avatar_file_id`` (cleared when the
file is deleted).

Downgrading makes shared keys unique again by suffixing all but the first
row's key with ``#<id>``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 16:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AVATAR_COMPOSITE = "fk_personas_owner_avatar_file_id_files"
AVATAR_PLAIN = "fk_personas_avatar_file_id_files"


def upgrade() -> None:
    with op.batch_alter_table("files") as batch:
        batch.drop_constraint("uq_files_storage_key", type_="unique")
        batch.create_unique_constraint("uq_files_owner_id_id", ["owner_id", "id"])
        batch.create_index("ix_files_storage_key", ["storage_key"])

    op.create_table(
        "message_files",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("message_id", sa.Uuid(), nullable=False),
        sa.Column("file_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name="fk_message_files_owner_id_users",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name="fk_message_files_message_id_messages",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id", "file_id"],
            ["files.owner_id", "files.id"],
            name="fk_message_files_owner_file_id_files",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_message_files"),
        sa.UniqueConstraint("message_id", "file_id", name="uq_message_files_message_id_file_id"),
    )
    op.create_index("ix_message_files_file_id", "message_files", ["file_id"])

    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("personas", recreate="auto" if postgres else "always") as batch:
        batch.add_column(sa.Column("avatar_file_id", sa.Uuid(), nullable=True))
        batch.create_index("ix_personas_avatar_file_id", ["avatar_file_id"])
        batch.create_foreign_key(
            AVATAR_COMPOSITE,
            "files",
            ["owner_id", "avatar_file_id"],
            ["owner_id", "id"],
            # PostgreSQL clears the column alone; SQLite would clear the owner too,
            # so there the composite key only checks and a plain key clears.
            ondelete="SET NULL (avatar_file_id)" if postgres else None,
        )
        if not postgres:
            batch.create_foreign_key(
                AVATAR_PLAIN, "files", ["avatar_file_id"], ["id"], ondelete="SET NULL"
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("personas", recreate="auto" if postgres else "always") as batch:
        if not postgres:
            batch.drop_constraint(AVATAR_PLAIN, type_="foreignkey")
        batch.drop_constraint(AVATAR_COMPOSITE, type_="foreignkey")
        batch.drop_index("ix_personas_avatar_file_id")
        batch.drop_column("avatar_file_id")

    op.drop_index("ix_message_files_file_id", table_name="message_files")
    op.drop_table("message_files")

    op.execute(
        "UPDATE files SET storage_key = storage_key || '#' || CAST(id AS TEXT) "
        "WHERE EXISTS (SELECT 1 FROM files AS other "
        "WHERE other.storage_key = files.storage_key AND other.id < files.id)"
    )
    with op.batch_alter_table("files") as batch:
        batch.drop_index("ix_files_storage_key")
        batch.drop_constraint("uq_files_owner_id_id", type_="unique")
        batch.create_unique_constraint("uq_files_storage_key", ["storage_key"])
