from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column, validates

from persistence.models.base import Entity
from persistence.models.enums import Role, checked_enum


class User(Entity):
    """An operator: owns personas, customers, conversations, appointments and files."""

    __tablename__ = "users"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    hashed_password: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    role: Mapped[Role] = mapped_column(checked_enum(Role, "role"), default=Role.MEMBER)

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        # Every write path stores it lower-case, so uniqueness ignores case.
        return value.strip().lower()

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN
