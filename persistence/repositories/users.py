from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select

from persistence.models import User
from persistence.pagination import Ordering, Page, PageRequest, ordering_by
from persistence.repositories.base import Repository

USERS_OLDEST_FIRST: Ordering[User] = ordering_by("CREATED_AT_ASC", User.created_at, User.id)


class UserRepository(Repository[User]):
    """Operators' accounts. A member sees only themselves; an admin sees everyone."""

    model = User

    def _visible(self, owner: Any = None) -> ColumnElement[bool] | None:
        # A user owns themself.
        return self._scope.condition(User.id, owner)

    async def find_by_login(self, login: str) -> User | None:
        """The account whose email or username is ``login``, whatever the scope.

        Used to authenticate, before anyone has a scope.
        """
        login = login.strip()
        statement = self._unscoped().where(or_(User.email == login.lower(), User.username == login))
        rows = await self._gate.scalars(statement)
        return rows[0] if rows else None

    async def find_active(self, user_id: object) -> User | None:
        """The active account with this id, whatever the scope (to resolve a token)."""
        statement = self._unscoped().where(User.id == user_id, User.is_active.is_(True))
        rows = await self._gate.scalars(statement)
        return rows[0] if rows else None

    async def find(self, request: PageRequest) -> Page[User]:
        return await self.page(USERS_OLDEST_FIRST, request)

    async def add(self, row: User) -> User:
        row.email = row.email.strip().lower()
        self._gate.add(row)
        await self._gate.flush()
        return row

    @staticmethod
    def _unscoped() -> Select[tuple[User]]:
        return select(User)
