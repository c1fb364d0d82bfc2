"""Bearer tokens: signed JWTs that name a user, issued at sign-in and read per request."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt
from cachetools import LRUCache

from gql.settings import Settings
from persistence.models import User

_ALGORITHM = "HS256"


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
    return _verify(token, settings)[0]


def _verify(token: str, settings: Settings) -> tuple[UUID, float]:
    """The user id a valid token names and the time (epoch seconds) it expires."""
    try:
        claims = jwt.decode(
            token,
            settings.signing_key,
            algorithms=[_ALGORITHM],
            options={"require": ["exp", "iat", "sub"]},
        )
        return UUID(claims["sub"]), float(claims["exp"])
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidToken("invalid or expired token") from exc


class TokenReader:
    """Reads bearer tokens for the whole process, remembering the ones it verified
    until they expire: a client sends the same token with every request, and
    checking its signature is a good part of a small read's cost. Only verified
    tokens are remembered (a flood of bad ones costs a check each, and no memory);
    whether the user they name may still act is the viewer lookup's question."""

    def __init__(self, settings: Settings, size: int = 10_000) -> None:
        self._settings = settings
        self._verified: LRUCache[str, tuple[UUID, float]] = LRUCache(maxsize=size)

    def read(self, token: str) -> UUID:
        """The user id a valid token names; raises :class:`InvalidToken` otherwise."""
        known = self._verified.get(token)
        if known is not None:
            user_id, expires = known
            if time.time() < expires:  # PyJWT's own rule: expired once now >= exp
                return user_id
            self._verified.pop(token, None)
        user_id, expires = _verify(token, self._settings)
        self._verified[token] = (user_id, expires)
        return user_id


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer …`` header, if there is one."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
