"""Fixtures of the HTTP API tests: signed-in operators, and rows seeded behind
them through the persistence layer so each test states only what it is about."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

import pytest

from gql.auth.tokens import issue_token
from gql.settings import Settings
from persistence.models import Role, User
from persistence.unit_of_work import UnitOfWork
from tests.api.wire import global_id
from tests.conftest import Api, Database
from tests.factories import make_user

Seed = Callable[[], AbstractAsyncContextManager[UnitOfWork]]


@dataclass
class Operator:
    """A signed-in user: their row and an API client that sends their token."""

    user: User
    api: Api

    @property
    def gid(self) -> str:
        return global_id("User", self.user.id)


@pytest.fixture
def seed(db: Database) -> Seed:
    """``async with seed() as uow:`` writes rows and commits them on leaving."""

    @asynccontextmanager
    async def unit() -> AsyncIterator[UnitOfWork]:
        async with db.uow(writes=True) as uow:
            yield uow
            await uow.commit()

    return unit


@pytest.fixture
def sign_in(api: Api, seed: Seed, settings: Settings) -> Callable[..., Awaitable[Operator]]:
    """Create a user row and hand back a client with a token for it (no password hashing,
    which would cost a tenth of a second per test)."""

    async def make(role: Role = Role.MEMBER, **fields: object) -> Operator:
        async with seed() as uow:
            user = await make_user(uow, role=role, **fields)
        return Operator(user, api.as_(issue_token(user, settings)))

    return make


@pytest.fixture
async def operator(sign_in: Callable[..., Awaitable[Operator]]) -> Operator:
    """The member most tests act as."""
    return await sign_in()


@pytest.fixture
async def rival(sign_in: Callable[..., Awaitable[Operator]]) -> Operator:
    """Another member, whose rows the operator must never see or change."""
    return await sign_in()


@pytest.fixture
async def admin(sign_in: Callable[..., Awaitable[Operator]]) -> Operator:
    return await sign_in(Role.ADMIN)
