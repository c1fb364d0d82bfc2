"""references stay within one owner: (owner_id, x_id) foreign keys

Conversations and appointments point at personas and customers through
``(owner_id, persona_id)`` and ``(owner_id, customer_id)``, which reference
``(owner_id, id)``: the database refuses a link from one owner's row to another
owner's persona or customer, whoever writes it. Deleting a persona still only
clears ``persona_id``: PostgreSQL says so in the key (``SET NULL (persona_id)``);
SQLite keeps a plain key on ``persona_id`` for that and checks the composite one.

Rows that already link across owners (an admin could create them before) lose
the foreign link: their persona or customer reference is cleared.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 12:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, parent, on delete, nullable)
REFERENCES = (
    ("conversations", "persona_id", "personas", "SET NULL", True),
    ("conversations", "customer_id", "customers", "CASCADE", True),
    ("appointments", "persona_id", "personas", "SET NULL", True),
    ("appointments", "customer_id", "customers", "CASCADE", False),
)

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


def _composite(table: str, column: str, parent: str) -> str:
    return f"fk_{table}_owner_{column}_{parent}"


def _plain(table: str, column: str, parent: str) -> str:
    return f"fk_{table}_{column}_{parent}"


def _unlink_across_owners() -> None:
    for table, column, parent, _, nullable in REFERENCES:
        foreign = (
            f"{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {parent} "
            f"WHERE {parent}.id = {table}.{column} AND {parent}.owner_id = {table}.owner_id)"
        )
        if nullable:
            op.execute(f"UPDATE {table} SET {column} = NULL WHERE {foreign}")
        else:  # an appointment's owner is its customer's: nothing of the kind can exist
            op.execute(f"DELETE FROM {table} WHERE {foreign}")


def upgrade() -> None:
    _unlink_across_owners()
    for parent in ("personas", "customers"):
        with op.batch_alter_table(parent) as batch:
            batch.create_unique_constraint(f"uq_{parent}_owner_id_id", ["owner_id", "id"])
    if op.get_bind().dialect.name == "postgresql":
        for table, column, parent, on_delete, _ in REFERENCES:
            op.drop_constraint(_plain(table, column, parent), table, type_="foreignkey")
            op.create_foreign_key(
                _composite(table, column, parent),
                table,
                parent,
                ["owner_id", column],
                ["owner_id", "id"],
                ondelete=f"SET NULL ({column})" if on_delete == "SET NULL" else on_delete,
            )
        return
    for table in ("conversations", "appointments"):
        with op.batch_alter_table(table, recreate="always") as batch:
            for other, column, parent, on_delete, _ in REFERENCES:
                if other != table:
                    continue
                if on_delete == "CASCADE":  # the composite key cascades; the plain one goes
                    batch.drop_constraint(_plain(table, column, parent), type_="foreignkey")
                batch.create_foreign_key(
                    _composite(table, column, parent),
                    parent,
                    ["owner_id", column],
                    ["owner_id", "id"],
                    ondelete="CASCADE" if on_delete == "CASCADE" else None,
                )
    _recreate_sqlite_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, column, parent, on_delete, _ in REFERENCES:
            op.drop_constraint(_composite(table, column, parent), table, type_="foreignkey")
            op.create_foreign_key(
                _plain(table, column, parent),
                table,
                parent,
                [column],
                ["id"],
                ondelete=on_delete,
            )
    else:
        for table in ("conversations", "appointments"):
            with op.batch_alter_table(table, recreate="always") as batch:
                for other, column, parent, on_delete, _ in REFERENCES:
                    if other != table:
                        continue
                    batch.drop_constraint(_composite(table, column, parent), type_="foreignkey")
                    if on_delete == "CASCADE":
                        batch.create_foreign_key(
                            _plain(table, column, parent),
                            parent,
                            [column],
                            ["id"],
                            ondelete="CASCADE",
                        )
        _recreate_sqlite_triggers()
    for parent in ("personas", "customers"):
        with op.batch_alter_table(parent) as batch:
            batch.drop_constraint(f"uq_{parent}_owner_id_id", type_="unique")


def _recreate_sqlite_triggers() -> None:
    # Rebuilding the appointments table dropped its overlap triggers.
    for event in ("INSERT", "UPDATE"):
        op.execute(f"DROP TRIGGER IF EXISTS appointments_no_overlap_{event}")
        op.execute(SQLITE_OVERLAP_TRIGGER.format(event=event))
