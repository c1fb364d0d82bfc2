"""Who is asking: the active user behind a token, remembered for a few seconds.

Every authenticated request needs its viewer, and reading it costs one SQL
statement. Each process keeps the active viewers it has read in a cache bounded
both in time (``VIEWER_CACHE_SECONDS``, ``0`` turns it off) and in size
(``VIEWER_CACHE_SIZE`` users, the least recently used go first). The trade-off:
a user who is deactivated or deleted keeps a working token for at most
``VIEWER_CACHE_SECONDS`` after the change, in every process that had read them
just before. A cached user is detached and shared by concurrent requests: read
it, never change it.
"""

from __future__ import annotations

from uuid import UUID

from cachetools import TTLCache

from persistence.models import User
from persistence.unit_of_work import UnitOfWork


class ActiveViewers:
    """Active users by id, each kept for ``ttl_seconds`` after it was read."""

    def __init__(self, ttl_seconds: float, max_users: int) -> None:
        self._users: TTLCache[UUID, User] | None = (
            TTLCache(maxsize=max_users, ttl=ttl_seconds) if ttl_seconds > 0 else None
        )

    def __len__(self) -> int:
        return len(self._users) if self._users is not None else 0

    async def find(self, uow: UnitOfWork, user_id: UUID) -> User | None:
        """The active user ``user_id``, detached from ``uow``; ``None`` if inactive or gone."""
        if self._users is not None:
            cached = self._users.get(user_id)
            if cached is not None:
                return cached
        user = await uow.users.find_active(user_id)
        if user is None:
            return None
        uow.detach(user)
        if self._users is not None:
            self._users[user_id] = user
        return user
