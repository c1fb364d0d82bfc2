"""Dashboard numbers, computed by the database in ONE grouped statement.

How buckets follow each owner's time zone, identically on both backends:
every timestamp is bucketed by :class:`LocalBucket`, one SQLAlchemy construct
compiled per dialect. PostgreSQL evaluates
``CAST(date_trunc(grain, timezone(zone, ts)) AS DATE)`` with its own tz
database; SQLite calls ``concierge_local_bucket(ts, zone, grain)``, a
deterministic function the engine registers on every connection, which runs
:func:`persistence.rules.buckets.local_bucket` (Python's zoneinfo) on the stored UTC
text. Both give the first local date of the day, ISO week (Monday) or month
that holds the instant in the zone of the row's owner (``UTC`` for owners
without a schedule), so the same rows land in the same buckets on both. The
date range is applied to the same local date, plus a plain UTC range (widened
by the largest zone offsets) that lets indexes narrow the scan.

Messages, conversations and appointments are read as one ``UNION ALL`` of
per-event rows (messages contribute role and token columns and the customer
for the distinct count, conversations their start, appointments their status)
and a single outer ``GROUP BY`` sums them per bucket. Buckets without events
are filled afterwards from the calendar (or, per persona, from a branch that
lists the personas themselves), never by loading event rows into Python.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Date,
    FromClause,
    Integer,
    Select,
    case,
    distinct,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.functions import FunctionElement

from persistence.models import (
    Appointment,
    AppointmentStatus,
    Channel,
    Conversation,
    Customer,
    Message,
    MessageRole,
    Persona,
    Schedule,
)
from persistence.repositories.base import SessionGate
from persistence.rules.buckets import Grain, bucket_starts
from persistence.scope import Scope

SQLITE_BUCKET_FUNCTION = "concierge_local_bucket"
# No zone is further than this from UTC, so a local date lies inside this UTC widening.
_WIDEST_OFFSET = timedelta(hours=15)


class LocalBucket(FunctionElement[date]):
    """The first local date of the ``grain`` bucket holding UTC timestamp ``ts`` in ``zone``."""

    type = Date()
    inherit_cache = True
    name = "local_bucket"

    def __init__(self, ts: Any, zone: Any, grain: Grain) -> None:
        super().__init__(ts, zone, literal_column(f"'{Grain(grain).value}'"))


@compiles(LocalBucket, "postgresql")
def _local_bucket_postgresql(element: LocalBucket, compiler: SQLCompiler, **kw: Any) -> str:
    ts, zone, grain = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"CAST(date_trunc({grain}, timezone({zone}, {ts})) AS DATE)"


@compiles(LocalBucket, "sqlite")
def _local_bucket_sqlite(element: LocalBucket, compiler: SQLCompiler, **kw: Any) -> str:
    ts, zone, grain = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"{SQLITE_BUCKET_FUNCTION}({ts}, {zone}, {grain})"


class UsageGrouping(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    PERSONA = "persona"
    CHANNEL = "channel"

    @property
    def grain(self) -> Grain | None:
        return Grain(self.value) if self.value in set(Grain) else None


@dataclass(frozen=True)
class UsageFilter:
    """Local dates ``first``..``last`` (both included) in each owner's zone."""

    first: date
    last: date
    persona_id: UUID | None = None
    customer_id: UUID | None = None


@dataclass(frozen=True)
class UsageBucket:
    """The numbers of one bucket; ``key`` is a local date, a persona id or a channel."""

    key: Any
    user_messages: int = 0
    assistant_messages: int = 0
    system_messages: int = 0
    tool_messages: int = 0
    conversations_started: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    pending_appointments: int = 0
    confirmed_appointments: int = 0
    cancelled_appointments: int = 0
    completed_appointments: int = 0
    active_customers: int = 0


_MEASURES = [f.name for f in fields(UsageBucket) if f.name not in ("key", "active_customers")]
_ZERO: ColumnClause[int] = literal_column("0", Integer)


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


class UsageRepository:
    """Usage numbers of the rows the scope may see (an admin's span every owner)."""

    def __init__(self, gate: SessionGate, scope: Scope) -> None:
        self._gate = gate
        self._scope = scope

    async def usage(self, filter_: UsageFilter, grouping: UsageGrouping) -> list[UsageBucket]:
        """One bucket per local day/week/month of the range (empty ones included),
        per persona, or per channel. Runs exactly one SQL statement."""
        events = union_all(*self._branches(filter_, grouping)).subquery("events")
        statement = select(
            events.c.key,
            *(func.coalesce(func.sum(events.c[name]), 0).label(name) for name in _MEASURES),
            func.count(distinct(events.c.customer_id)).label("active_customers"),
        ).group_by(events.c.key)
        found = {row.key: UsageBucket(**row._asdict()) for row in await self._gate.rows(statement)}
        return [found.get(key) or UsageBucket(key) for key in _keys(filter_, grouping, found)]

    def _branches(self, filter_: UsageFilter, grouping: UsageGrouping) -> list[Select[Any]]:
        branches = [
            self._messages(filter_, grouping),
            self._conversations(filter_, grouping),
            self._appointments(filter_, grouping),
        ]
        if grouping is UsageGrouping.PERSONA:
            branches.append(self._personas(filter_))
        return branches

    def _event_rows(
        self,
        grouping: UsageGrouping,
        filter_: UsageFilter,
        *,
        at: Any,
        owner_id: Any,
        persona_id: Any,
        customer_id: Any,
        source: FromClause,
        measures: dict[str, Any],
        customer: Any = None,
    ) -> Select[Any]:
        """One row per event: its bucket key, its measures (others zero)."""
        zone = func.coalesce(Schedule.timezone, "UTC")
        source = source.outerjoin(Schedule.__table__, Schedule.owner_id == owner_id)
        # A row pointing at another owner's persona or customer (which no mutation
        # allows) counts as one without: neither is grouped, filtered nor shown by it.
        if grouping is UsageGrouping.PERSONA or filter_.persona_id:
            source = source.outerjoin(
                Persona.__table__, (Persona.id == persona_id) & (Persona.owner_id == owner_id)
            )
            persona_id = Persona.id
        if grouping is UsageGrouping.CHANNEL or filter_.customer_id:
            source = source.outerjoin(
                Customer.__table__, (Customer.id == customer_id) & (Customer.owner_id == owner_id)
            )
            customer_id = Customer.id
        if grouping is UsageGrouping.PERSONA:
            key: Any = persona_id
        elif grouping is UsageGrouping.CHANNEL:
            key = Customer.channel
        else:
            key = LocalBucket(at, zone, Grain(grouping.value))
        start = datetime.combine(filter_.first, time(0), UTC) - _WIDEST_OFFSET
        end = datetime.combine(filter_.last + timedelta(days=1), time(0), UTC) + _WIDEST_OFFSET
        conditions = [
            self._scope.condition(owner_id),
            at >= start,
            at < end,
            LocalBucket(at, zone, Grain.DAY).between(filter_.first, filter_.last),
            persona_id == filter_.persona_id if filter_.persona_id else None,
            customer_id == filter_.customer_id if filter_.customer_id else None,
        ]
        columns = [key.label("key")]
        columns += [measures.get(name, _ZERO).label(name) for name in _MEASURES]
        columns.append((customer if customer is not None else null()).label("customer_id"))
        return (
            select(*columns)
            .select_from(source)
            .where(*(condition for condition in conditions if condition is not None))
        )

    def _messages(self, filter_: UsageFilter, grouping: UsageGrouping) -> Select[Any]:
        roles = {f"{role.value}_messages": _flag(Message.role == role) for role in MessageRole}
        return self._event_rows(
            grouping,
            filter_,
            at=Message.created_at,
            owner_id=Conversation.owner_id,
            persona_id=Conversation.persona_id,
            customer_id=Conversation.customer_id,
            source=Message.__table__.join(
                Conversation.__table__, Conversation.id == Message.conversation_id
            ),
            measures={
                **roles,
                "input_tokens": func.coalesce(Message.input_tokens, 0),
                "output_tokens": func.coalesce(Message.output_tokens, 0),
            },
            customer=Conversation.customer_id,
        )

    def _conversations(self, filter_: UsageFilter, grouping: UsageGrouping) -> Select[Any]:
        return self._event_rows(
            grouping,
            filter_,
            at=Conversation.created_at,
            owner_id=Conversation.owner_id,
            persona_id=Conversation.persona_id,
            customer_id=Conversation.customer_id,
            source=Conversation.__table__,
            measures={"conversations_started": literal_column("1")},
        )

    def _appointments(self, filter_: UsageFilter, grouping: UsageGrouping) -> Select[Any]:
        statuses = {
            f"{status.value}_appointments": _flag(Appointment.status == status)
            for status in AppointmentStatus
        }
        return self._event_rows(
            grouping,
            filter_,
            at=Appointment.starts_at,
            owner_id=Appointment.owner_id,
            persona_id=Appointment.persona_id,
            customer_id=Appointment.customer_id,
            source=Appointment.__table__,
            measures=statuses,
        )

    def _personas(self, filter_: UsageFilter) -> Select[Any]:
        """Every visible persona once, with nothing counted: its bucket exists even if idle."""
        conditions = [
            self._scope.condition(Persona.owner_id),
            Persona.id == filter_.persona_id if filter_.persona_id else None,
        ]
        columns: list[Any] = [Persona.id.label("key")]
        columns += [_ZERO.label(name) for name in _MEASURES]
        columns.append(null().label("customer_id"))
        return select(*columns).where(*(c for c in conditions if c is not None))


def _keys(
    filter_: UsageFilter, grouping: UsageGrouping, found: dict[Any, UsageBucket]
) -> list[Any]:
    """Every bucket to report, in order: the calendar's, every channel, or what was found."""
    grain = grouping.grain
    if grain is not None:
        return list(bucket_starts(filter_.first, filter_.last, grain))
    if grouping is UsageGrouping.CHANNEL:
        keys: list[Any] = list(Channel)
    else:
        keys = sorted((key for key in found if key is not None), key=str)
    return keys + ([None] if None in found else [])
