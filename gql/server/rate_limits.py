"""Rate limits on ``/graphql``: requests per minute per bearer token and per client
address, answered 429 with ``Retry-After`` once spent.

Windows are moving (the ``limits`` library's moving-window strategy), counted in
the process or, with ``RATE_LIMIT_STORAGE=redis``, in Redis through ``REDIS_URL``
so that every instance counts against the same budget. A Redis that does not
answer lets requests through (logged): rate limits protect the service, they
must not take it down.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time

import orjson
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from gql.auth.tokens import bearer_token
from gql.settings import Settings

logger = logging.getLogger(__name__)

LIMITED_PATHS = frozenset({"/graphql"})


def rate_limit_storage(settings: Settings) -> Storage:
    """The counters' storage the settings ask for; connects on first use.

    Raises:
        ValueError: ``RATE_LIMIT_STORAGE=redis`` without ``REDIS_URL``.
    """
    if settings.rate_limit_storage == "memory":
        return MemoryStorage()
    if not settings.redis_url:
        raise ValueError("RATE_LIMIT_STORAGE=redis needs REDIS_URL")
    return RedisStorage(
        "async+" + settings.redis_url,
        wrap_exceptions=True,
        implementation="redispy",
        key_prefix=settings.redis_key_prefix + "rate",
    )


class RateLimit:
    """ASGI middleware counting each GET or POST to ``/graphql`` against its token's
    and its client address's budgets (either ``0``: not limited)."""

    def __init__(self, app: ASGIApp, storage: Storage, per_token: int, per_address: int) -> None:
        self.app = app
        self.limiter = MovingWindowRateLimiter(storage)
        self.per_token = RateLimitItemPerMinute(per_token) if per_token else None
        self.per_address = RateLimitItemPerMinute(per_address) if per_address else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] not in LIMITED_PATHS
            or scope["method"] not in ("GET", "POST")
        ):
            await self.app(scope, receive, send)
            return
        retry_after = await self._spent(scope)
        if retry_after is None:
            await self.app(scope, receive, send)
            return
        await _refuse(send, retry_after)

    async def _spent(self, scope: Scope) -> int | None:
        """Seconds until the request's first spent budget allows one more, or ``None``."""
        budgets: list[tuple[RateLimitItem, str]] = []
        token = bearer_token(Headers(scope=scope).get("authorization"))
        if self.per_token is not None and token is not None:
            # Counted by a digest: no token is ever written to the storage.
            budgets.append((self.per_token, "token:" + hashlib.sha256(token.encode()).hexdigest()))
        client = scope.get("client")
        if self.per_address is not None and client:
            budgets.append((self.per_address, "address:" + str(client[0])))
        try:
            for item, key in budgets:
                if not await self.limiter.hit(item, key):
                    stats = await self.limiter.get_window_stats(item, key)
                    return max(1, math.ceil(stats.reset_time - time.time()))
        except StorageError as error:
            logger.warning("rate limits not applied: their storage failed (%r)", error)
        return None


async def _refuse(send: Send, retry_after: int) -> None:
    body = orjson.dumps(
        {
            "errors": [
                {
                    "message": f"Too many requests; retry in {retry_after} s.",
                    "extensions": {"code": "RATE_LIMITED", "retryAfter": retry_after},
                }
            ]
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"retry-after", str(retry_after).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
