"""The per-request context: settings, the viewer, one unit of work, fresh loaders."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gql.api.core.errors import NotAuthenticated
from gql.api.core.loaders import Loaders
from gql.api.core.observation import current_observation
from gql.auth.tokens import InvalidToken, TokenReader, bearer_token
from gql.auth.viewers import ActiveViewers
from gql.settings import Settings
from persistence.errors import PersistenceError
from persistence.events import EventBus
from persistence.health import HealthMonitor
from persistence.models import User
from persistence.replicas import Replica, ReplicaSet
from persistence.scope import Scope
from persistence.services.credentials import Passwords
from persistence.storage import Storage
from persistence.unit_of_work import UnitOfWork

logger = logging.getLogger(__name__)


# Closing returns the connection to the pool after a rollback; on a stalled
# connection that would wait forever.
CLOSE_TIMEOUT_S = 2.0


@dataclass
class Services:
    """What lives for the whole process and every request shares."""

    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    started_at: float
    passwords: Passwords
    health: HealthMonitor
    viewers: ActiveViewers
    tokens: TokenReader
    storage: Storage
    events: EventBus
    compiled_reads: bool = True
    # Read replicas for queries (DATABASE_REPLICA_URL); None: everything on the primary.
    replicas: ReplicaSet | None = None


class Document(NamedTuple):
    """The executing operation's fragments and variable values, as graphql-core
    holds them (compiled reads collect selections with them)."""

    fragments: dict[str, Any]
    variable_values: Any


@dataclass
class Context:
    request: Any
    services: Services
    uow: UnitOfWork
    viewer: User | None = None
    # Set by the execution context: whether a schema extension hooks every field,
    # and the operation's fragments and variables as graphql-core holds them.
    field_middleware: bool = False
    document: Document | None = None
    # A WebSocket connection's context: its `connection_init` payload (set by
    # Strawberry), and whether it is the connection's own (each operation on it
    # gets a context of its own, see :meth:`for_operation`).
    connection_params: dict[str, Any] | None = None
    is_connection: bool = False
    # Whether a query may read from a replica, and the one it reads from.
    use_replicas: bool = True
    replica: Replica | None = None
    _loaders: Loaders | None = field(default=None, repr=False)
    # Event contexts made from this one and not closed yet (see :meth:`for_event`).
    _open_events: list[Context] = field(default_factory=list, repr=False)
    _parent: Context | None = field(default=None, repr=False)

    @property
    def loaders(self) -> Loaders:
        """The request's loaders, built on first use over the unit's current scope."""
        if self._loaders is None:
            self._loaders = Loaders(self.uow)
        return self._loaders

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def compiled_reads(self) -> bool:
        """Whether root fields may be answered as compiled JSON (PostgreSQL, the
        setting on, and no field middleware that must see every field)."""
        return (
            self.services.compiled_reads and not self.field_middleware and self.uow.reads.supported
        )

    @property
    def authorization(self) -> str | None:
        """The ``Authorization`` credentials: the HTTP header, or over WebSocket the
        ``Authorization`` (or ``authorization``) entry of ``connection_init``'s payload."""
        if self.connection_params is not None:
            params = self.connection_params
            value = params.get("Authorization", params.get("authorization"))
            return value if isinstance(value, str) else None
        header: str | None = self.request.headers.get("authorization")
        return header

    def for_operation(self) -> Context:
        """A context of its own for one operation on a WebSocket connection."""
        return Context(
            self.request,
            self.services,
            new_unit_of_work(self.services),
            connection_params=self.connection_params,
        )

    def for_event(self) -> Context:
        """A fresh context for one subscription event: the same viewer and scope,
        its own unit of work and loaders (rows as they are now)."""
        uow = new_unit_of_work(self.services)
        uow.rescope(self.uow.scope)
        event = Context(self.request, self.services, uow, viewer=self.viewer)
        event._parent = self
        self._open_events.append(event)
        return event

    async def identify(self) -> None:
        """Look up the bearer token's user and scope every read and write to them.

        A token that is malformed, expired or names an inactive user leaves the
        request anonymous, exactly like no token at all.
        """
        token = bearer_token(self.authorization)
        if token is None:
            return
        try:
            user_id = self.services.tokens.read(token)
        except InvalidToken:
            return
        viewer = await self.services.viewers.find(self.uow, user_id)
        if viewer is None:
            return
        self.viewer = viewer
        self.uow.rescope(Scope.admin(viewer.id) if viewer.is_admin else Scope.owner(viewer.id))
        self._loaders = None  # any built so far read through the anonymous scope

    async def close(self) -> None:
        """End the request: the unit of work closes, and the loaders let go of
        their rows so they are freed now rather than by a later cycle collection.

        Never hangs on a database that stopped answering and never fails the
        response: the connection is given up instead (the pool replaces it).
        """
        if self._parent is not None:
            siblings = self._parent._open_events
            siblings[:] = [event for event in siblings if event is not self]
        # An operation ended while an event was being sent (a client that went away)
        # closes that event's session too, rather than leaving it to the collector.
        for event in list(self._open_events):
            await event.close()
        if self._loaders is not None:
            self._loaders.forget()
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await self.uow.close()
        except (TimeoutError, PersistenceError) as error:
            logger.warning("could not close the request's database session: %r", error)

    async def read_from_replica(self) -> None:
        """Send this query's reads to a usable replica that has the viewer's own
        latest write (see persistence/replicas.py), if there is one; the primary
        stays otherwise, and when the replica cannot be reached (which marks it
        unusable until a check finds it well again)."""
        replicas = self.services.replicas
        if replicas is None or not self.use_replicas:
            return
        replica = await replicas.choose(str(self.viewer.id) if self.viewer is not None else None)
        if replica is None:
            return
        try:
            await self.uow.read_from(replica.session_factory, replicas.timeout_s)
        except (PersistenceError, TimeoutError) as error:
            replicas.unusable(replica, error)
            return
        self._loaders = None  # any built so far read from the primary
        self.replica = replica
        observation = current_observation()
        if observation is not None:
            observation.read_from = replica.name

    async def remember_write(self) -> None:
        """After a committed mutation: the viewer's next queries read where it shows."""
        replicas = self.services.replicas
        if replicas is not None and self.viewer is not None and self.uow.committed:
            await replicas.remember_write(str(self.viewer.id))

    def require_viewer(self) -> User:
        """The signed-in user; raises an UNAUTHENTICATED GraphQL error otherwise."""
        if self.viewer is None:
            raise NotAuthenticated()
        return self.viewer


Info = strawberry.Info[Context, None]


def build_context(services: Services, request: Any, *, replicas: bool = True) -> Context:
    """The request's context. Its unit of work opens a session only when first used,
    and who is asking is found out by :meth:`Context.identify` once the operation
    has passed every limit; ``replicas=False`` keeps a query on the primary."""
    return Context(request, services, new_unit_of_work(services), use_replicas=replicas)


def new_unit_of_work(services: Services) -> UnitOfWork:
    """An opened unit of work that publishes through the process's event bus."""
    return UnitOfWork(services.session_factory, events=services.events).open()
