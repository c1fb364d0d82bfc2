"""Password hashes for the account use cases: argon2id at the configured cost."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from persistence.config import DatabaseSettings


class Passwords:
    """argon2id password hashes at the configured cost, computed off the event loop.

    A hash costs tens of milliseconds of CPU by design; on the event loop it
    would stall every request of the process meanwhile. Callers hash and verify
    before they take any database lock (SQLite's writer lock is the whole file).
    """

    def __init__(self, settings: DatabaseSettings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
        )
        self._decoy: str | None = None

    def hash_now(self, password: str) -> str:
        """The hash of ``password``, on the calling thread (for the command line)."""
        return self._hasher.hash(password)

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def verify(self, hashed: str | None, password: str) -> bool:
        """Whether ``password`` matches ``hashed``. Without a hash (an unknown login)
        a decoy of the same cost is checked, so timing does not tell which
        accounts exist."""
        if hashed is None:
            if self._decoy is None:
                self._decoy = await self.hash("concierge-decoy-password")
            hashed = self._decoy
        try:
            return await asyncio.to_thread(self._hasher.verify, hashed, password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        """Whether ``hashed`` was made with other parameters than today's."""
        return self._hasher.check_needs_rehash(hashed)
