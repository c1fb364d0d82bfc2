"""memories and conversation state stay with their conversation's owner

``(owner_id, conversation_id)`` of ``memories`` and ``conversation_states``
references ``conversations(owner_id, id)`` (through a unique index on it), as
conversations and appointments reference personas and customers since 0003:
the database refuses a memory or a state key whose owner is not its
conversation's, whoever writes it. Deleting a conversation still deletes them.

Rows that already link across owners (none can be made through the API) are
deleted: they belong to nobody coherent.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 17:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("memories", "conversation_states")
OWNER_ID_INDEX = "uq_conversations_owner_id_id"
# SQLite's rebuild reflects the table alone: reflecting conversations too would
# skip (and warn about) its expression index.
NO_REFERRED = {"resolve_fks": False}


def _plain(table: str) -> str:
    return f"fk_{table}_conversation_id_conversations"


def _composite(table: str) -> str:
    return f"fk_{table}_owner_conversation_id_conversations"


def upgrade() -> None:
    for table in TABLES:
        op.execute(
            f"DELETE FROM {table} WHERE NOT EXISTS (SELECT 1 FROM conversations "
            f"WHERE conversations.id = {table}.conversation_id "
            f"AND conversations.owner_id = {table}.owner_id)"
        )
    # An index, not a constraint: SQLite would rebuild the table for a constraint, and
    # its expression index (the inbox order) cannot be carried through a rebuild.
    op.create_index(OWNER_ID_INDEX, "conversations", ["owner_id", "id"], unique=True)
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres:
            op.drop_constraint(_plain(table), table, type_="foreignkey")
            op.create_foreign_key(
                _composite(table),
                table,
                "conversations",
                ["owner_id", "conversation_id"],
                ["owner_id", "id"],
                ondelete="CASCADE",
            )
            continue
        with op.batch_alter_table(table, recreate="always", reflect_kwargs=NO_REFERRED) as batch:
            batch.drop_constraint(_plain(table), type_="foreignkey")
            batch.create_foreign_key(
                _composite(table),
                "conversations",
                ["owner_id", "conversation_id"],
                ["owner_id", "id"],
                ondelete="CASCADE",
            )


def downgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        if postgres:
            op.drop_constraint(_composite(table), table, type_="foreignkey")
            op.create_foreign_key(
                _plain(table),
                table,
                "conversations",
                ["conversation_id"],
                ["id"],
                ondelete="CASCADE",
            )
            continue
        with op.batch_alter_table(table, recreate="always", reflect_kwargs=NO_REFERRED) as batch:
            batch.drop_constraint(_composite(table), type_="foreignkey")
            batch.create_foreign_key(
                _plain(table), "conversations", ["conversation_id"], ["id"], ondelete="CASCADE"
            )
    op.drop_index(OWNER_ID_INDEX, table_name="conversations")
