"""Writers' WAL positions shared by every instance, in Redis, so that read-your-writes
holds (see persistence/replicas.py) whichever worker or machine a viewer's next
request reaches: ``<prefix>write:<user id>``, expiring when no usable replica
can be behind it any more."""

from __future__ import annotations

import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from gql.settings import Settings
from persistence.replicas import UNKNOWN_POSITION, WriteMarks

logger = logging.getLogger(__name__)

# Keep the later of the position kept and the one given, and renew its expiry.
_KEEP_LATER = """
local kept = redis.call('GET', KEYS[1])
if not kept or tonumber(kept) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 1
"""


class RedisWriteMarks:
    """Writers' marks in Redis. A Redis that does not answer sends the writer's reads
    to the primary (UNKNOWN_POSITION): stale reads are the one thing not allowed."""

    def __init__(self, url: str, prefix: str) -> None:
        # Connects on first use, never at construction.
        self._redis = aioredis.Redis.from_url(url, decode_responses=True)
        self._prefix = prefix + "write:"
        self._keep_later = self._redis.register_script(_KEEP_LATER)

    async def get(self, writer: str) -> int | None:
        try:
            found = await self._redis.get(self._prefix + writer)
        except RedisError as error:
            logger.warning("could not read a writer's mark from Redis: %r", error)
            return UNKNOWN_POSITION
        return None if found is None else int(found)

    async def put(self, writer: str, position: int, ttl_s: float) -> None:
        try:
            await self._keep_later(
                keys=[self._prefix + writer], args=[position, max(1, int(ttl_s * 1000))]
            )
        except RedisError as error:
            logger.warning("could not keep a writer's mark in Redis: %r", error)

    async def close(self) -> None:
        await self._redis.aclose()


def shared_write_marks(settings: Settings) -> WriteMarks | None:
    """Marks in Redis when replicas and ``REDIS_URL`` are set; None otherwise (a
    replica set then keeps the process's own)."""
    if settings.redis_url and settings.database_replica_url is not None:
        return RedisWriteMarks(settings.redis_url, settings.redis_key_prefix)
    return None
