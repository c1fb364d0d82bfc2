"""What every repository shares: scoped reads, batch reads aligned to their keys,
keyset pages, per-parent pages in one statement, and serialised session access.

The reads the API's loaders make most (rows by id, root pages, per-parent pages)
come back as records (persistence/records.py) where a repository names one, from
Core statements built once per shape (its repository, scope kind, ordering,
cursors set, filter fields, dialect) and run with the values bound: the ids and
parents as one array, the page size, the cursors, the filter's values and the
owner. Building a statement costs more than running it (SQLAlchemy's cache key,
coercions, the ORM's compile state), and the ORM's identity map and instrumented
attributes are a cost per row that a read which changes nothing does not need.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import operator
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from itertools import groupby
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

from sqlalchemy import (
    ARRAY,
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    Uuid,
    any_,
    bindparam,
    func,
    select,
    true,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import InstrumentedAttribute, aliased
from sqlalchemy.sql.selectable import LateralFromClause, Subquery, TableValuedAlias
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.sql.visitors import iterate
from sqlalchemy.util import greenlet_spawn

from persistence import driver
from persistence.errors import NotFound, PersistenceError, translate
from persistence.models import Entity
from persistence.pagination import Ordering, Page, PageRequest
from persistence.records import record_columns
from persistence.scope import Scope, ScopeKind

M = TypeVar("M", bound=Entity)
T = TypeVar("T")


class SessionGate:
    """One request's session behind a lock.

    GraphQL resolves sibling fields concurrently, and an AsyncSession is not
    safe for concurrent use; every statement of a unit of work passes here.

    A unit that only reads, on PostgreSQL, runs its built statements (the
    loaders' reads and compiled reads, :meth:`bound_rows`) on a pooled
    connection it checks out for them alone, without the session: each of its
    statements stands on its own (no transaction spans them), and the session's
    transaction bookkeeping and connection wrappers cost more than a ``node(id:)``
    read's statement does. It holds one connection at a time: a statement that
    needs the session returns the reader's connection to the pool first, and once
    the session holds one, built statements run there too.
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._lock = asyncio.Lock()
        self.read_only = False
        self._autocommit_pending = False
        self._reader: Connection | None = None

    @functools.cached_property
    def session(self) -> AsyncSession:
        """The unit's session, made when first needed (a compiled read never does)."""
        return self._sessions()

    @property
    def _engine(self) -> Engine:
        """The engine the unit's sessions are bound to."""
        bind = self._sessions.kw["bind"]
        return bind.sync_engine if isinstance(bind, AsyncEngine) else bind

    def only_read(self) -> None:
        """Read without a transaction from now on (see :meth:`UnitOfWork.only_read`)."""
        self.read_only = True
        self._autocommit_pending = self.dialect == "postgresql"

    @contextlib.asynccontextmanager
    async def _exclusive(self, *, session: bool = True) -> AsyncIterator[None]:
        """The session to oneself, with driver errors translated to domain errors;
        ``session=False`` for a statement that may run on the reader's connection."""
        async with self._lock:
            try:
                if session:
                    await self._take_session()
                yield
            except (sa_exc.DBAPIError, sa_exc.TimeoutError, OSError, TimeoutError) as error:
                raise (translate(error) or PersistenceError(str(error))) from error

    async def connect(self) -> None:
        """Take the session's connection now, so that a database that cannot serve
        says so here rather than at the first statement."""
        async with self._exclusive():
            await self.session.connection()

    async def scalars(self, statement: Any) -> list[Any]:
        async with self._exclusive():
            return list((await self.session.scalars(statement)).all())

    async def rows(self, statement: Any) -> list[Any]:
        async with self._exclusive():
            return list((await self.session.execute(statement)).all())

    async def core_rows(self, statement: Any) -> list[Any]:
        """Rows of a Core statement, read on the session's connection without ORM
        result processing. Nothing is flushed first: repositories flush their writes."""
        async with self._exclusive():
            connection = await self.session.connection()
            return list((await connection.execute(statement)).all())

    async def bound_rows(self, statement: Any, parameters: dict[str, Any]) -> list[Any]:
        """Rows of a Core statement built once and run with ``parameters`` bound:
        by the driver directly where it can (persistence/driver.py; on the reader's
        connection in a unit that only reads), else on the session's connection
        through SQLAlchemy's compiled cache."""
        async with self._exclusive(session=False):
            return await self._bound(statement, parameters, processed=False)

    async def bound_records(
        self, statement: Any, parameters: dict[str, Any], record: type[T]
    ) -> list[T]:
        """Instances of ``record`` built from the rows of :meth:`bound_rows`, each
        value as SQLAlchemy's result processing gives it."""
        async with self._exclusive(session=False):
            rows = await self._bound(statement, parameters, processed=True)
            # A NamedTuple (persistence/records.py) of the statement's columns, in
            # order: built as its tuple, without ``_make``'s call and length check.
            build: Callable[[Any], T] = functools.partial(tuple.__new__, record)  # type: ignore[type-var]
            return list(map(build, rows))

    async def _bound(
        self, statement: Any, parameters: dict[str, Any], *, processed: bool
    ) -> list[Any]:
        reader = await self._reading_connection()
        if reader is not None:
            rows = await driver.fetch(reader, statement, parameters, processed=processed)
            if rows is not None:
                return rows
        connection = await self._session_connection()
        sync = connection.sync_connection
        assert sync is not None  # a connection the session holds is started
        rows = await driver.fetch(sync, statement, parameters, processed=processed)
        if rows is not None:
            return rows
        return list((await connection.execute(statement, parameters)).all())

    async def execute(
        self, statement: Any, parameters: Sequence[Mapping[str, Any]] | None = None
    ) -> None:
        """Run a statement that returns no rows (a bulk UPDATE or DELETE); with
        ``parameters``, once per set of them (one executemany)."""
        async with self._exclusive():
            await self.session.execute(statement, parameters)

    async def run_sync(self, function: Callable[[Any], T]) -> T:
        """``function`` called with the session's synchronous connection (to inspect
        the database, say), in turn with the unit's other statements."""
        async with self._exclusive():
            connection = await self.session.connection()
            return await connection.run_sync(function)

    async def scalar(self, statement: Any) -> Any:
        async with self._exclusive():
            return await self.session.scalar(statement)

    async def flush(self) -> None:
        async with self._exclusive():
            await self.session.flush()

    async def commit(self) -> None:
        if self.read_only:
            raise PersistenceError("a unit of work that only reads cannot commit")
        try:
            async with self._exclusive():
                await self.session.commit()
        except sa_exc.PendingRollbackError as error:
            # A failed write earlier in the unit already rolled all of it back.
            raise PersistenceError("an earlier error rolled this unit of work back") from error

    async def rollback(self) -> None:
        async with self._exclusive():
            await self.session.rollback()

    async def begin_writing(self) -> None:
        """Start the transaction a write needs. SQLite takes its write lock now,
        so a unit that read first cannot lose the upgrade race to another writer."""
        if self.read_only:
            raise PersistenceError("a unit of work that only reads cannot write")
        if self.dialect != "sqlite":
            return
        async with self._exclusive():
            if self.session.in_transaction():
                await self.session.commit()  # only reads so far: nothing to lose, rows stay loaded
            await self.session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})

    async def _reading_connection(self) -> Connection | None:
        """The reader's connection, checked out now if need be; ``None`` where built
        statements run on the session's (a unit that may write, SQLite, or a session
        that holds a connection already)."""
        if self._reader is not None:
            return self._reader
        if not self.read_only or ("session" in self.__dict__ and self.session.in_transaction()):
            return None
        engine = self._engine
        if engine.dialect.driver != "asyncpg":
            return None
        self._reader = await greenlet_spawn(engine.connect)
        return self._reader

    async def _take_session(self) -> None:
        """Ready the session for a statement: the reader's connection returned first,
        and in a unit that only reads on PostgreSQL, its own checked out in autocommit."""
        if self._reader is not None:
            await self._release_reader()
        if self._autocommit_pending:
            self._autocommit_pending = False
            if not self.session.in_transaction():
                await self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})

    async def _session_connection(self) -> AsyncConnection:
        await self._take_session()
        return await self.session.connection()

    async def _release_reader(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            await greenlet_spawn(reader.close)

    async def close(self) -> None:
        async with self._lock:
            try:
                await self._release_reader()
            finally:
                if "session" in self.__dict__:  # made, so perhaps used
                    await self.session.close()

    async def delete(self, row: Any) -> None:
        async with self._exclusive():
            await self.session.delete(row)

    def add(self, row: Any) -> None:
        self.session.add(row)

    def detach(self, row: Any) -> None:
        self.session.expunge(row)

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name


_BOUND = "filter_"


def bound(column_: Any, value: Any, name: str, *, expanding: bool = False) -> BindParameter[Any]:
    """A filter's value, bound by ``name`` with the type of the column it is compared
    with (so a UTC instant is converted as the column converts it)."""
    return bindparam(_BOUND + name, value, type_=column_.type, expanding=expanding)


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its wildcards escaped with ``/``."""
    escaped = text.replace("/", "//").replace("%", "/%").replace("_", "/_")
    return f"%{escaped}%"


class Filter:
    """What a list is narrowed to, as conditions over the repository's model.

    The conditions depend on which fields are set, never on their values: each
    value is bound by name (:func:`bound`). So one statement, built once, serves
    every filter that sets the same fields (see persistence/reads.py), and the
    values it binds are found in the conditions themselves (:meth:`bound_values`).
    """

    def conditions(self) -> list[ColumnElement[bool]]:
        raise NotImplementedError

    def bound_values(self) -> dict[str, Any]:
        return {
            element.key: element.value
            for condition in self.conditions()
            for element in iterate(condition)
            if isinstance(element, BindParameter) and element.key.startswith(_BOUND)
        }

    def shape(self) -> tuple[type, frozenset[str]]:
        """What the conditions' SQL depends on: the filter's type and the fields set."""
        return type(self), frozenset(self.bound_values())


# What the statements built once bind, besides a filter's values.
_OWNER = bindparam("scope_owner", type_=Uuid())
_LIMIT = bindparam("page_limit", type_=Integer())  # a page's size plus the one overfetched
_IDS = "keys"
_PARENTS = "parents"

# Statements built once, by what their SQL depends on. The keys are made of
# repository classes, orderings, record types and the shapes of filters (which
# fields are set): bounded by the code, not by what clients send.
_built: dict[tuple[Any, ...], Select[Any]] = {}


class Repository(Generic[M]):
    """Reads and writes of one aggregate, always within the caller's scope.

    ``record_type``: what the loaders' reads (:meth:`read_many`, :meth:`read_page`,
    :meth:`_pages_by_parent`) return instead of model instances.
    """

    model: ClassVar[type[Entity]]
    record_type: ClassVar[type[Any] | None] = None

    def __init__(self, gate: SessionGate, scope: Scope) -> None:
        self._gate = gate
        self._scope = scope

    # -- scoping -------------------------------------------------------------

    def _visible(self, owner: Any = None) -> ColumnElement[bool] | None:
        """The tenancy condition over this aggregate's rows; ``None``: all visible.
        ``owner`` stands for the owner's id where a built statement binds it."""
        return self._scope.condition(self.model.owner_id, owner)  # type: ignore[attr-defined]

    def _select(self, *where: ColumnElement[bool] | None) -> Select[tuple[M]]:
        conditions = [c for c in (self._visible(), *where) if c is not None]
        return select(self.model).where(*conditions)  # type: ignore[return-value]

    # -- statements built once ------------------------------------------------

    def _statement(self, shape: tuple[Any, ...], build: Callable[[], Select[Any]]) -> Select[Any]:
        """The statement of this shape, built on first use. The scope's kind is part
        of the shape: its owner is bound (see :meth:`_bound`)."""
        key = (type(self), ScopeKind.of(self._scope), self._gate.dialect, *shape)
        statement = _built.get(key)
        if statement is None:
            statement = _built[key] = build()
        return statement

    def _select_bound(self, *where: ColumnElement[bool] | None) -> Select[tuple[M]]:
        """:meth:`_select` with the owner bound later, for statements built once."""
        conditions = [c for c in (self._visible(_OWNER), *where) if c is not None]
        return select(self.model).where(*conditions)  # type: ignore[return-value]

    def _select_record(self, record: type[Any], *where: ColumnElement[bool] | None) -> Select[Any]:
        """The columns ``record`` is built from, of the visible rows matching ``where``."""
        table: Any = self.model.__table__
        return self._select_bound(*where).with_only_columns(
            *(table.c[name] for name in record_columns(record))
        )

    def _bound(self, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` and the scope's owner, for a statement of :meth:`_select_bound`."""
        if ScopeKind.of(self._scope) is ScopeKind.OWNER:
            values[_OWNER.key] = self._scope.owner_id
        return values

    def _keys_among(self, column: Any, name: str) -> ColumnElement[bool]:
        """``column`` is one of the ids bound as ``name``: one array on PostgreSQL,
        an expanding IN elsewhere (see :meth:`_among`)."""
        if self._gate.dialect == "postgresql":
            among: ColumnElement[bool] = column == any_(bindparam(name, type_=ARRAY(Uuid())))
        else:
            among = column.in_(bindparam(name, expanding=True, type_=column.type))
        return among

    def _record(self) -> type[Any]:
        if self.record_type is None:
            raise TypeError(f"{type(self).__name__} reads no records")
        return self.record_type

    # -- records, for the loaders ----------------------------------------------

    async def read_many(self, ids: Sequence[UUID]) -> list[Any]:
        """Records for ``ids`` in the same order, ``None`` where missing or not
        visible (:meth:`get_many` as records)."""
        if not ids:
            return []
        record = self._record()

        def build() -> Select[Any]:
            return self._select_record(record, self._keys_among(self.model.id, _IDS))

        statement = self._statement(("many", record), build)
        found = await self._gate.bound_records(
            statement, self._bound({_IDS: list(dict.fromkeys(ids))}), record
        )
        by_id = {row.id: row for row in found}
        return [by_id.get(id_) for id_ in ids]

    async def read_page(
        self, filter_: Filter, ordering: Ordering[Any], request: PageRequest
    ) -> Page[Any]:
        """One keyset page of the visible rows ``filter_`` matches, as records."""
        record = self._record()

        def build() -> Select[Any]:
            return (
                self._select_record(
                    record, *filter_.conditions(), *_cursor_conditions(ordering, request)
                )
                .order_by(*ordering.order_by(reverse=request.from_end))
                .limit(_LIMIT)
            )

        shape = ("page", record, filter_.shape(), ordering, *_cursor_shape(request))
        statement = self._statement(shape, build)
        values = filter_.bound_values() | _cursor_values(request)
        values[_LIMIT.key] = request.limit + 1
        rows = await self._gate.bound_records(statement, self._bound(values), record)
        return Page.from_overfetch(rows, request, ordering)

    # -- single and batch reads ----------------------------------------------

    async def get(self, id_: UUID) -> M:
        """The row with this id; raises :class:`NotFound` if missing or not visible."""
        (row,) = await self.get_many([id_])
        if row is None:
            raise NotFound(self.model.__tablename__.removesuffix("s"), id_)
        return row

    async def get_many(self, ids: Sequence[UUID]) -> list[M | None]:
        """Rows for ``ids`` in the same order, ``None`` where missing or not visible."""
        if not ids:
            return []
        rows = await self._gate.scalars(self._select(self._among(self.model.id, ids)))
        by_id = {row.id: row for row in rows}
        return [by_id.get(id_) for id_ in ids]

    async def lock(self, id_: UUID) -> M | None:
        """The visible row with this id, read afresh and locked until the unit of work
        ends; ``None`` if missing or not visible.

        A change that depends on what the row holds now (a status transition, a
        timestamp that must only move forward) reads it here, so concurrent
        changes of one row take turns instead of overwriting each other.
        PostgreSQL locks the row (``FOR UPDATE``); SQLite's writer already holds
        the whole database (``UnitOfWork(writes=True)``).
        """
        statement = self._select(self.model.id == id_).execution_options(populate_existing=True)
        if self._gate.dialect == "postgresql":
            statement = statement.with_for_update()
        rows = await self._gate.scalars(statement)
        return rows[0] if rows else None

    async def matching(self, *where: ColumnElement[bool] | None, order_by: Any = ()) -> list[M]:
        """Every visible row matching ``where`` (for exports: no page, no cap)."""
        order = order_by if isinstance(order_by, tuple | list) else (order_by,)
        return await self._gate.scalars(self._select(*where).order_by(*order, self.model.id))

    async def count(self, *where: ColumnElement[bool] | None) -> int:
        statement = select(func.count()).select_from(self._select(*where).subquery())
        return int(await self._gate.scalar(statement))

    async def page(
        self,
        ordering: Ordering[M],
        request: PageRequest,
        *where: ColumnElement[bool] | None,
    ) -> Page[M]:
        """One keyset page of the visible rows matching ``where``."""
        statement = (
            self._select(*where, *request.conditions(ordering))
            .order_by(*ordering.order_by(reverse=request.from_end))
            .limit(request.limit + 1)
        )
        rows = await self._gate.scalars(statement)
        return Page.from_overfetch(rows, request, ordering)

    # -- per-parent reads, one statement for any number of parents -------------

    async def _pages_by_parent(
        self,
        parent: InstrumentedAttribute[Any],
        parent_ids: Sequence[UUID],
        ordering: Ordering[Any],
        request: PageRequest,
        *where: ColumnElement[bool] | None,
    ) -> list[Page[Any]]:
        """A page of children (model instances) for each parent id, aligned to
        ``parent_ids``.

        One statement whatever the parent count. PostgreSQL runs a LATERAL
        subquery per parent, which reads only ``limit + 1`` rows of each through
        the index; SQLite numbers each parent's rows with a window function.
        """
        if not parent_ids:
            return []
        lateral = self._gate.dialect == "postgresql"
        if lateral:
            parents, page = self._lateral_page(parent, parent_ids, ordering, request, *where)
            statement = select(aliased(self.model, page)).select_from(parents).join(page, true())
        else:
            numbered = self._numbered_pages(parent, parent_ids, ordering, request, *where)
            statement = (
                select(aliased(self.model, numbered))
                .where(numbered.c.position <= request.limit + 1)
                .order_by(numbered.c[parent.key], numbered.c.position)
            )
        rows = await self._gate.scalars(statement)
        return _grouped_pages(rows, parent.key, parent_ids, ordering, request, sort=lateral)

    async def _record_pages_by_parent(
        self,
        parent: InstrumentedAttribute[Any],
        parent_ids: Sequence[UUID],
        ordering: Ordering[Any],
        request: PageRequest,
    ) -> list[Page[Any]]:
        """:meth:`_pages_by_parent` as records, from a statement built once per
        shape: the parents are one bound array (``unnest`` of it on PostgreSQL), the
        page size and cursors bound values. The rows come in order, parent by parent."""
        if not parent_ids:
            return []
        record = self._record()

        def build() -> Select[Any]:
            lateral = self._gate.dialect == "postgresql"
            cursors = _cursor_conditions(ordering, request)
            order = ordering.order_by(reverse=request.from_end)
            columns = record_columns(record)
            if lateral:
                parents = (
                    func.unnest(bindparam(_PARENTS, type_=ARRAY(Uuid())))
                    .table_valued("parent_id", with_ordinality="position")
                    .render_derived(name="parents")
                )
                page = (
                    self._select_record(record, parent == parents.c.parent_id, *cursors)
                    .order_by(*order)
                    .limit(_LIMIT)
                    .lateral("page")
                )
                # Each parent's rows in their order, sorted by the server rather than here.
                in_page = ClauseAdapter(page)
                return (
                    select(*(page.c[name] for name in columns))
                    .select_from(parents)
                    .join(page, true())
                    .order_by(parents.c.position, *(in_page.traverse(o) for o in order))
                )
            position = func.row_number().over(partition_by=parent, order_by=order)
            numbered = (
                self._select_record(record, self._keys_among(parent, _PARENTS), *cursors)
                .add_columns(position.label("position"))
                .subquery()
            )
            return (
                select(*(numbered.c[name] for name in columns))
                .where(numbered.c.position <= _LIMIT)
                .order_by(numbered.c[parent.key], numbered.c.position)
            )

        shape = ("pages", record, parent.key, ordering, *_cursor_shape(request))
        statement = self._statement(shape, build)
        values = _cursor_values(request)
        values[_PARENTS] = list(dict.fromkeys(parent_ids))
        values[_LIMIT.key] = request.limit + 1
        rows = await self._gate.bound_records(statement, self._bound(values), record)
        return _grouped_pages(rows, parent.key, parent_ids, ordering, request, sort=False)

    def _among(self, column: Any, ids: Sequence[UUID]) -> ColumnElement[bool]:
        """``column`` is one of ``ids``. On PostgreSQL one bound array, so the SQL is
        the same whatever the count (SQLAlchemy's compiled cache and the server's
        prepared statement serve every request); elsewhere an expanding IN."""
        if self._gate.dialect == "postgresql":
            among: ColumnElement[bool] = column == any_(_uuid_array(ids))
        else:
            among = column.in_(set(ids))
        return among

    def _lateral_page(
        self,
        parent: InstrumentedAttribute[Any],
        parent_ids: Sequence[UUID],
        ordering: Ordering[Any],
        request: PageRequest,
        *where: ColumnElement[bool] | None,
    ) -> tuple[TableValuedAlias, LateralFromClause]:
        # The parents as unnest() of one bound array, not a VALUES list whose SQL
        # changes with their count.
        parents = (
            func.unnest(_uuid_array(parent_ids))
            .table_valued("parent_id")
            .render_derived(name="parents")
        )
        page = (
            self._select(parent == parents.c.parent_id, *where, *request.conditions(ordering))
            .order_by(*ordering.order_by(reverse=request.from_end))
            .limit(request.limit + 1)
            .lateral("page")
        )
        return parents, page

    def _numbered_pages(
        self,
        parent: InstrumentedAttribute[Any],
        parent_ids: Sequence[UUID],
        ordering: Ordering[Any],
        request: PageRequest,
        *where: ColumnElement[bool] | None,
    ) -> Subquery:
        position = (
            func.row_number()
            .over(partition_by=parent, order_by=ordering.order_by(reverse=request.from_end))
            .label("position")
        )
        return (
            self._select(parent.in_(set(parent_ids)), *where, *request.conditions(ordering))
            .add_columns(position)
            .subquery()
        )

    async def _counts_by_parent(
        self,
        parent: InstrumentedAttribute[Any],
        parent_ids: Sequence[UUID],
        *where: ColumnElement[bool] | None,
    ) -> list[int]:
        """How many visible children each parent has, aligned to ``parent_ids``."""
        if not parent_ids:
            return []
        statement = (
            self._select(self._among(parent, parent_ids), *where)
            .with_only_columns(parent, func.count())
            .group_by(parent)
        )
        counts = {key: count for key, count in await self._gate.rows(statement)}
        return [counts.get(id_, 0) for id_ in parent_ids]

    # -- writes ----------------------------------------------------------------

    def _check_owner(self, owner_id: UUID, entity: str = "user") -> None:
        """Refuse, as not found, to act on rows of an owner the scope does not cover."""
        if not self._scope.may_act_for(owner_id):
            raise NotFound(entity, owner_id)

    async def add(self, row: M) -> M:
        """Insert ``row`` now so constraint violations surface as domain errors."""
        self._check_owner(row.owner_id)  # type: ignore[attr-defined]
        self._gate.add(row)
        await self._gate.flush()
        return row

    async def save(self, row: M) -> M:
        """Write pending changes of a loaded row."""
        await self._gate.flush()
        return row

    async def remove(self, row: M) -> None:
        await self._gate.delete(row)
        await self._gate.flush()


def _grouped_pages(
    rows: Sequence[Any],
    parent_key: str,
    parent_ids: Sequence[UUID],
    ordering: Ordering[Any],
    request: PageRequest,
    *,
    sort: bool,
) -> list[Page[Any]]:
    """Children by parent, as pages aligned to ``parent_ids``; ``sort``: the rows
    came in no order (a LATERAL join's outer query does not order) and each
    parent's are put in order here. Otherwise each parent's rows come together,
    in order, and are grouped as they come (``groupby``: in C, a deep page's
    2,000 messages in a third of the time)."""
    parent_of = operator.attrgetter(parent_key)
    grouped: dict[Any, list[Any]]
    if sort:
        grouped = defaultdict(list)
        for row in rows:
            grouped[parent_of(row)].append(row)
        backwards = ordering.descending != request.from_end
        for children in grouped.values():
            children.sort(key=ordering.key, reverse=backwards)
    else:
        grouped = {parent: list(children) for parent, children in groupby(rows, parent_of)}
    return [Page.from_overfetch(grouped.get(id_, []), request, ordering) for id_ in parent_ids]


def _cursor_shape(request: PageRequest) -> tuple[bool, bool, bool]:
    """What a page's SQL depends on in its request: direction and cursors set."""
    return (request.from_end, request.after is not None, request.before is not None)


def _cursor_conditions(ordering: Ordering[Any], request: PageRequest) -> list[ColumnElement[bool]]:
    """The request's cursor conditions with their key values bound later
    (:func:`_cursor_values`)."""
    found = []
    for prefix, cursor in (("after", request.after), ("before", request.before)):
        if cursor is not None:
            key = tuple(
                bindparam(f"{prefix}_{index}", type_=column_.type)
                for index, column_ in enumerate(ordering.columns)
            )
            found.append(ordering.beyond(key, before=prefix == "before"))
    return found


def _cursor_values(request: PageRequest) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for prefix, cursor in (("after", request.after), ("before", request.before)):
        if cursor is not None:
            values.update({f"{prefix}_{index}": value for index, value in enumerate(cursor)})
    return values


def _uuid_array(ids: Sequence[UUID]) -> BindParameter[Any]:
    """``ids``, without repeats, as one bound ``uuid[]`` parameter."""
    return bindparam(None, list(dict.fromkeys(ids)), type_=ARRAY(Uuid()), unique=True)
