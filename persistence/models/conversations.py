from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models.base import Entity, owned_reference
from persistence.models.enums import MessageRole, checked_enum


class Conversation(Entity):
    """A thread between one persona and one customer."""

    __tablename__ = "conversations"
    __table_args__ = (
        # The inbox order (latest activity first, by owner), read through the index.
        Index(
            "ix_conversations_owner_id_activity",
            "owner_id",
            text("coalesce(last_message_at, created_at)"),
            "id",
        ),
        # A persona's conversations in that order (each persona's page of a deep read).
        Index(
            "ix_conversations_owner_id_persona_id_activity",
            "owner_id",
            "persona_id",
            text("coalesce(last_message_at, created_at)"),
            "id",
        ),
        *owned_reference("conversations", "persona_id", "personas", on_delete="SET NULL"),
        *owned_reference("conversations", "customer_id", "customers", on_delete="CASCADE"),
        # What memories and state reference (see models.base.owned_reference); an index
        # rather than a constraint (migration 0007 says why).
        Index("uq_conversations_owner_id_id", "owner_id", "id", unique=True),
    )

    owner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    persona_id: Mapped[UUID | None] = mapped_column(index=True)
    customer_id: Mapped[UUID | None] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(200))
    provider_type: Mapped[str | None] = mapped_column(String(50))
    provider_config: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_message_at: Mapped[datetime | None]
    # How many messages it has, kept by every writer of messages in the same
    # transaction (MessageRepository): the inbox reads it instead of counting.
    message_count: Mapped[int] = mapped_column(default=0, server_default=text("0"))


class Message(Entity):
    """One turn of a conversation."""

    __tablename__ = "messages"
    __table_args__ = (
        Index(None, "conversation_id", "created_at", "id"),
        CheckConstraint("input_tokens >= 0", name="input_tokens_non_negative"),
        CheckConstraint("output_tokens >= 0", name="output_tokens_non_negative"),
    )

    conversation_id: Mapped[UUID] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE")
    )
    role: Mapped[MessageRole] = mapped_column(checked_enum(MessageRole, "message_role"))
    content: Mapped[str] = mapped_column(String(100_000))
    thinking: Mapped[str | None] = mapped_column(String(100_000))
    extra_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    input_tokens: Mapped[int | None]
    output_tokens: Mapped[int | None]
