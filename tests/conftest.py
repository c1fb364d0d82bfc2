"""Fixtures that give every database test a real, migrated database on BOTH
backends: an SQLite file and a throwaway PostgreSQL database."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from gql.auth.tokens import issue_token
from gql.settings import Settings
from persistence import migrations
from persistence.config import normalise_database_url
from persistence.engine import create_engine, create_session_factory
from persistence.models import Base, Role, User
from persistence.scope import Scope
from persistence.unit_of_work import UnitOfWork
from tests.api.wire import global_id
from tests.factories import make_user

BACKENDS = ("sqlite", "postgres")
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
_BOOKKEEPING = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b", re.I)


async def _create_postgres_database() -> tuple[str, str]:
    admin = normalise_database_url(POSTGRES_ADMIN_URL)
    name = f"concierge_test_{uuid.uuid4().hex[:12]}"
    engine = create_async_engine(
        admin.url, isolation_level="AUTOCOMMIT", connect_args=admin.connect_args
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OSError as exc:
        pytest.fail(
            f"PostgreSQL is required for the test suite but {admin.display} is unreachable "
            f"({exc}); run `make test`, which starts it, or set TEST_POSTGRES_URL."
        )
    finally:
        await engine.dispose()
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    return name, url


async def _drop_postgres_database(name: str) -> None:
    admin = normalise_database_url(POSTGRES_ADMIN_URL)
    engine = create_async_engine(
        admin.url, isolation_level="AUTOCOMMIT", connect_args=admin.connect_args
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A freshly migrated database of each backend, for the whole session."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("sqlite") / "concierge-test.db"
        url = f"sqlite+aiosqlite:///{path}"
        await migrations.upgrade(url)
        yield url
        return
    name, url = await _create_postgres_database()
    try:
        await migrations.upgrade(url)
        yield url
    finally:
        await _drop_postgres_database(name)


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    # The cheapest argon2 cost: the tests sign up and log in hundreds of times.
    return Settings(
        DATABASE_URL=database_url,
        CONCIERGE_ENV="test",
        DB_BUSY_TIMEOUT_S=15,
        ARGON2_TIME_COST=1,
        ARGON2_MEMORY_KIB=8,
        ARGON2_PARALLELISM=1,
    )


@pytest.fixture(scope="session")
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(settings)
    yield engine
    await engine.dispose()


@dataclass
class StatementLog:
    """SQL statements the engine ran, without transaction bookkeeping."""

    statements: list[str] = field(default_factory=list)

    def record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not _BOOKKEEPING.match(statement):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)

    @property
    def selects(self) -> list[str]:
        return [s for s in self.statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]


@dataclass
class Database:
    """One test's handle on the shared database of its backend."""

    engine: AsyncEngine
    session_factory: async_sessionmaker[AsyncSession]
    url: str

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    def uow(self, scope: Scope | None = None, *, writes: bool = False) -> UnitOfWork:
        return UnitOfWork(self.session_factory, scope or Scope.admin(), writes=writes)

    @contextmanager
    def statements(self) -> Iterator[StatementLog]:
        log = StatementLog()
        event.listen(self.engine.sync_engine, "before_cursor_execute", log.record)
        try:
            yield log
        finally:
            event.remove(self.engine.sync_engine, "before_cursor_execute", log.record)

    async def wipe(self) -> None:
        async with self.engine.begin() as connection:
            for table in reversed(Base.metadata.sorted_tables):
                await connection.execute(table.delete())


@pytest.fixture
async def db(engine: AsyncEngine, database_url: str) -> AsyncIterator[Database]:
    """The backend's database, emptied again after the test."""
    database = Database(engine, create_session_factory(engine), database_url)
    yield database
    await database.wipe()


# -- the HTTP API ---------------------------------------------------------------


@dataclass
class Api:
    """Posts GraphQL over HTTP to the real app, in process, against the test database."""

    http: Any
    token: str | None = None

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> Any:
        headers = {}
        bearer = token if token is not None else self.token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def query(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """The response body of a request that must be answered with HTTP 200."""
        response = await self.post(query, variables, token=token)
        assert response.status_code == 200, response.text
        return response.json()

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """The ``data`` of a request that must succeed without GraphQL errors."""
        body = await self.query(query, variables, token=token)
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def sign_up(self, username: str, password: str = "correct-horse-1") -> str:
        """Create a member account and return its bearer token."""
        data = await self.data(
            "mutation($input: SignUpInput!) { signUp(input: $input) { token errors { message } } }",
            {
                "input": {
                    "email": f"{username}@example.com",
                    "username": username,
                    "password": password,
                }
            },
        )
        assert data["signUp"]["errors"] == [], data
        return data["signUp"]["token"]

    def as_(self, token: str) -> Api:
        return Api(self.http, token)


@pytest.fixture
async def api(db: Database, settings: Settings) -> AsyncIterator[Api]:
    """An HTTP client for the app wired to this backend's test database."""
    import httpx

    from gql.server.app import create_app

    app = create_app(settings, engine=db.engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield Api(http)


# -- signed-in operators, and rows seeded behind them ------------------------------
#
# Through the persistence layer, so each test states only what it is about.

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
