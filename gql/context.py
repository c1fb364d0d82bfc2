"""The per-request context: settings, the viewer, one unit of work, fresh loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from gql.auth import InvalidToken, bearer_token, read_token
from gql.errors import NotAuthenticated
from gql.loaders import Loaders
from persistence.config import Settings
from persistence.models import User
from persistence.scope import Scope
from persistence.unit_of_work import UnitOfWork


@dataclass
class Services:
    """What lives for the whole process and every request shares."""

    settings: Settings
    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    started_at: float


@dataclass
class Context:
    request: Any
    response: Any
    services: Services
    uow: UnitOfWork
    loaders: Loaders
    viewer: User | None = None
    token_rejected: bool = False
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    def require_viewer(self) -> User:
        """The signed-in user; raises an UNAUTHENTICATED GraphQL error otherwise."""
        if self.viewer is None:
            raise NotAuthenticated()
        return self.viewer


Info = strawberry.Info[Context, None]


async def build_context(services: Services, request: Any, response: Any) -> Context:
    """Open the request's unit of work and find out who is asking."""
    uow = UnitOfWork(services.session_factory)
    await uow.__aenter__()
    context = Context(request, response, services, uow, Loaders(uow))
    token = bearer_token(request.headers.get("authorization"))
    if token is not None:
        try:
            user_id = read_token(token, services.settings)
        except InvalidToken:
            context.token_rejected = True
        else:
            context.viewer = await uow.users.find_active(user_id)
            context.token_rejected = context.viewer is None
            if context.viewer is not None:
                uow.detach(context.viewer)
    if context.viewer is not None:
        scope = (
            Scope.admin(context.viewer.id)
            if context.viewer.is_admin
            else Scope.owner(context.viewer.id)
        )
        uow.rescope(scope)
        context.loaders = Loaders(uow)
    return context
