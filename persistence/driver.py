"""Built statements run on asyncpg directly, for the reads that run most often.

A compiled read (persistence/reads.py) is one Core statement, built once per
plan and run with a few values bound. Through ``AsyncConnection.execute`` each
run pays SQLAlchemy's execution pipeline: the compiled-cache lookup, the
execution context, a greenlet switch, the DB-API cursor adapter and the result
wrapper; for ``node(id:)`` that was about a fifth of the server's CPU per
request. Here the statement is compiled once (by SQLAlchemy, for the
connection's dialect) and each run goes to asyncpg's ``fetch`` on the
session's connection, so asyncpg prepares it once per connection.

What SQLAlchemy's pipeline does around a statement is kept: the engine's
``before_cursor_execute`` and ``after_cursor_execute`` listeners see it (the
statement counts and timings of persistence/instrumentation.py, tracing, the
tests' statement logs), bound values go through their types' bind processors,
rows read as values (``processed``) go through their columns' result processors
as SQLAlchemy's result would (an enum's text becomes its member), and an asyncpg
error becomes the ``DBAPIError`` SQLAlchemy would have raised,
through SQLAlchemy's own handling (``handle_error`` listeners, invalidating a
connection that was lost).

This leans on SQLAlchemy internals (2.1, as pinned in pyproject.toml):
``SQLCompiler._bind_processors``, ``positiontup`` and ``_result_columns``,
``TypeEngine._cached_result_processor``, ``Connection.dispatch``,
``Connection._dbapi_connection`` and ``Connection._handle_dbapi_exception``, and
the asyncpg adapter's ``_handle_exception``. Anything else (another driver, a statement with
expanding parameters) returns ``None`` and the caller executes as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.util import greenlet_spawn


class _Prepared:
    """A statement's SQL for asyncpg, its parameters in order and their processors."""

    __slots__ = ("_compiled", "_names", "_processors", "_results", "sql")

    def __init__(self, compiled: Any) -> None:
        self._compiled = compiled
        self.sql: str = compiled.string
        self._names: Sequence[str] = tuple(compiled.positiontup or ())
        self._processors: Mapping[str, Callable[[Any], Any]] = compiled._bind_processors
        # (position, processor) of the result columns that have one; asyncpg passes
        # no column type SQLAlchemy's processors would look at.
        self._results: tuple[tuple[int, Callable[[Any], Any]], ...] = tuple(
            (position, processor)
            for position, column in enumerate(compiled._result_columns)
            if (processor := column[3]._cached_result_processor(compiled.dialect, None)) is not None
        )

    def arguments(self, parameters: Mapping[str, Any]) -> list[Any]:
        values = self._compiled.construct_params(parameters)
        processors = self._processors
        arguments = []
        for name in self._names:
            value = values[name]
            processor = processors.get(name)
            arguments.append(value if processor is None or value is None else processor(value))
        return arguments

    def values(self, rows: list[Any]) -> list[Any]:
        """Each row's values as SQLAlchemy's result would give them, as tuples.

        Processed a column at a time: the rows are turned into columns and back by
        ``zip`` (in C), and only the columns with a processor are walked in Python.
        """
        results = self._results
        if not results or not rows:
            return rows
        columns: list[Any] = list(zip(*rows, strict=True))
        for position, processor in results:
            columns[position] = [
                None if value is None else processor(value) for value in columns[position]
            ]
        return list(zip(*columns, strict=True))


class _Context:
    """What cursor listeners get as the execution context: a place for their notes
    (tracing keeps its span on it)."""

    executemany = False


_prepared: WeakKeyDictionary[ClauseElement, _Prepared | None] = WeakKeyDictionary()


def _prepare(statement: ClauseElement, dialect: Dialect) -> _Prepared | None:
    try:
        return _prepared[statement]
    except KeyError:
        pass
    found: _Prepared | None = None
    if dialect.driver == "asyncpg":
        compiled: Any = statement.compile(dialect=dialect)
        if not any(bind.expanding for bind in compiled.binds.values()):
            found = _Prepared(compiled)
    _prepared[statement] = found
    return found


async def fetch(
    connection: Connection,
    statement: ClauseElement,
    parameters: Mapping[str, Any],
    *,
    processed: bool = False,
) -> list[Any] | None:
    """The rows of ``statement`` with ``parameters`` bound, read by asyncpg on
    ``connection`` (a synchronous ``Connection``: an ``AsyncConnection``'s, or one
    checked out for reads alone); ``None`` when this driver or statement must go
    through SQLAlchemy's execution instead. ``processed``: each row's values through their
    columns' result processors (else asyncpg's records as they come). Raises
    SQLAlchemy's ``DBAPIError`` on failure."""
    prepared = _prepare(statement, connection.dialect)
    if prepared is None:
        return None
    sql, arguments = prepared.sql, prepared.arguments(parameters)
    # The pooled connection, as ``Connection.connection`` gives it; only one that
    # was invalidated is reconnected, which awaits, in a greenlet.
    pooled: Any = connection._dbapi_connection or await greenlet_spawn(
        getattr, connection, "connection"
    )
    adapter: Any = pooled.dbapi_connection
    asyncpg_connection: Any = pooled.driver_connection
    context = _Context()
    listening = connection._has_events or connection.engine._has_events
    if listening:
        for listener in connection.dispatch.before_cursor_execute:
            sql, arguments = listener(connection, None, sql, arguments, context, False)
    try:
        rows: list[Any] = await asyncpg_connection.fetch(sql, *arguments)
    except Exception as error:
        try:
            adapter._handle_exception(error)  # raises the DB-API error of SQLAlchemy's adapter
        except Exception as translated:
            await greenlet_spawn(_handle, connection, translated, sql, arguments)
        raise
    if listening:
        connection.dispatch.after_cursor_execute(connection, None, sql, arguments, context, False)
    return prepared.values(rows) if processed else rows


def _handle(sync: Any, error: Exception, sql: str, arguments: list[Any]) -> None:
    """SQLAlchemy's handling of a failed statement (``handle_error`` listeners, a lost
    connection invalidated, the DB-API error wrapped as ``DBAPIError``; anything else,
    such as a client-side timeout, raised as it is). It reads the exception being
    handled from ``sys.exc_info()``, which a greenlet does not inherit: it is raised
    again here, inside the greenlet, and handled there."""
    try:
        raise error
    except Exception as handled:
        sync._handle_dbapi_exception(handled, sql, arguments, None, None)
