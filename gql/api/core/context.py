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
from gql.auth.tokens import InvalidToken, TokenReader, bearer_token
from gql.auth.viewers import ActiveViewers
from gql.settings import Settings
from persistence.errors import PersistenceError
from persistence.health import HealthMonitor
from persistence.models import User
from persistence.scope import Scope
from persistence.services.credentials import Passwords
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
    compiled_reads: bool = True


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
    _loaders: Loaders | None = field(default=None, repr=False)

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

    async def identify(self) -> None:
        """Look up the bearer token's user and scope every read and write to them.

        A token that is malformed, expired or names an inactive user leaves the
        request anonymous, exactly like no token at all.
        """
        token = bearer_token(self.request.headers.get("authorization"))
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
        if self._loaders is not None:
            self._loaders.forget()
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await self.uow.close()
        except (TimeoutError, PersistenceError) as error:
            logger.warning("could not close the request's database session: %r", error)

    def require_viewer(self) -> User:
        """The signed-in user; raises an UNAUTHENTICATED GraphQL error otherwise."""
        if self.viewer is None:
            raise NotAuthenticated()
        return self.viewer


Info = strawberry.Info[Context, None]


def build_context(services: Services, request: Any) -> Context:
    """The request's context. Its unit of work opens a session only when first used,
    and who is asking is found out by :meth:`Context.identify` once the operation
    has passed every limit."""
    uow = UnitOfWork(services.session_factory).open()
    return Context(request, services, uow)
