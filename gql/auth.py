"""Passwords (argon2) and bearer tokens (signed JWTs): who the viewer is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from persistence.config import Settings
from persistence.models import User
from persistence.unit_of_work import UnitOfWork

_hasher = PasswordHasher()
# Verifying against this when the login is unknown costs the same as a real check,
# so response times do not reveal which accounts exist.
_DECOY_HASH = _hasher.hash("concierge-decoy-password")
_ALGORITHM = "HS256"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def authenticate(uow: UnitOfWork, login: str, password: str) -> User | None:
    """The active user with these credentials, or ``None`` (never says which part was wrong).

    Rehashes the stored password when the hashing parameters have changed.
    """
    user = await uow.users.find_by_login(login)
    try:
        _hasher.verify(user.hashed_password if user else _DECOY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if _hasher.check_needs_rehash(user.hashed_password):
        user.hashed_password = _hasher.hash(password)
        await uow.users.save(user)
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
