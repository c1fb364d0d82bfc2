"""What assistants remember: memories with their embeddings, the per-conversation
state of a persona's modules, and the owner's settings for both."""

from __future__ import annotations

import enum
from array import array
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import (
    REAL,
    CheckConstraint,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    cast,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator, TypeEngine

from persistence.models.base import Entity, JSONDocument, owned_reference
from persistence.models.enums import checked_enum

# What an owner's embeddings measure unless their settings say otherwise (OpenAI's
# text-embedding-3-small); pgvector's HNSW index takes at most 2000 dimensions.
DEFAULT_EMBEDDING_DIMENSIONS = 1536
MAX_EMBEDDING_DIMENSIONS = 2000


class MemoryType(enum.StrEnum):
    FACT = "fact"
    PREFERENCE = "preference"
    EVENT = "event"
    SUMMARY = "summary"


class Float4Array(TypeDecorator[list[float]]):
    """PostgreSQL's ``real[]``, written and read through explicit casts, so the same
    statements serve a ``real[]`` column and pgvector's ``vector`` (which converts
    from and to ``real[]``): the column may be converted without a code change."""

    impl = ARRAY(REAL())
    cache_ok = True

    def bind_expression(self, bindvalue: Any) -> ColumnElement[Any]:
        return cast(bindvalue, ARRAY(REAL()))

    def column_expression(self, column: Any) -> ColumnElement[Any]:
        return cast(column, ARRAY(REAL()))


class PackedFloat4(TypeDecorator[list[float]]):
    """A vector as little-endian float4 bytes (SQLite): compact, and decoded by
    :mod:`array` without parsing text."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: list[float] | None, dialect: Dialect) -> bytes | None:
        return None if value is None else array("f", value).tobytes()

    def process_result_value(self, value: bytes | None, dialect: Dialect) -> list[float] | None:
        if value is None:
            return None
        decoded = array("f")
        decoded.frombytes(value)
        return decoded.tolist()


def embedding_type() -> TypeEngine[list[float]]:
    return PackedFloat4().with_variant(Float4Array(), "postgresql")


class OwnerSettings(Entity):
    """An owner's settings for what assistants keep: the length of their embeddings
    and how long messages are kept (owners without a row get the defaults)."""

    __tablename__ = "owner_settings"
    __table_args__ = (
        CheckConstraint(
            f"embedding_dimensions BETWEEN 1 AND {MAX_EMBEDDING_DIMENSIONS}",
            name="embedding_dimensions_in_range",
        ),
        CheckConstraint("message_retention_days >= 1", name="message_retention_days_positive"),
    )

    owner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    embedding_dimensions: Mapped[int] = mapped_column(default=DEFAULT_EMBEDDING_DIMENSIONS)
    message_retention_days: Mapped[int | None]


class Memory(Entity):
    """Something an assistant drew from a conversation and may recall later by
    the similarity of its embedding to what is being talked about."""

    __tablename__ = "memories"
    __table_args__ = (
        CheckConstraint("importance >= 0 AND importance <= 1", name="importance_in_range"),
        CheckConstraint("access_count >= 0", name="access_count_non_negative"),
        Index(None, "conversation_id", "created_at", "id"),
        Index(None, "owner_id", "dimensions"),
        *owned_reference("memories", "persona_id", "personas", on_delete="SET NULL"),
        *owned_reference("memories", "conversation_id", "conversations", on_delete="CASCADE"),
    )

    owner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    conversation_id: Mapped[UUID]
    persona_id: Mapped[UUID | None] = mapped_column(index=True)
    first_message_id: Mapped[UUID | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), index=True
    )
    content: Mapped[str] = mapped_column(String(10_000))
    memory_type: Mapped[MemoryType] = mapped_column(checked_enum(MemoryType, "memory_type"))
    importance: Mapped[float] = mapped_column(Float)
    # The vector's length, so that an index (and a search) can take one length at a time.
    dimensions: Mapped[int]
    embedding: Mapped[list[float]] = mapped_column(embedding_type())
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONDocument, default=dict)
    access_count: Mapped[int] = mapped_column(default=0)
    last_accessed_at: Mapped[datetime | None]


class ConversationState(Entity):
    """One key of a module's state in a conversation (which booking step, which
    slots were offered), as JSON with a version that every write moves on."""

    __tablename__ = "conversation_states"
    __table_args__ = (
        # NULLs are distinct in unique constraints: a key without a persona is unique
        # through its own partial index.
        Index(
            "uq_conversation_states_persona_key",
            "conversation_id",
            "persona_id",
            "module_key",
            "key",
            unique=True,
            postgresql_where=text("persona_id IS NOT NULL"),
            sqlite_where=text("persona_id IS NOT NULL"),
        ),
        Index(
            "uq_conversation_states_key",
            "conversation_id",
            "module_key",
            "key",
            unique=True,
            postgresql_where=text("persona_id IS NULL"),
            sqlite_where=text("persona_id IS NULL"),
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        *owned_reference("conversation_states", "persona_id", "personas", on_delete="CASCADE"),
        *owned_reference(
            "conversation_states", "conversation_id", "conversations", on_delete="CASCADE"
        ),
    )

    owner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    conversation_id: Mapped[UUID]
    persona_id: Mapped[UUID | None] = mapped_column(index=True)
    module_key: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(200))
    value: Mapped[Any] = mapped_column(JSONDocument)
    version: Mapped[int] = mapped_column(default=1)
