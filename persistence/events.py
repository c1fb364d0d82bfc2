"""Live events: what changed, published with the transaction that changed it.

A use case records an :class:`Event` on its unit of work (``uow.publish``); the
unit hands them to the process's :class:`EventBus` when it commits, and drops
them when it rolls back, so a change that never happened is never announced.
Events carry ids only: a subscriber reads the rows again through its own scope.

- :class:`PostgresEvents`: each event is a ``pg_notify`` inside the committing
  transaction (PostgreSQL delivers notifications only when it commits), and one
  listener connection per process (``LISTEN``) fans them out to the process's
  subscribers, whichever process made the change. The listener reconnects when
  its connection goes away, and says so in the log. What is published while it
  is away cannot be delivered, so the moment it finds its connection gone it
  ends every subscription (:class:`EventsMissed`) rather than let them miss
  events without a word: their clients subscribe again and re-read.
- :class:`LocalEvents` (SQLite): delivered in process, after the commit; a change
  made by another process is never seen.

Every subscriber has a bounded queue: one that falls behind by more than its
size is dropped and told so (:class:`SubscriberTooSlow`) instead of holding
events without end.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from persistence.scope import Scope

logger = logging.getLogger(__name__)

CHANNEL = "concierge_events"


class Topic(enum.StrEnum):
    CONVERSATION = "conversation"
    MESSAGE = "message"
    APPOINTMENT = "appointment"


@dataclass(frozen=True)
class Event:
    """One change: its topic and kind, the owner of the changed rows, and their ids.

    ``subject_id`` is the conversation or appointment; ``item_id`` the message of
    a ``message`` event.
    """

    topic: Topic
    kind: str
    owner_id: UUID
    subject_id: UUID
    item_id: UUID | None = None

    def encode(self) -> str:
        # str(): ids read back from asyncpg are its own UUID class, which orjson refuses.
        body = {
            "t": self.topic.value,
            "k": self.kind,
            "o": str(self.owner_id),
            "s": str(self.subject_id),
        }
        if self.item_id is not None:
            body["i"] = str(self.item_id)
        return orjson.dumps(body).decode()

    @classmethod
    def decode(cls, payload: str) -> Event:
        body = orjson.loads(payload)
        item = body.get("i")
        return cls(
            topic=Topic(body["t"]),
            kind=body["k"],
            owner_id=UUID(body["o"]),
            subject_id=UUID(body["s"]),
            item_id=UUID(item) if item else None,
        )


class SubscriberTooSlow(Exception):
    """The subscriber fell further behind than its queue holds and was dropped."""


class EventsUnavailable(Exception):
    """The database could not be listened to, so no event would arrive."""


class EventsMissed(Exception):
    """The listener lost its connection: events published meanwhile never arrive."""


_CLOSED = object()
_OVERFLOWED = object()
_MISSED = object()


@dataclass(eq=False)
class Subscriber:
    """One subscription's queue of events: those its scope may see and ``accepts``
    takes. Iterate it for the events; it ends when the bus closes, and raises
    :class:`SubscriberTooSlow` once it has overflowed."""

    scope: Scope
    accepts: Callable[[Event], bool]
    size: int
    _queue: asyncio.Queue[Any] = field(init=False)
    _bus: EventBus | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        # One more slot than `size`, so the end can always be queued behind the events.
        self._queue = asyncio.Queue(self.size + 1)

    def offer(self, event: Event) -> None:
        if not (self.scope.may_act_for(event.owner_id) and self.accepts(event)):
            return
        if self._queue.qsize() >= self.size:
            self._end(_OVERFLOWED)
            return
        self._queue.put_nowait(event)

    def _end(self, marker: object) -> None:
        """Stop receiving; what is queued is dropped if the subscriber overflowed (what
        arrived before events went missing is still delivered, in order)."""
        if self._bus is not None:
            self._bus.unsubscribe(self)
        if marker is _OVERFLOWED:
            while not self._queue.empty():
                self._queue.get_nowait()
        self._queue.put_nowait(marker)

    def __aiter__(self) -> Subscriber:
        return self

    async def __anext__(self) -> Event:
        item = await self._queue.get()
        if item is _OVERFLOWED:
            raise SubscriberTooSlow(f"more than {self.size} events waited to be sent")
        if item is _MISSED:
            raise EventsMissed("the event listener lost its database connection")
        if item is _CLOSED:
            raise StopAsyncIteration
        event: Event = item
        return event


class EventBus:
    """The process's subscribers, and how events reach them (see the module's text)."""

    def __init__(self) -> None:
        self._subscribers: set[Subscriber] = set()

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    @contextlib.asynccontextmanager
    async def subscribe(
        self, scope: Scope, accepts: Callable[[Event], bool], size: int
    ) -> AsyncIterator[Subscriber]:
        """A subscriber for the block; raises :class:`EventsUnavailable` when no
        event could reach it."""
        await self.ready()
        subscriber = Subscriber(scope, accepts, size)
        subscriber._bus = self
        self._subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self.unsubscribe(subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def fan_out(self, events: Sequence[Event]) -> None:
        for event in events:
            for subscriber in list(self._subscribers):
                subscriber.offer(event)

    async def ready(self) -> None:
        """Wait until events published from now on will be delivered."""

    async def before_commit(
        self, execute: Callable[[str, dict[str, Any]], Awaitable[None]], events: Sequence[Event]
    ) -> None:
        """Publish inside the committing transaction (PostgreSQL)."""

    def after_commit(self, events: Sequence[Event]) -> None:
        """Publish once the transaction committed (in process)."""

    async def close(self) -> None:
        """End every subscription (each one's iteration stops)."""
        for subscriber in list(self._subscribers):
            subscriber._end(_CLOSED)

    def missed(self) -> None:
        """End every subscription with :class:`EventsMissed` (events went undelivered)."""
        for subscriber in list(self._subscribers):
            subscriber._end(_MISSED)


class LocalEvents(EventBus):
    """In process, after commit: what SQLite can offer (one process sees its own)."""

    def after_commit(self, events: Sequence[Event]) -> None:
        self.fan_out(events)


class PostgresEvents(EventBus):
    """``pg_notify`` in the transaction, one ``LISTEN`` connection per process.

    ``listener`` is an engine of its own (no pool) whose one connection the
    listener holds. It starts with the first subscriber and runs until
    :meth:`close`; it checks its connection every ``check_interval_s`` and
    reconnects, with pauses growing up to ``max_backoff_s``, whenever it is lost.
    """

    def __init__(
        self,
        listener: AsyncEngine,
        *,
        check_interval_s: float = 5.0,
        ready_timeout_s: float = 5.0,
        max_backoff_s: float = 5.0,
    ) -> None:
        super().__init__()
        self._engine = listener
        self._check_interval_s = check_interval_s
        self._ready_timeout_s = ready_timeout_s
        self._max_backoff_s = max_backoff_s
        self._listening = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.reconnects = 0

    async def before_commit(
        self, execute: Callable[[str, dict[str, Any]], Awaitable[None]], events: Sequence[Event]
    ) -> None:
        # One statement for the whole commit, however many events (a post of 100 messages).
        await execute(
            "SELECT pg_notify(:channel, payload) FROM unnest(CAST(:payloads AS text[])) AS payload",
            {"channel": CHANNEL, "payloads": [event.encode() for event in events]},
        )

    async def ready(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._listen(), name="concierge-event-listener")
        try:
            async with asyncio.timeout(self._ready_timeout_s):
                await self._listening.wait()
        except TimeoutError as error:
            raise EventsUnavailable("the database cannot be listened to for events") from error

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            event = Event.decode(payload)
        except (ValueError, KeyError, TypeError):
            logger.warning("ignored a malformed event notification: %.200s", payload)
            return
        self.fan_out([event])

    async def _listen(self) -> None:
        backoff = 0.1
        lost_at: float | None = None
        while True:
            try:
                await self._hold_connection(lost_at)
            except asyncio.CancelledError:
                raise
            except Exception as error:
                self._listening.clear()
                if lost_at is None:
                    lost_at = time.monotonic()
                    self.missed()
                    logger.warning(
                        "event listener lost its database connection (%s); reconnecting",
                        f"{type(error).__name__}: {error}" if str(error) else type(error).__name__,
                    )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff_s)
            else:
                return

    async def _hold_connection(self, lost_at: float | None) -> None:
        """Listen on one connection until it is lost (raises) or the task is cancelled."""
        connection = await self._engine.connect()
        try:
            raw: Any = (await connection.get_raw_connection()).driver_connection  # asyncpg's
            lost = asyncio.Event()
            raw.add_termination_listener(lambda _connection: lost.set())
            await raw.add_listener(CHANNEL, self._notified)
            if lost_at is not None:
                self.reconnects += 1
                logger.warning(
                    "event listener reconnected to the database after %.1f s; the "
                    "subscriptions of before were ended, events published meanwhile lost",
                    time.monotonic() - lost_at,
                )
            self._listening.set()
            while True:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._check_interval_s):
                        await lost.wait()
                if lost.is_set() or raw.is_closed():
                    raise ConnectionError("the connection was closed")
                # A connection can die without a word (a network that drops it).
                async with asyncio.timeout(self._check_interval_s):
                    await raw.execute("SELECT 1")
        finally:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2):
                    await connection.invalidate()
                    await connection.close()

    async def close(self) -> None:
        await super().close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._engine.dispose()
