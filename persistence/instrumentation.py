"""What the database did for the caller: statements run and time spent per unit of
work (usually an HTTP request), and a log line for every slow statement.

SQLAlchemy's cursor events fire synchronously inside the greenlet that runs the
driver; SQLAlchemy hands that greenlet the awaiting task's context, so the
accumulator found through a :class:`~contextvars.ContextVar` is the caller's.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, ExceptionContext
from sqlalchemy.ext.asyncio import AsyncEngine

slow_query_logger = logging.getLogger("concierge.sql.slow")

# Transaction bookkeeping is not work the caller asked for; both backends emit it differently.
_BOOKKEEPING = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA)\b", re.I)
_STARTED = "concierge.statement_started"
_SHOWN_STATEMENT_CHARS = 500


@dataclass
class QueryStats:
    """SQL statements run on behalf of one caller and the time they took."""

    statements: int = 0
    seconds: float = 0.0

    @property
    def milliseconds(self) -> float:
        return self.seconds * 1000


_current: ContextVar[QueryStats | None] = ContextVar("concierge_query_stats", default=None)


@contextmanager
def track_queries() -> Iterator[QueryStats]:
    """Count the statements run by this task (and the tasks it starts) until exit."""
    stats = QueryStats()
    token = _current.set(stats)
    try:
        yield stats
    finally:
        _current.reset(token)


def current_query_stats() -> QueryStats | None:
    """The accumulator of the enclosing :func:`track_queries`, if any."""
    return _current.get()


def instrument(engine: AsyncEngine, slow_query_ms: float) -> None:
    """Time every statement ``engine`` runs: add it to the caller's :class:`QueryStats`
    and log it when it took ``slow_query_ms`` or longer (0 turns the slow log off).

    Statements are logged without their parameters, which may hold personal data.
    Instrumenting an engine again only changes its threshold.
    """
    sync_engine = engine.sync_engine
    timer = _timers.get(sync_engine)
    if timer is not None:
        timer.slow_query_ms = slow_query_ms
        return
    timer = _timers[sync_engine] = _StatementTimer(slow_query_ms)
    event.listen(sync_engine, "before_cursor_execute", timer.started)
    event.listen(sync_engine, "after_cursor_execute", timer.finished)
    event.listen(sync_engine, "handle_error", timer.failed)


class _StatementTimer:
    def __init__(self, slow_query_ms: float) -> None:
        self.slow_query_ms = slow_query_ms

    def started(self, conn: Connection, *_args: Any) -> None:
        conn.info.setdefault(_STARTED, []).append(time.perf_counter())

    def finished(self, conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        self._record(statement, time.perf_counter() - conn.info[_STARTED].pop())

    def failed(self, context: ExceptionContext) -> None:
        # A failed statement took time too, and its timer must not stay behind.
        conn = context.connection
        if conn is not None and context.statement is not None and conn.info.get(_STARTED):
            self._record(context.statement, time.perf_counter() - conn.info[_STARTED].pop())

    def _record(self, statement: str, elapsed: float) -> None:
        stats = _current.get()
        if stats is not None:
            stats.seconds += elapsed
            if not _BOOKKEEPING.match(statement):
                stats.statements += 1
        elapsed_ms = elapsed * 1000
        if self.slow_query_ms and elapsed_ms >= self.slow_query_ms:
            shown = " ".join(statement.split())[:_SHOWN_STATEMENT_CHARS]
            slow_query_logger.warning(
                "slow query: %.1f ms (threshold %g ms): %s",
                elapsed_ms,
                self.slow_query_ms,
                shown,
                extra={"duration_ms": round(elapsed_ms, 2), "statement": shown},
            )


_timers: WeakKeyDictionary[Engine, _StatementTimer] = WeakKeyDictionary()
