"""Read replicas: which one a read may use, and how far behind each one is.

A :class:`ReplicaSet` watches the primary's WAL position and each replica's
replay position every ``check_s`` seconds. A replica's lag is how long ago the
primary first reached a position the replica has not replayed yet: measured
against the primary's own history, so an idle primary does not make a replica
that stopped receiving look current, and a busy one does not make a replica
that keeps up look late. A replica that cannot be reached, is not replaying
(a promoted standby), or lags more than ``max_lag_s`` is skipped until a later
check finds it usable again.

Read-your-writes: after a writer commits, :meth:`ReplicaSet.remember_write`
keeps the primary's position for them (for as long as a usable replica can be
behind it) in its :class:`WriteMarks`; :meth:`ReplicaSet.choose` then offers
only replicas that have replayed that far, and none (the primary) otherwise.
The marks are the process's own by default; several processes share theirs
through a store such as Redis (gql/server/write_marks.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from cachetools import TTLCache
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from persistence.config import DatabaseTarget

logger = logging.getLogger(__name__)

# Positions as byte offsets (pg_lsn minus the zero position), comparable as integers.
_PRIMARY_POSITION = text("SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint")
_REPLICA_POSITION = text(
    "SELECT pg_is_in_recovery(), (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint"
)
# Writers remembered at once by a process; the oldest are forgotten first beyond this.
MAX_REMEMBERED_WRITERS = 100_000
# A position no replica reaches: where a writer's mark cannot be known, they read
# from the primary.
UNKNOWN_POSITION = 2**63 - 1


class WriteMarks(Protocol):
    """Where writers' last positions are kept for ``ttl_s`` seconds."""

    async def get(self, writer: str) -> int | None:
        """The writer's position; None if none is kept; UNKNOWN_POSITION if it cannot be read."""
        ...

    async def put(self, writer: str, position: int, ttl_s: float) -> None:
        """Keep ``position`` for the writer unless a later one is kept already."""
        ...

    async def close(self) -> None: ...


class LocalWriteMarks:
    """Writers' marks in this process only (right for one process)."""

    def __init__(self, ttl_s: float) -> None:
        self._marks: TTLCache[str, int] = TTLCache(MAX_REMEMBERED_WRITERS, ttl=ttl_s)

    async def get(self, writer: str) -> int | None:
        return self._marks.get(writer)

    async def put(self, writer: str, position: int, ttl_s: float) -> None:
        self._marks[writer] = max(position, self._marks.get(writer, 0))

    async def close(self) -> None:
        self._marks.clear()


@dataclass(frozen=True)
class ReplicaState:
    """What the last check found of one replica."""

    name: str
    ok: bool
    lag_s: float | None = None
    replayed: int | None = None
    reason: str | None = None
    checked_at: float | None = None


@dataclass
class Replica:
    """One replica: its engine, sessions over it, and its last known state."""

    name: str
    target: DatabaseTarget
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    state: ReplicaState = field(init=False)

    def __post_init__(self) -> None:
        self.state = ReplicaState(self.name, ok=False, reason="not checked yet")


class ReplicaSet:
    """The process's replicas beside its primary (see the module's documentation)."""

    def __init__(
        self,
        primary: AsyncEngine,
        replicas: Sequence[Replica],
        *,
        max_lag_s: float,
        check_s: float,
        timeout_s: float,
        marks: WriteMarks | None = None,
    ) -> None:
        if not replicas:
            raise ValueError("a replica set needs at least one replica")
        self.primary = primary
        self.replicas = list(replicas)
        self.max_lag_s = max_lag_s
        self.check_s = check_s
        self.timeout_s = timeout_s
        # A usable replica is at most max_lag_s (give or take a check) behind: the
        # primary's history is kept over this window, and a writer's mark for as long,
        # after which every usable replica has it.
        self.window_s = max_lag_s + 2 * check_s
        # (when, position) of the primary, oldest first, over the window.
        self._history: deque[tuple[float, int]] = deque()
        self.marks: WriteMarks = marks or LocalWriteMarks(self.window_s)
        self._turn = itertools.count()
        self._watching: asyncio.Task[None] | None = None
        self._checked = asyncio.Event()

    # Routing ------------------------------------------------------------------

    async def choose(self, writer: str | None = None) -> Replica | None:
        """A usable replica for a read (in turn, to spread the load), one that has
        replayed ``writer``'s last remembered write; None to read from the primary."""
        self.watch()
        if not any(replica.state.ok for replica in self.replicas):
            return None
        needed = await self.marks.get(writer) if writer is not None else None
        usable = [
            replica
            for replica in self.replicas
            if replica.state.ok
            and (
                needed is None
                or (replica.state.replayed is not None and replica.state.replayed >= needed)
            )
        ]
        if not usable:
            return None
        return usable[next(self._turn) % len(usable)]

    async def remember_write(self, writer: str) -> None:
        """Keep the primary's position now (after ``writer``'s commit) so that their
        next reads go where that write is visible. A primary that cannot tell leaves
        the writer on the primary for the whole window."""
        position = await self._primary_position()
        # The write is committed; without its position, reading from the primary is safe.
        await self.marks.put(
            writer, UNKNOWN_POSITION if position is None else position, self.window_s
        )

    def unusable(self, replica: Replica, cause: BaseException | str) -> None:
        """Skip ``replica`` from now until a check finds it usable (a read failed on it)."""
        reason = cause if isinstance(cause, str) else _unreachable(cause)
        replica.state = ReplicaState(
            replica.name, ok=False, reason=reason, checked_at=time.monotonic()
        )
        logger.warning("replica %s is unusable: %r", replica.name, cause)

    # Watching -----------------------------------------------------------------

    def watch(self) -> None:
        """Start checking in the background (once, on the running loop)."""
        if self._watching is None or self._watching.done():
            self._watching = asyncio.ensure_future(self._watch())

    async def ready(self) -> None:
        """Wait for the first check (a process that just started knows no state yet)."""
        self.watch()
        await self._checked.wait()

    async def _watch(self) -> None:
        while True:
            try:
                await self.check()
            except Exception:  # never let a surprise stop the checks
                logger.exception("checking the replicas failed")
            await asyncio.sleep(self.check_s)

    async def check(self) -> None:
        """One round: the primary's position, then every replica's, at once."""
        now = time.monotonic()
        position = await self._primary_position()
        if position is not None and (not self._history or position > self._history[-1][1]):
            self._history.append((now, position))
        horizon = now - self.window_s
        while len(self._history) > 1 and self._history[1][0] < horizon:
            self._history.popleft()
        await asyncio.gather(*(self._check_one(replica, now) for replica in self.replicas))
        self._checked.set()

    async def _primary_position(self) -> int | None:
        """The primary's WAL insert position now; None (and a warning) if it cannot tell."""
        try:
            async with asyncio.timeout(self.timeout_s):
                async with self.primary.connect() as connection:
                    return int(await connection.scalar(_PRIMARY_POSITION))
        except Exception as error:
            logger.warning("could not read the primary's WAL position: %r", error)
            return None

    async def _check_one(self, replica: Replica, now: float) -> None:
        try:
            async with asyncio.timeout(self.timeout_s):
                async with replica.engine.connect() as connection:
                    recovering, replayed = (await connection.execute(_REPLICA_POSITION)).one()
        except Exception as error:
            state = ReplicaState(replica.name, ok=False, reason=_unreachable(error), checked_at=now)
        else:
            if not recovering or replayed is None:
                state = ReplicaState(
                    replica.name, ok=False, reason="not replaying (not a standby)", checked_at=now
                )
            else:
                lag = self._lag(int(replayed), now)
                ok = lag <= self.max_lag_s
                reason = (
                    None if ok else f"{lag:.1f} s behind the primary (limit {self.max_lag_s:g} s)"
                )
                state = ReplicaState(
                    replica.name, ok, round(lag, 3), int(replayed), reason, checked_at=now
                )
        if state.ok != replica.state.ok:
            logger.info("replica %s is %s", replica.name, "usable" if state.ok else state.reason)
        replica.state = state

    def _lag(self, replayed: int, now: float) -> float:
        """Since when the primary has held a position beyond ``replayed``."""
        for when, position in self._history:
            if position > replayed:
                return now - when
        return 0.0

    def states(self) -> list[ReplicaState]:
        return [replica.state for replica in self.replicas]

    async def close(self) -> None:
        if self._watching is not None:
            self._watching.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watching
        for replica in self.replicas:
            await replica.engine.dispose()
        await self.marks.close()


def _unreachable(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "no answer in time"
    return f"unreachable ({type(error).__name__})"
