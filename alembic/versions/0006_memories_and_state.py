"""memories, conversation state, persona modules, owner settings, persona fields

Memories keep their embedding as ``real[]`` on PostgreSQL and as float4 bytes
on SQLite. Where the database has pgvector installed (``CREATE EXTENSION
vector``), the column becomes pgvector's ``vector`` and an HNSW index (cosine)
serves searches over embeddings of the default length, 1536; without it the
same API searches exactly. A database that gets pgvector later is converted by
``concierge vectors enable`` (the same steps as here).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 14:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
EMBEDDING = sa.LargeBinary().with_variant(postgresql.ARRAY(sa.REAL()), "postgresql")
PERSONA_FIELDS = ("mode", "loop_frequency", "relation_type")
HNSW_DIMENSIONS = 1536


def _timestamps() -> list[sa.Column]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=20)


def _length(table: str, column: str, maximum: int) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"length({column}) <= {maximum}", name=f"ck_{table}_{column}_length")


def _owner(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=f"fk_{table}_owner_id_users", ondelete="CASCADE"
        ),
    ]


def _persona_reference(table: str, on_delete: str) -> list[sa.ForeignKeyConstraint]:
    """(owner_id, persona_id) → personas(owner_id, id), as models.base.owned_reference."""
    postgres = op.get_bind().dialect.name == "postgresql"
    composite = f"fk_{table}_owner_persona_id_personas"
    if on_delete == "CASCADE":
        return [
            sa.ForeignKeyConstraint(
                ["owner_id", "persona_id"],
                ["personas.owner_id", "personas.id"],
                name=composite,
                ondelete="CASCADE",
            )
        ]
    if postgres:
        return [
            sa.ForeignKeyConstraint(
                ["owner_id", "persona_id"],
                ["personas.owner_id", "personas.id"],
                name=composite,
                ondelete="SET NULL (persona_id)",
            )
        ]
    return [
        sa.ForeignKeyConstraint(
            ["owner_id", "persona_id"], ["personas.owner_id", "personas.id"], name=composite
        ),
        sa.ForeignKeyConstraint(
            ["persona_id"],
            ["personas.id"],
            name=f"fk_{table}_persona_id_personas",
            ondelete="SET NULL",
        ),
    ]


def _has_pgvector() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    found = bind.exec_driver_sql("SELECT 1 FROM pg_extension WHERE extname = 'vector'").first()
    return found is not None


def upgrade() -> None:
    with op.batch_alter_table("personas") as batch:
        for name in PERSONA_FIELDS:
            batch.add_column(sa.Column(name, sa.String(length=50), nullable=True))
            batch.create_check_constraint(f"ck_personas_{name}_length", f"length({name}) <= 50")

    op.create_table(
        "owner_settings",
        sa.Column("id", sa.Uuid(), nullable=False),
        *_owner("owner_settings"),
        sa.Column("embedding_dimensions", sa.Integer(), nullable=False),
        sa.Column("message_retention_days", sa.Integer(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "embedding_dimensions BETWEEN 1 AND 2000",
            name="ck_owner_settings_embedding_dimensions_in_range",
        ),
        sa.CheckConstraint(
            "message_retention_days >= 1",
            name="ck_owner_settings_message_retention_days_positive",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_owner_settings"),
        sa.UniqueConstraint("owner_id", name="uq_owner_settings_owner_id"),
    )

    op.create_table(
        "persona_modules",
        sa.Column("id", sa.Uuid(), nullable=False),
        *_owner("persona_modules"),
        sa.Column("persona_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("type", sa.String(length=50), nullable=False),
        sa.Column("trigger_pattern", sa.String(length=1000), nullable=True),
        sa.Column("content", sa.String(length=20000), nullable=True),
        sa.Column("script", sa.String(length=20000), nullable=True),
        sa.Column(
            "execution_context",
            _enum("execution_context", "immediate", "post_response", "on_demand"),
            nullable=False,
        ),
        sa.Column("requires_ai_inference", sa.Boolean(), nullable=False),
        sa.Column("stage_priority", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "stage_priority BETWEEN 0 AND 10000", name="ck_persona_modules_stage_priority_in_range"
        ),
        _length("persona_modules", "name", 100),
        _length("persona_modules", "type", 50),
        _length("persona_modules", "trigger_pattern", 1000),
        _length("persona_modules", "content", 20000),
        _length("persona_modules", "script", 20000),
        *_persona_reference("persona_modules", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_persona_modules"),
        sa.UniqueConstraint("persona_id", "name", name="uq_persona_modules_persona_id_name"),
    )
    op.create_index(
        "ix_persona_modules_persona_id_stage_priority",
        "persona_modules",
        ["persona_id", "stage_priority"],
    )

    op.create_table(
        "conversation_states",
        sa.Column("id", sa.Uuid(), nullable=False),
        *_owner("conversation_states"),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("persona_id", sa.Uuid(), nullable=True),
        sa.Column("module_key", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", JSON, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        *_timestamps(),
        sa.CheckConstraint("version >= 1", name="ck_conversation_states_version_positive"),
        _length("conversation_states", "module_key", 100),
        _length("conversation_states", "key", 200),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_conversation_states_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        *_persona_reference("conversation_states", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_conversation_states"),
    )
    op.create_index("ix_conversation_states_persona_id", "conversation_states", ["persona_id"])
    op.create_index(
        "uq_conversation_states_persona_key",
        "conversation_states",
        ["conversation_id", "persona_id", "module_key", "key"],
        unique=True,
        postgresql_where=sa.text("persona_id IS NOT NULL"),
        sqlite_where=sa.text("persona_id IS NOT NULL"),
    )
    op.create_index(
        "uq_conversation_states_key",
        "conversation_states",
        ["conversation_id", "module_key", "key"],
        unique=True,
        postgresql_where=sa.text("persona_id IS NULL"),
        sqlite_where=sa.text("persona_id IS NULL"),
    )

    op.create_table(
        "memories",
        sa.Column("id", sa.Uuid(), nullable=False),
        *_owner("memories"),
        sa.Column("conversation_id", sa.Uuid(), nullable=False),
        sa.Column("persona_id", sa.Uuid(), nullable=True),
        sa.Column("first_message_id", sa.Uuid(), nullable=True),
        sa.Column("content", sa.String(length=10000), nullable=False),
        sa.Column(
            "memory_type",
            _enum("memory_type", "fact", "preference", "event", "summary"),
            nullable=False,
        ),
        sa.Column("importance", sa.Float(), nullable=False),
        sa.Column("dimensions", sa.Integer(), nullable=False),
        sa.Column("embedding", EMBEDDING, nullable=False),
        sa.Column("metadata", JSON, nullable=False),
        sa.Column("access_count", sa.Integer(), nullable=False),
        sa.Column("last_accessed_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "importance >= 0 AND importance <= 1", name="ck_memories_importance_in_range"
        ),
        sa.CheckConstraint("access_count >= 0", name="ck_memories_access_count_non_negative"),
        _length("memories", "content", 10000),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name="fk_memories_conversation_id_conversations",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["first_message_id"],
            ["messages.id"],
            name="fk_memories_first_message_id_messages",
            ondelete="SET NULL",
        ),
        *_persona_reference("memories", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_memories"),
    )
    op.create_index(
        "ix_memories_conversation_id_created_at_id",
        "memories",
        ["conversation_id", "created_at", "id"],
    )
    op.create_index("ix_memories_owner_id_dimensions", "memories", ["owner_id", "dimensions"])
    op.create_index("ix_memories_persona_id", "memories", ["persona_id"])
    op.create_index("ix_memories_first_message_id", "memories", ["first_message_id"])
    if _has_pgvector():
        op.execute(
            "ALTER TABLE memories ALTER COLUMN embedding TYPE vector USING embedding::vector"
        )
        op.execute(
            f"CREATE INDEX ix_memories_embedding_hnsw_{HNSW_DIMENSIONS} ON memories "
            f"USING hnsw ((embedding::vector({HNSW_DIMENSIONS})) vector_cosine_ops) "
            f"WHERE dimensions = {HNSW_DIMENSIONS}"
        )


def downgrade() -> None:
    # The HNSW index, if any, goes with its table; the extension stays (others may use it).
    op.drop_table("memories")
    op.drop_table("conversation_states")
    op.drop_table("persona_modules")
    op.drop_table("owner_settings")
    with op.batch_alter_table("personas") as batch:
        for name in PERSONA_FIELDS:
            batch.drop_constraint(f"ck_personas_{name}_length", type_="check")
            batch.drop_column(name)
