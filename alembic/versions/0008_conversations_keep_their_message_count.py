"""conversations keep their message count: conversations.message_count

The inbox shows each conversation's number of messages. Counting them per
row cost the whole inbox read's time in PostgreSQL (2.56 ms per request at
the benchmark's size, 6.39 ms at ten times the messages) and grew with the
messages. The count is now stored with the conversation and kept by every
writer of messages in the transaction that writes them
(``MessageRepository.append`` and ``delete_ids``), so reading it costs the
same whatever a conversation holds.

The upgrade counts the messages already there in one statement. A column
with a constant default is added without rewriting the table on PostgreSQL
and with a plain ``ALTER TABLE`` on SQLite (no rebuild, which would lose the
inbox's expression index); SQLite drops it the same way (3.35 and later).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 10:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "conversations",
        sa.Column("message_count", sa.Integer(), nullable=False, server_default=sa.text("0")),
    )
    op.execute(
        "UPDATE conversations SET message_count = (SELECT count(*) FROM messages "
        "WHERE messages.conversation_id = conversations.id)"
    )


def downgrade() -> None:
    op.drop_column("conversations", "message_count")
