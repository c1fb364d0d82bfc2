"""a persona's conversations read in the inbox order through an index

The deep read lists, per persona, its latest conversations: the owner's
conversations of that persona by ``coalesce(last_message_at, created_at)``,
newest first. Through ``ix_conversations_persona_id`` PostgreSQL read every
conversation of each persona (200 at the benchmark's size) and sorted them for
the 11 it keeps; through ``(owner_id, persona_id, activity, id)`` it reads those
11 in order. On the benchmark database the loader path's statement for those
pages went from 0.62 ms to 0.06 ms (460 buffers read to 62), and the compiled
deep read from 7.7 ms to 7.2 ms (984 buffers to 568; the rest of its time is
writing 2,000 messages as JSON).

``ix_conversations_persona_id`` stays: an admin's reads of a persona's
conversations have no owner to lead with.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 11:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_conversations_owner_id_persona_id_activity",
        "conversations",
        ["owner_id", "persona_id", sa.text("coalesce(last_message_at, created_at)"), "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_conversations_owner_id_persona_id_activity", table_name="conversations")
