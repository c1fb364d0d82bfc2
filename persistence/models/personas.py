from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models.base import Entity, owned_reference


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
