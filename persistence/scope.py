"""Whose rows a unit of work may see: the tenancy rule, written once, that every
repository query applies."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, false


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

    def condition(self, owner: Any, value: Any = None) -> ColumnElement[bool] | None:
        """The tenancy predicate over the column (or expression) holding a row's
        owner: ``None`` when every row is visible (an admin), nothing visible
        without an owner, else the owner's rows. ``value`` stands for the owner's
        id where a statement binds it later (compiled reads)."""
        if self.is_admin:
            return None
        if self.owner_id is None:
            return false()
        return owner == (self.owner_id if value is None else value)  # type: ignore[no-any-return]

    def may_act_for(self, owner_id: UUID) -> bool:
        """The same rule for one known owner, before anything is written."""
        return self.is_admin or (self.owner_id is not None and self.owner_id == owner_id)


class ScopeKind(enum.Enum):
    """What a statement built once for many scopes depends on: whether it checks
    an owner (bound when it runs), nobody's rows or none."""

    ADMIN = "admin"
    OWNER = "owner"
    NOBODY = "nobody"

    @classmethod
    def of(cls, scope: Scope) -> ScopeKind:
        if scope.is_admin:
            return cls.ADMIN
        return cls.OWNER if scope.owner_id is not None else cls.NOBODY

    def scope(self) -> Scope:
        """A scope of this kind; the owner itself is bound at execution."""
        if self is ScopeKind.ADMIN:
            return Scope.admin()
        return Scope.owner(UUID(int=0)) if self is ScopeKind.OWNER else Scope.nobody()
