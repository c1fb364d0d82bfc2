"""Passwords (argon2) and bearer tokens (signed JWTs): who the viewer is."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from persistence.config import Settings
from persistence.models import User
from persistence.unit_of_work import UnitOfWork

_ALGORITHM = "HS256"


class Passwords:
    """argon2id password hashes at the configured cost, computed off the event loop.

    A hash costs tens of milliseconds of CPU by design; on the event loop it
    would stall every request of the process meanwhile. Callers hash and verify
    before they take any database lock (SQLite's writer lock is the whole file).
    """

    def __init__(self, settings: Settings) -> None:
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


async def authenticate(
    uow: UnitOfWork, passwords: Passwords, login: str, password: str
) -> User | None:
    """The active user with these credentials, or ``None`` (never says which part was
    wrong). Reads without taking a write lock and verifies off the event loop."""
    user = await uow.users.find_by_login(login)
    if not await passwords.verify(user.hashed_password if user else None, password):
        return None
    if user is None or not user.is_active:
        return None
    return user


def issue_token(user: User, settings: Settings) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": str(user.id),
        "iat": now,
        "exp": now + timedelta(minutes=settings.token_ttl_minutes),
    }
    return jwt.encode(claims, settings.signing_key, algorithm=_ALGORITHM)


class InvalidToken(Exception):
    """The bearer token is malformed, tampered with or expired."""


def read_token(token: str, settings: Settings) -> UUID:
    """The user id a valid token names; raises :class:`InvalidToken` otherwise."""
    try:
        claims = jwt.decode(
            token,
            settings.signing_key,
            algorithms=[_ALGORITHM],
            options={"require": ["exp", "iat", "sub"]},
        )
        return UUID(claims["sub"])
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidToken("invalid or expired token") from exc


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if there is one."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
