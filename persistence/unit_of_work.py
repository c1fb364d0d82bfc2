"""The unit of work: one session, its repositories, one commit at the end."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from persistence.errors import PersistenceError
from persistence.reads import JsonReads
from persistence.repositories import (
    AppointmentRepository,
    ConversationRepository,
    CustomerRepository,
    FileRepository,
    MessageRepository,
    PersonaRepository,
    ScheduleRepository,
    SessionGate,
    UsageRepository,
    UserRepository,
)
from persistence.scope import Scope


class UnitOfWork:
    """Owns one AsyncSession and the repositories over it.

    Nothing is committed unless :meth:`commit` is called; leaving the block
    rolls back whatever was not committed, including after any exception.
    ``writes=True`` takes SQLite's write lock up front, so a transaction that
    reads first and writes later cannot lose a race to another writer.
    """

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        scope: Scope | None = None,
        *,
        writes: bool = False,
    ) -> None:
        self._session_factory = session_factory
        self.scope = scope or Scope.nobody()
        self._writes = writes

    def open(self) -> UnitOfWork:
        """Start the unit without entering it as a context manager; the caller must
        :meth:`close` it. The session connects lazily, on its first statement."""
        self._gate = SessionGate(self._session_factory())
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

    async def begin_writing(self) -> None:
        """Prepare for writes (see :meth:`SessionGate.begin_writing`)."""
        await self._gate.begin_writing()

    def rescope(self, scope: Scope) -> None:
        """Continue under another scope (e.g. once the viewer is known)."""
        self.scope = scope
        self.users = UserRepository(self._gate, scope)
        self.personas = PersonaRepository(self._gate, scope)
        self.customers = CustomerRepository(self._gate, scope)
        self.conversations = ConversationRepository(self._gate, scope)
        self.messages = MessageRepository(self._gate, scope)
        self.appointments = AppointmentRepository(self._gate, scope)
        self.files = FileRepository(self._gate, scope)
        self.schedules = ScheduleRepository(self._gate, scope)
        self.usage = UsageRepository(self._gate, scope)
        self.reads = JsonReads(self._gate, scope)

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

    async def commit(self) -> None:
        """Make every change of this unit durable; raises a PersistenceError on failure."""
        await self._gate.commit()

    async def rollback(self) -> None:
        await self._gate.rollback()

    async def close(self) -> None:
        """Discard uncommitted changes and return the connection to the pool.

        Closing (not rolling back) keeps loaded rows readable after the unit ends.
        """
        await self._gate.close()
