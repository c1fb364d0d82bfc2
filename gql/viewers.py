"""Who is asking: the active user behind a token, remembered for a few seconds.

Every authenticated request needs its viewer, and reading it costs one SQL
statement. Each process keeps the active viewers it has seen for
``VIEWER_CACHE_SECONDS`` (0 turns the cache off). The trade-off: a user who is
deactivated or deleted keeps a working token for at most that long. A cached
user is detached and shared by concurrent requests: read it, never change it.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID
from weakref import WeakKeyDictionary

from persistence.models import User
from persistence.unit_of_work import UnitOfWork

# Beyond this many entries the expired ones are dropped before adding another.
_PRUNE_ABOVE = 10_000


class ActiveViewers:
    """Active users by id, each kept for ``ttl_seconds`` after it was read."""

    def __init__(self, ttl_seconds: float) -> None:
        self.ttl_seconds = ttl_seconds
        self._users: dict[UUID, tuple[float, User]] = {}

    async def find(self, uow: UnitOfWork, user_id: UUID) -> User | None:
        """The active user ``user_id``, detached from ``uow``; ``None`` if inactive or gone."""
        now = time.monotonic()
        cached = self._users.get(user_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        user = await uow.users.find_active(user_id)
        if user is None:
            self._users.pop(user_id, None)
            return None
        uow.detach(user)
        if self.ttl_seconds > 0:
            if len(self._users) >= _PRUNE_ABOVE:
                self._users = {key: kept for key, kept in self._users.items() if kept[0] > now}
            self._users[user_id] = (now + self.ttl_seconds, user)
        return user


# One cache per session factory, i.e. per database the process serves.
_by_database: WeakKeyDictionary[Any, ActiveViewers] = WeakKeyDictionary()


async def find_viewer(services: Any, uow: UnitOfWork, user_id: UUID) -> User | None:
    """The request's viewer through the process's cache of active viewers."""
    viewers = _by_database.get(services.session_factory)
    if viewers is None:
        viewers = ActiveViewers(services.settings.viewer_cache_seconds)
        _by_database[services.session_factory] = viewers
    return await viewers.find(uow, user_id)
