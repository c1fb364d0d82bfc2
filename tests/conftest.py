"""Fixtures that give every database test a real, migrated database on BOTH
backends: an SQLite file and a throwaway PostgreSQL database."""

from __future__ import annotations

import contextlib
import os
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis
from graphql import GraphQLError, OperationType, parse
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
# A third backend for tests marked `pgvector`: PostgreSQL with the pgvector extension,
# served by PyPI's pgserver (Debian's PostgreSQL here has no pgvector package).
PGVECTOR = "pgvector"
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
_BOOKKEEPING = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b", re.I)


async def _create_postgres_database(
    admin_url: str = POSTGRES_ADMIN_URL, *, extension: str | None = None
) -> tuple[str, str]:
    admin = normalise_database_url(admin_url)
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
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    if extension is not None:
        target = normalise_database_url(url)
        engine = create_async_engine(target.url, connect_args=target.connect_args)
        try:
            async with engine.begin() as connection:
                await connection.execute(text(f"CREATE EXTENSION IF NOT EXISTS {extension}"))
        finally:
            await engine.dispose()
    return name, url


async def _drop_postgres_database(name: str, admin_url: str = POSTGRES_ADMIN_URL) -> None:
    admin = normalise_database_url(admin_url)
    engine = create_async_engine(
        admin.url, isolation_level="AUTOCOMMIT", connect_args=admin.connect_args
    )
    try:
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await engine.dispose()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every database test runs on each backend; those marked ``pgvector`` on
    PostgreSQL with pgvector as well."""
    if "database_url" in metafunc.fixturenames:
        marked = metafunc.definition.get_closest_marker("pgvector") is not None
        backends = (*BACKENDS, PGVECTOR) if marked else BACKENDS
        metafunc.parametrize("database_url", backends, indirect=True, scope="session")


@pytest.fixture(scope="session")
def pgvector_admin_url() -> Iterator[str]:
    """A PostgreSQL server with pgvector of the suite's own (pgserver, data under
    /tmp), started on first use and stopped at the end of the session."""
    import tempfile

    import pgserver

    data = tempfile.mkdtemp(prefix="concierge-pgvector-")
    server = pgserver.get_server(data, cleanup_mode="delete")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()


@pytest.fixture(scope="session")
async def streaming_pair() -> AsyncIterator[Any]:
    """A PostgreSQL primary and a streaming replica of the suite's own (initdb and
    pg_basebackup -R, see bench/replication.py), with a migrated `concierge`
    database on the primary, replayed by the replica."""
    from bench.replication import StreamingPair

    pair = StreamingPair()
    try:
        pair.start()
    except RuntimeError as error:
        pair.stop()
        pytest.fail(f"could not start a primary and a replica: {error}")
    try:
        pair.primary.sql("CREATE DATABASE concierge")
        await migrations.upgrade(pair.primary.url("concierge"))
        yield pair
    finally:
        pair.stop()


@pytest.fixture(scope="session")
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
    admin_url, extension = POSTGRES_ADMIN_URL, None
    if request.param == PGVECTOR:
        admin_url, extension = request.getfixturevalue("pgvector_admin_url"), "vector"
    name, url = await _create_postgres_database(admin_url, extension=extension)
    try:
        await migrations.upgrade(url)
        yield url
    finally:
        await _drop_postgres_database(name, admin_url)


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    # The cheapest argon2 cost: the tests sign up and log in hundreds of times.
    return Settings(
        DATABASE_URL=database_url,
        FILES_DIR=tmp_path_factory.mktemp("files"),
        CONCIERGE_ENV="test",
        DB_BUSY_TIMEOUT_S=15,
        ARGON2_TIME_COST=1,
        ARGON2_MEMORY_KIB=8,
        ARGON2_PARALLELISM=1,
    )


# The local Redis of `make test` (make redis); each test keeps to a key prefix of its own.
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
async def redis_prefix() -> AsyncIterator[str]:
    """A key prefix of this test's own in the local Redis, deleted afterwards."""
    prefix = f"concierge-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = aioredis.Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


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
    kind: str = "sqlite"  # sqlite, postgres or pgvector

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
async def db(
    engine: AsyncEngine, database_url: str, request: pytest.FixtureRequest
) -> AsyncIterator[Database]:
    """The backend's database, emptied again after the test."""
    kind = request.node.callspec.params["database_url"]
    database = Database(engine, create_session_factory(engine), database_url, kind)
    yield database
    await database.wipe()


# -- the HTTP API ---------------------------------------------------------------
#
# On PostgreSQL every query the suite sends is answered twice: by the app under
# test and by a twin with compiled reads and prepared queries the other way
# round (on its own engine, so statement counts see only the app under test).
# The two answers must be the same bytes (see gql/api/core/compiled.py and
# gql/api/core/prepared.py): a differential test of both over every document
# of the suite.

# Set while the twin answers: its log lines are not the test's (see `_quiet_twin`).
_twin_answering: ContextVar[bool] = ContextVar("twin_answering", default=False)

# Values that differ between two runs of one query whatever the read path.
# (A file's `url` carries an expiry that moves with the clock.)
VOLATILE = frozenset({"requestId", "latencyMs", "uptimeSeconds", "pool", "url"})


def _masked(value: Any) -> tuple[Any, bool]:
    if isinstance(value, dict):
        masked, found = {}, False
        for key, item in value.items():
            if key in VOLATILE:
                masked[key], found = "<volatile>", True
            else:
                masked[key], below = _masked(item)
                found = found or below
        return masked, found
    if isinstance(value, list):
        items = [_masked(item) for item in value]
        return [item for item, _ in items], any(found for _, found in items)
    return value, False


def comparable(content: bytes) -> bytes:
    """A response body as the differential check compares it: as sent, or, where it
    holds values that change from run to run, re-serialised (in its own key order)
    with those values masked."""
    try:
        parsed = orjson.loads(content)
    except orjson.JSONDecodeError:
        return content
    masked, found = _masked(parsed)
    return orjson.dumps(masked) if found else content


def _is_query(document: str) -> bool:
    """Whether a document's operations are all queries (nothing a second run changes)."""
    try:
        parsed = parse(document)
    except GraphQLError:
        return True  # refused before execution, alike on both paths
    return all(
        getattr(definition, "operation", OperationType.QUERY) is OperationType.QUERY
        for definition in parsed.definitions
    )


@dataclass
class Api:
    """Posts GraphQL over HTTP to the real app, in process, against the test database."""

    http: Any
    token: str | None = None
    twin: Any = None  # the same app with compiled reads and prepared queries the other way round
    app: Any = None

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> Any:
        headers = {}
        bearer = token if token is not None else self.token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        body = {"query": query, "variables": variables or {}}
        response = await self.http.post("/graphql", json=body, headers=headers)
        if self.twin is not None and _is_query(query):
            answering = _twin_answering.set(True)
            try:
                other = await self.twin.post("/graphql", json=body, headers=headers)
            finally:
                _twin_answering.reset(answering)
            assert (other.status_code, comparable(other.content)) == (
                response.status_code,
                comparable(response.content),
            ), f"compiled and loader reads answer differently:\n{query}"
        return response

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
        return Api(self.http, token, self.twin, self.app)


@pytest.fixture(autouse=True)
def _quiet_twin(caplog: pytest.LogCaptureFixture) -> None:
    """Tests read the log lines of the app under test, not those of its twin."""
    caplog.handler.addFilter(lambda _record: not _twin_answering.get())


@asynccontextmanager
async def serving(settings: Settings, engine: AsyncEngine) -> AsyncIterator[Api]:
    """The real app over ``engine``, as an :class:`Api`; on PostgreSQL with its twin
    (compiled reads and prepared queries the other way round) on an engine of its own."""
    import httpx

    from gql.server.app import create_app

    async with contextlib.AsyncExitStack() as stack:
        twin = None
        if engine.dialect.name == "postgresql":
            twin_engine = create_engine(settings)
            stack.push_async_callback(twin_engine.dispose)
            flipped = settings.model_copy(
                update={
                    "compiled_reads": not settings.compiled_reads,
                    "prepared_queries": not settings.prepared_queries,
                }
            )
            twin = await stack.enter_async_context(
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=create_app(flipped, engine=twin_engine)),
                    base_url="http://test",
                )
            )
        app = create_app(settings, engine=engine)
        http = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
        )
        yield Api(http, twin=twin, app=app)


@pytest.fixture
async def api(
    db: Database, settings: Settings, request: pytest.FixtureRequest
) -> AsyncIterator[Api]:
    """An HTTP client for the app wired to this backend's test database; tests marked
    ``loader_path`` get the app with compiled reads off, tests marked
    ``strawberry_path`` the app with prepared queries off."""
    if request.node.get_closest_marker("loader_path") is not None:
        settings = settings.model_copy(update={"compiled_reads": False})
    if request.node.get_closest_marker("strawberry_path") is not None:
        settings = settings.model_copy(update={"prepared_queries": False})
    async with serving(settings, db.engine) as client:
        yield client


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
