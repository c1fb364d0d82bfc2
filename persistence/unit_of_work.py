"""The unit of work: one session, its repositories, one commit at the end."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from persistence.errors import PersistenceError
from persistence.events import Event, EventBus
from persistence.reads import JsonReads
from persistence.repositories import (
    AppointmentRepository,
    ConversationRepository,
    ConversationStateRepository,
    CustomerRepository,
    FileRepository,
    MemoryRepository,
    MessageRepository,
    OwnerSettingsRepository,
    PersonaModuleRepository,
    PersonaRepository,
    ScheduleRepository,
    SessionGate,
    UsageRepository,
    UserRepository,
)
from persistence.scope import Scope

logger = logging.getLogger(__name__)

# The unit's repositories by attribute; each is built when first used.
_REPOSITORIES: dict[str, Callable[[SessionGate, Scope], Any]] = {
    "users": UserRepository,
    "personas": PersonaRepository,
    "customers": CustomerRepository,
    "conversations": ConversationRepository,
    "messages": MessageRepository,
    "appointments": AppointmentRepository,
    "files": FileRepository,
    "schedules": ScheduleRepository,
    "usage": UsageRepository,
    "memories": MemoryRepository,
    "states": ConversationStateRepository,
    "persona_modules": PersonaModuleRepository,
    "owner_settings": OwnerSettingsRepository,
    "reads": JsonReads,
}


class UnitOfWork:
    """Owns one AsyncSession and the repositories over it.

    Nothing is committed unless :meth:`commit` is called; leaving the block
    rolls back whatever was not committed, including after any exception.
    ``writes=True`` takes SQLite's write lock up front, so a transaction that
    reads first and writes later cannot lose a race to another writer.
    Events published on the unit go out with its commit, through ``events``
    (none without a bus), and are dropped by a rollback.
    """

    users: UserRepository
    personas: PersonaRepository
    customers: CustomerRepository
    conversations: ConversationRepository
    messages: MessageRepository
    appointments: AppointmentRepository
    files: FileRepository
    schedules: ScheduleRepository
    usage: UsageRepository
    memories: MemoryRepository
    states: ConversationStateRepository
    persona_modules: PersonaModuleRepository
    owner_settings: OwnerSettingsRepository
    reads: JsonReads

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        scope: Scope | None = None,
        *,
        writes: bool = False,
        events: EventBus | None = None,
    ) -> None:
        self._session_factory = session_factory
        self.scope = scope or Scope.nobody()
        self._writes = writes
        self._after_commit: list[Callable[[], Awaitable[None]]] = []
        self._bus = events
        self._events: list[Event] = []
        # Whether a transaction of this unit has committed (its writes are durable).
        self.committed = False
        # The repositories built so far (see __getattr__), dropped by a rescope.
        self._built: list[str] = []

    def after_commit(self, action: Callable[[], Awaitable[None]]) -> None:
        """Run ``action`` once this unit's next commit has succeeded (e.g. place a file's
        bytes under the row that names them); a rollback or close drops it unrun.

        Actions run in the order given. One that fails is logged and does not stop
        the others: the commit already happened and cannot be undone.
        """
        self._after_commit.append(action)

    def open(self) -> UnitOfWork:
        """Start the unit without entering it as a context manager; the caller must
        :meth:`close` it. The session connects lazily, on its first statement."""
        self._gate = SessionGate(self._session_factory)
        self.rescope(self.scope)
        return self

    async def __aenter__(self) -> UnitOfWork:
        self.open()
        if self._writes:
            await self.begin_writing()
        return self

    def only_read(self) -> None:
        """Declare that this unit only reads, before its first statement. On
        PostgreSQL each statement then runs on its own, without the BEGIN and
        ROLLBACK round trips of a transaction: under READ COMMITTED, every
        statement sees its own snapshot in a transaction too. Writing (or
        committing) afterwards raises a PersistenceError."""
        self._gate.only_read()

    async def read_from(
        self, session_factory: async_sessionmaker[AsyncSession], timeout_s: float
    ) -> None:
        """Read through ``session_factory`` (a replica's) from now on. Only a unit that
        only reads may (see :meth:`only_read`): each of its statements stands alone, so
        moving between databases splits no transaction. Connects at once, within
        ``timeout_s``; if that fails the error propagates (a PersistenceError, or
        TimeoutError) and the unit reads where it did. Rows loaded so far stay readable."""
        if not self._gate.read_only:
            raise PersistenceError("only a unit of work that only reads may read elsewhere")
        gate = SessionGate(session_factory)
        gate.only_read()
        try:
            async with asyncio.timeout(timeout_s):
                await gate.connect()
        except BaseException:
            with contextlib.suppress(Exception):
                await gate.close()
            raise
        previous, self._gate = self._gate, gate
        await previous.close()
        self.rescope(self.scope)

    async def begin_writing(self) -> None:
        """Prepare for writes (see :meth:`SessionGate.begin_writing`)."""
        await self._gate.begin_writing()

    def rescope(self, scope: Scope) -> None:
        """Continue under another scope (e.g. once the viewer is known)."""
        self.scope = scope
        for name in self._built:
            del self.__dict__[name]
        self._built.clear()

    def __getattr__(self, name: str) -> Any:
        # A repository is built on first use under the current scope: a request
        # uses two or three of the fourteen, and is rescoped once it is identified.
        kind = _REPOSITORIES.get(name)
        if kind is None or "_gate" not in self.__dict__:
            raise AttributeError(name)
        repository = kind(self._gate, self.scope)
        self.__dict__[name] = repository
        self._built.append(name)
        return repository

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def detach(self, row: object) -> None:
        """Keep ``row`` readable as it is now, whatever later rollbacks do to the session."""
        self._gate.detach(row)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[UnitOfWork]:
        """One write transaction: begun for writing, committed when the block ends,
        rolled back if it raises (the first error is the one that propagates)."""
        await self.begin_writing()
        try:
            yield self
            await self.commit()
        except BaseException:
            with contextlib.suppress(PersistenceError):
                await self.rollback()
            raise

    def publish(self, event: Event) -> None:
        """Announce ``event`` when this unit commits (and never if it rolls back)."""
        if self._bus is not None:
            self._events.append(event)

    async def commit(self) -> None:
        """Make every change of this unit durable, then announce its events and run
        the actions waiting for it (:meth:`after_commit`); raises a PersistenceError
        on failure (and then announces and runs nothing)."""
        events, self._events = self._events, []
        try:
            if events and self._bus is not None:
                await self._bus.before_commit(self._execute, events)
            await self._gate.commit()
        except BaseException:
            self._after_commit.clear()
            raise
        self.committed = True
        if events and self._bus is not None:
            self._bus.after_commit(events)
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            try:
                await action()
            except Exception:
                logger.exception("an action after commit failed")

    async def _execute(self, statement: str, parameters: dict[str, object]) -> None:
        await self._gate.execute(text(statement).bindparams(**parameters))

    async def rollback(self) -> None:
        self._after_commit.clear()
        self._events.clear()
        await self._gate.rollback()

    async def close(self) -> None:
        """Discard uncommitted changes and return the connection to the pool.

        Closing (not rolling back) keeps loaded rows readable after the unit ends.
        """
        self._after_commit.clear()
        self._events.clear()
        await self._gate.close()
