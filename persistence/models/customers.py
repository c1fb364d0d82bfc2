from __future__ import annotations

from uuid import UUID

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from persistence.models.base import Entity
from persistence.models.enums import Channel, checked_enum


class Customer(Entity):
    """Someone an operator's personas talk with, known by their id on one channel."""

    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("owner_id", "channel", "external_id"),
        # What rows of the same owner reference (see models.base.owned_reference).
        UniqueConstraint("owner_id", "id"),
    )

    owner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[Channel] = mapped_column(checked_enum(Channel, "channel"))
    external_id: Mapped[str] = mapped_column(String(255))
    username: Mapped[str | None] = mapped_column(String(100))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(320))
