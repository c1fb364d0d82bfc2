from __future__ import annotations

import enum
from typing import Any
from uuid import UUID

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models.base import Entity, owned_reference
from persistence.models.enums import checked_enum


def default_ai_settings() -> dict[str, Any]:
    return {"model": "gpt-4o-mini", "temperature": 0.7, "max_tokens": 1024}


def default_voice_settings() -> dict[str, Any]:
    return {"voice": "alloy", "language": "en", "speed": 1.0}


class Persona(Entity):
    """An assistant persona an operator runs on their channels."""

    __tablename__ = "personas"
    __table_args__ = (
        UniqueConstraint("owner_id", "name"),
        # What rows of the same owner reference (see models.base.owned_reference).
        UniqueConstraint("owner_id", "id"),
        *owned_reference("personas", "avatar_file_id", "files", on_delete="SET NULL"),
    )

    owner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(2000))
    system_prompt: Mapped[str] = mapped_column(String(20_000))
    first_message: Mapped[str | None] = mapped_column(String(4000))
    is_active: Mapped[bool] = mapped_column(default=True)
    ai_settings: Mapped[dict[str, Any]] = mapped_column(default=default_ai_settings)
    voice_settings: Mapped[dict[str, Any]] = mapped_column(default=default_voice_settings)
    avatar_file_id: Mapped[UUID | None] = mapped_column(index=True)
    # How the assistants of the seeds run a persona: its mode (e.g. "assistant",
    # "companion"), how often its proactive loop runs (e.g. "daily"), and for a
    # companion the relation it plays (friend, mentor, ...). Free vocabularies.
    mode: Mapped[str | None] = mapped_column(String(50))
    loop_frequency: Mapped[str | None] = mapped_column(String(50))
    relation_type: Mapped[str | None] = mapped_column(String(50))


class ExecutionContext(enum.StrEnum):
    """When a persona module runs relative to the assistant's reply."""

    IMMEDIATE = "immediate"
    POST_RESPONSE = "post_response"
    ON_DEMAND = "on_demand"


class PersonaModule(Entity):
    """One module of a persona's pipeline: what triggers it, when it runs relative
    to the reply, and in which order (lower stage priority first)."""

    __tablename__ = "persona_modules"
    __table_args__ = (
        UniqueConstraint("persona_id", "name"),
        Index(None, "persona_id", "stage_priority"),
        CheckConstraint("stage_priority BETWEEN 0 AND 10000", name="stage_priority_in_range"),
        *owned_reference("persona_modules", "persona_id", "personas", on_delete="CASCADE"),
    )

    owner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    persona_id: Mapped[UUID]
    name: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(50))
    trigger_pattern: Mapped[str | None] = mapped_column(String(1000))
    content: Mapped[str | None] = mapped_column(String(20_000))
    script: Mapped[str | None] = mapped_column(String(20_000))
    execution_context: Mapped[ExecutionContext] = mapped_column(
        checked_enum(ExecutionContext, "execution_context"), default=ExecutionContext.IMMEDIATE
    )
    requires_ai_inference: Mapped[bool] = mapped_column(default=False)
    stage_priority: Mapped[int] = mapped_column(default=100)
    is_active: Mapped[bool] = mapped_column(default=True)
