"""the inbox order read through an index: (owner_id, coalesce(last_message_at, created_at), id)

The inbox lists an owner's conversations by their latest activity: the last
message's time, or the start for one without messages. The index on that very
expression lets a page of it be read in order instead of sorting every
conversation of the owner. It replaces (owner_id, last_message_at), which no
query used.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 15:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_conversations_owner_id_last_message_at", table_name="conversations")
    op.create_index(
        "ix_conversations_owner_id_activity",
        "conversations",
        ["owner_id", sa.text("coalesce(last_message_at, created_at)"), "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_owner_id_activity", table_name="conversations")
    op.create_index(
        "ix_conversations_owner_id_last_message_at",
        "conversations",
        ["owner_id", "last_message_at"],
    )
