"""Whose rows a unit of work may see: the tenancy rule every repository applies."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Scope:
    """An owner sees their own rows, an admin sees all, nobody sees nothing."""

    owner_id: UUID | None = None
    is_admin: bool = False

    @classmethod
    def admin(cls, user_id: UUID | None = None) -> Scope:
        return cls(owner_id=user_id, is_admin=True)

    @classmethod
    def owner(cls, user_id: UUID) -> Scope:
        return cls(owner_id=user_id)

    @classmethod
    def nobody(cls) -> Scope:
        return cls()

    def may_act_for(self, owner_id: UUID) -> bool:
        return self.is_admin or (self.owner_id is not None and self.owner_id == owner_id)
