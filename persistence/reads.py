"""Reads the database answers as JSON: one statement builds a whole answer.

A *read plan* says what to read, in the domain's terms and nothing of GraphQL:
which entity, which columns under which names and how each is written, the
rows it points at (one), their children (a page with its order and size, a
count, or the newest one), and a connection's edges, cursors and page info.
:class:`JsonReads` turns a plan into ONE SQL statement on PostgreSQL whose
single value is the answer's JSON text; nothing is built in Python per row.

The text is written by the statement itself (string concatenation around
``to_json`` of each value, ``string_agg`` for lists) so that it is exactly what
the loader path's serialiser writes, byte for byte:

- compact: no space after ``:`` or ``,``, keys in the plan's order;
- strings escaped as orjson escapes them (PostgreSQL's ``to_json`` does the same);
- global ids are base64 of ``Type:uuid`` (``relay.to_base64``);
- instants are ISO 8601 in UTC as Python's ``isoformat`` writes them: six
  digits of fraction when there is one, none otherwise, ``+00:00``;
- enums are their names (the stored value in capitals);
- cursors are :class:`persistence.pagination.Ordering`'s key values behind the
  ordering's name and the list's fingerprint (see
  ``gql.api.core.connections.fingerprint``), as JSON, base64url-encoded.

JSON documents (``jsonb``) and floating-point numbers have no such exact
writing in SQL; plans leave them out and callers take the loader path.

Every table the statement reads is filtered by the repositories' tenancy
predicate (``Scope.condition``). A statement is built once per plan, filter
shape and kind of scope and kept; the owner, page sizes, a cursor's key values
and a filter's values are bound at each execution, so PostgreSQL prepares it
once per connection. SQLite has no compiled reads (it has no base64 encoder
for ids and cursors): callers take the loader path there.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any
from uuid import UUID

from cachetools import LRUCache
from sqlalchemy import (
    ARRAY,
    Column,
    ColumnElement,
    FromClause,
    Integer,
    Select,
    Text,
    Uuid,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    select,
    type_coerce,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.sql.util import ClauseAdapter
from sqlalchemy.sql.visitors import iterate

from persistence.models import (
    Appointment,
    Conversation,
    Customer,
    Entity,
    File,
    Message,
    Persona,
    User,
)
from persistence.pagination import Key, Ordering, PageRequest
from persistence.repositories.base import Filter, SessionGate
from persistence.scope import Scope, ScopeKind

# -- the plan -----------------------------------------------------------------


class Encoding(enum.Enum):
    """How a column is written in the answer."""

    PLAIN = "plain"  # text, integers, booleans: as JSON has them
    ENUM = "enum"  # the stored value in capitals: the GraphQL enum's name
    INSTANT = "instant"  # ISO 8601 in UTC, as Python's isoformat writes it


@dataclass(frozen=True)
class Value:
    name: str
    column: str
    encoding: Encoding = Encoding.PLAIN


@dataclass(frozen=True)
class GlobalId:
    name: str
    type_name: str


@dataclass(frozen=True)
class Constant:
    """A fixed string (a ``__typename``)."""

    name: str
    value: str


@dataclass(frozen=True)
class One:
    """The row a column points at (a conversation's persona), or null."""

    name: str
    relation: str
    shape: Shape


@dataclass(frozen=True)
class Count:
    """How many children the row has (a conversation's messages)."""

    name: str
    relation: str


@dataclass(frozen=True)
class Latest:
    """The newest child (a conversation's last message), or null."""

    name: str
    relation: str
    shape: Shape


@dataclass(frozen=True)
class Many:
    """A page of the row's children, as a connection."""

    name: str
    relation: str
    connection: ConnectionShape


Part = Value | GlobalId | Constant | One | Count | Latest | Many


class HashedOnce:
    """A plan hashes its parts once, when it is made.

    Plans are dictionary keys on every request (the loaders' keys, the cache of
    statements) and nest (a shape holds shapes and connections); left to the
    dataclass, each lookup hashed the whole tree again, enums included.
    """

    _hash: int

    def __post_init__(self) -> None:
        values = tuple(getattr(self, field.name) for field in fields(self))  # type: ignore[arg-type]
        object.__setattr__(self, "_hash", hash(values))

    def __hash__(self) -> int:
        return self._hash


@dataclass(frozen=True)
class Shape(HashedOnce):
    """One row as a JSON object: its parts, in the answer's order."""

    parts: tuple[Part, ...]

    __hash__ = HashedOnce.__hash__


class PageInfoPart(enum.Enum):
    HAS_NEXT_PAGE = "has_next_page"
    HAS_PREVIOUS_PAGE = "has_previous_page"
    START_CURSOR = "start_cursor"
    END_CURSOR = "end_cursor"


@dataclass(frozen=True)
class Cursor:
    """An edge's cursor."""


@dataclass(frozen=True)
class Edges:
    name: str
    parts: tuple[tuple[str, Shape | Cursor | Constant], ...]  # (name, the node | cursor | typename)


@dataclass(frozen=True)
class PageInfo:
    name: str
    parts: tuple[tuple[str, PageInfoPart | Constant], ...]


@dataclass(frozen=True)
class TotalCount:
    name: str


@dataclass(frozen=True)
class PageShape:
    """Which page: the order, from which end, and whether cursors bound it. The
    size and the cursors' values are bound at execution (see :class:`PageValues`),
    except for nested pages, whose size is part of the plan."""

    ordering: str
    from_end: bool = False
    after: bool = False
    before: bool = False
    size: int | None = None


@dataclass(frozen=True)
class ConnectionShape(HashedOnce):
    page: PageShape
    parts: tuple[Edges | PageInfo | TotalCount | Constant, ...]

    __hash__ = HashedOnce.__hash__


@dataclass(frozen=True)
class PageValues:
    """What a root page binds: its size, its cursors' key values, its fingerprint."""

    limit: int
    after: Key | None
    before: Key | None
    fingerprint: str

    @classmethod
    def of(cls, request: PageRequest, fingerprint: str) -> PageValues:
        return cls(request.limit, request.after, request.before, fingerprint)


# -- what the plan's names stand for ---------------------------------------------


@dataclass(frozen=True)
class Relation:
    """From a row of one entity to rows of another: ``child.key == parent.source``.

    ``counted`` names the parent's column that keeps how many children it has
    (its writers keep it exact): counts and a page's total read it instead of
    counting the children.
    """

    entity: str
    key: str  # column of the child
    source: str  # column of the parent
    orderings: Mapping[str, Ordering[Any]] | None = None  # for pages and the newest
    counted: str | None = None


@dataclass(frozen=True)
class EntityReads:
    model: type[Entity]
    owner: str | None  # the column of the owner, for the tenancy predicate
    relations: Mapping[str, Relation]
    # Without an owner column: visible with the row this column points at.
    visible_with: tuple[str, str] | None = None  # (column, entity)
    newest: str | None = None  # the ordering a Latest part picks its child by

    def ordering(self, relation: str, name: str) -> Ordering[Any]:
        orderings = self.relations[relation].orderings
        if orderings is None or name not in orderings:
            raise KeyError(f"{relation} has no ordering {name}")
        return orderings[name]


def _orderings(*orderings: Ordering[Any]) -> dict[str, Ordering[Any]]:
    return {ordering.name: ordering for ordering in orderings}


def _entities() -> dict[str, EntityReads]:
    from persistence.repositories import appointments, conversations, messages, personas

    by_activity = _orderings(
        conversations.CONVERSATIONS_BY_ACTIVITY,
        conversations.CONVERSATIONS_NEWEST_FIRST,
        conversations.CONVERSATIONS_RECENTLY_UPDATED,
    )
    of_messages = _orderings(messages.MESSAGES_OLDEST_FIRST, messages.MESSAGES_NEWEST_FIRST)
    of_personas = _orderings(personas.PERSONAS_BY_NAME, personas.PERSONAS_NEWEST_FIRST)
    of_appointments = _orderings(
        appointments.APPOINTMENTS_BY_START, appointments.APPOINTMENTS_LATEST_START_FIRST
    )
    return {
        "user": EntityReads(
            User, "id", {"personas": Relation("persona", "owner_id", "id", of_personas)}
        ),
        "persona": EntityReads(
            Persona,
            "owner_id",
            {"conversations": Relation("conversation", "persona_id", "id", by_activity)},
        ),
        "customer": EntityReads(
            Customer,
            "owner_id",
            {
                "conversations": Relation("conversation", "customer_id", "id", by_activity),
                "appointments": Relation("appointment", "customer_id", "id", of_appointments),
            },
        ),
        "conversation": EntityReads(
            Conversation,
            "owner_id",
            {
                "persona": Relation("persona", "id", "persona_id"),
                "customer": Relation("customer", "id", "customer_id"),
                "messages": Relation(
                    "message", "conversation_id", "id", of_messages, counted="message_count"
                ),
            },
        ),
        # A message is visible when its conversation is (see MessageRepository).
        "message": EntityReads(
            Message,
            None,
            {"conversation": Relation("conversation", "id", "conversation_id")},
            visible_with=("conversation_id", "conversation"),
            newest=messages.MESSAGES_NEWEST_FIRST.name,
        ),
        "appointment": EntityReads(
            Appointment,
            "owner_id",
            {
                "customer": Relation("customer", "id", "customer_id"),
                "persona": Relation("persona", "id", "persona_id"),
            },
        ),
        "file": EntityReads(File, "owner_id", {}),
    }


ENTITIES = _entities()


def entity_of(model: type[Entity]) -> str:
    """The plan name of a model's entity."""
    for name, reads in ENTITIES.items():
        if reads.model is model:
            return name
    raise KeyError(model.__name__)


# -- SQL ----------------------------------------------------------------------------


_OWNER = bindparam("owner", type_=Uuid())
_LIMIT = bindparam("limit", type_=Integer())
_FINGERPRINT = bindparam("fingerprint", type_=Text())


def _sql(text: str) -> ColumnElement[str]:
    """A constant of the statement's text (not a bound parameter)."""
    return literal_column("'" + text.replace("'", "''") + "'", Text())


_NULL = _sql("null")


def _concat(pieces: Sequence[str | ColumnElement[str]]) -> ColumnElement[str]:
    """The pieces written one after the other; adjacent constants are merged, and
    PostgreSQL's limit of 100 arguments per call is respected."""
    merged: list[str | ColumnElement[str]] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    args = [_sql(piece) if isinstance(piece, str) else piece for piece in merged]
    if len(args) == 1:
        return args[0]
    while len(args) > 90:
        args = [func.concat(*args[i : i + 90]) for i in range(0, len(args), 90)]
    return func.concat(*args)


def _object(members: Sequence[tuple[str, ColumnElement[str] | str]]) -> ColumnElement[str]:
    """A JSON object of already-written member values (names are GraphQL names:
    nothing in them needs escaping)."""
    pieces: list[str | ColumnElement[str]] = ["{"]
    for index, (name, value) in enumerate(members):
        pieces += [("," if index else "") + f'"{name}":', value]
    pieces.append("}")
    return _concat(pieces)


def _quoted(text: ColumnElement[str]) -> ColumnElement[str]:
    """Text that needs no escaping (base64, ISO instants) as a JSON string; NULL
    stays NULL (``||``, unlike ``concat``, propagates it)."""
    return _sql('"').op("||")(text).op("||")(_sql('"'))


def _or_null(value: ColumnElement[str]) -> ColumnElement[str]:
    return func.coalesce(value, _NULL)


def _json(value: ColumnElement[Any]) -> ColumnElement[str]:
    return cast(func.to_json(value), Text)


def _instant(column_: ColumnElement[Any]) -> ColumnElement[str]:
    """Python's ``isoformat()`` of a UTC instant (NULL stays NULL)."""
    whole = 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'
    fraction = 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'
    layout = case(
        (func.date_trunc(_sql("second"), column_) == column_, _sql(whole)), else_=_sql(fraction)
    )
    return func.to_char(func.timezone(_sql("UTC"), column_), layout)


def _base64(text: ColumnElement[str]) -> ColumnElement[str]:
    return func.encode(func.convert_to(text, _sql("UTF8")), _sql("base64"))


def _global_id(type_name: str, id_column: ColumnElement[Any]) -> ColumnElement[str]:
    # `Type:uuid` is under 57 bytes for every type: base64 puts it on one line.
    return _base64(_concat([f"{type_name}:", cast(id_column, Text)]))


def _written(column_: Any, encoding: Encoding) -> ColumnElement[str]:
    if encoding is Encoding.INSTANT:
        written = _quoted(_instant(column_))
    elif encoding is Encoding.ENUM:
        written = _quoted(func.upper(column_))
    else:
        written = _json(column_)
    return _or_null(written) if column_.nullable else written


def _cursor(
    ordering: Ordering[Any], fingerprint: ColumnElement[str], over: Ordering[Any]
) -> ColumnElement[str]:
    """A row's cursor, as ``gql.api.core.connections.CursorCodec`` writes it."""
    pieces: list[str | ColumnElement[str]] = [f'["{ordering.name}","', fingerprint, '"']
    for column_, kind in zip(over.columns, ordering.types, strict=True):
        pieces.append(",")
        if kind is int:
            pieces.append(cast(column_, Text))
        elif kind is str:
            pieces.append(_json(column_))
        elif kind is UUID:
            pieces += ['"', cast(column_, Text), '"']
        else:
            pieces += ['"', _instant(column_), '"']
    pieces.append("]")
    # base64url, without the line breaks PostgreSQL's encoder puts every 76 characters
    return func.translate(_base64(_concat(pieces)), _sql("+/\n"), _sql("-_"))


def _adapted(ordering: Ordering[Any], table: FromClause) -> Ordering[Any]:
    """``ordering`` over ``table`` (an alias or subquery of its table)."""
    adapter = ClauseAdapter(table)
    return Ordering(
        name=ordering.name,
        columns=tuple(adapter.traverse(_core(column_)) for column_ in ordering.columns),
        key=ordering.key,
        types=ordering.types,
        descending=ordering.descending,
    )


def _core(column_: Any) -> Any:
    """The Core expression of a mapped attribute (orderings name some by attribute)."""
    clause = getattr(column_, "__clause_element__", None)
    return clause() if clause is not None else column_


def _int(value: int) -> ColumnElement[int]:
    return literal_column(str(int(value)), Integer())


def _key_params(prefix: str, ordering: Ordering[Any]) -> tuple[Any, ...]:
    return tuple(
        bindparam(f"{prefix}_{index}", type_=column_.type)
        for index, column_ in enumerate(ordering.columns)
    )


def _first(value: ColumnElement[Any], order: Any, shown: ColumnElement[bool]) -> Any:
    values = func.array_agg(aggregate_order_by(value, order)).filter(shown)
    return type_coerce(values, ARRAY(Text))[_int(1)]


class _Builder:
    """Builds one statement; every table it reads gets its own alias."""

    def __init__(self, kind: ScopeKind) -> None:
        self.scope = kind.scope()
        self.aliases = 0

    def name(self, prefix: str) -> str:
        self.aliases += 1
        return f"{prefix}{self.aliases}"

    def alias(self, entity: str) -> FromClause:
        return ENTITIES[entity].model.__table__.alias(self.name("t"))

    # -- tenancy ----------------------------------------------------------------

    def visible(self, entity: str, table: FromClause) -> ColumnElement[bool] | None:
        """The repositories' tenancy predicate over ``table``, the owner bound."""
        reads = ENTITIES[entity]
        if reads.owner is not None:
            return self.scope.condition(table.c[reads.owner], _OWNER)
        assert reads.visible_with is not None
        column_, parent = reads.visible_with
        parents = self.alias(parent)
        owner = self.visible(parent, parents)
        if owner is None:
            return None
        return table.c[column_].in_(select(parents.c.id).where(owner))

    def related(
        self, entity: str, parent: FromClause, relation: Relation
    ) -> tuple[FromClause, list[ColumnElement[bool]]]:
        """The child table of ``relation`` and what picks the parent's visible rows."""
        child = self.alias(relation.entity)
        where = [child.c[relation.key] == parent.c[relation.source]]
        # A child visible with the row it points at needs no predicate of its own
        # when reached from that (visible) row.
        implied = ENTITIES[relation.entity].visible_with == (relation.key, entity)
        visible = None if implied else self.visible(relation.entity, child)
        return child, [*where, *([visible] if visible is not None else [])]

    # -- objects -------------------------------------------------------------------

    def shape(self, entity: str, table: FromClause, shape: Shape) -> ColumnElement[str]:
        return _object([(part.name, self.part(entity, table, part)) for part in shape.parts])

    def part(self, entity: str, table: FromClause, part: Part) -> ColumnElement[str] | str:
        if isinstance(part, Value):
            return _written(table.c[part.column], part.encoding)
        if isinstance(part, GlobalId):
            return _quoted(_global_id(part.type_name, table.c.id))
        if isinstance(part, Constant):
            return f'"{part.value}"'
        relation = ENTITIES[entity].relations[part.relation]
        if isinstance(part, Count) and relation.counted is not None:
            return cast(table.c[relation.counted], Text)
        child, where = self.related(entity, table, relation)
        if isinstance(part, One):
            row = select(self.shape(relation.entity, child, part.shape)).where(*where)
            return _or_null(row.correlate(table).limit(_int(1)).scalar_subquery())
        if isinstance(part, Count):
            count = select(func.count()).select_from(child).where(*where).correlate(table)
            return cast(count.scalar_subquery(), Text)
        if isinstance(part, Latest):
            reads = ENTITIES[relation.entity]
            assert reads.newest is not None
            newest = _adapted(ENTITIES[entity].ordering(part.relation, reads.newest), child)
            row = select(self.shape(relation.entity, child, part.shape)).where(*where)
            row = row.order_by(*newest.order_by()).limit(_int(1)).correlate(table)
            return _or_null(row.scalar_subquery())
        page = part.connection.page
        assert page.size is not None
        ordering = ENTITIES[entity].ordering(part.relation, page.ordering)
        fingerprint = func.substr(
            func.md5(_concat(['"', cast(table.c[relation.source], Text), '"'])), _int(1), _int(12)
        )
        return self.connection(
            relation.entity,
            child,
            where,
            ordering,
            part.connection,
            _int(page.size),
            fingerprint,
            correlate=table,
            total=table.c[relation.counted] if relation.counted is not None else None,
        )

    # -- connections -----------------------------------------------------------------

    def connection(
        self,
        entity: str,
        table: FromClause,
        where: Sequence[ColumnElement[bool]],
        ordering: Ordering[Any],
        connection: ConnectionShape,
        limit: ColumnElement[int],
        fingerprint: ColumnElement[str],
        correlate: FromClause | None = None,
        total: ColumnElement[int] | None = None,
    ) -> ColumnElement[str]:
        """A page of ``table``'s rows matching ``where``, as a connection object;
        its total is ``total`` where the rows' parent keeps it, else counted."""
        page = connection.page
        adapted = _adapted(ordering, table)
        conditions = list(where)
        if page.after:
            conditions.append(adapted.beyond(_key_params("after", ordering), before=False))
        if page.before:
            conditions.append(adapted.beyond(_key_params("before", ordering), before=True))
        rows_select = (
            select(*_needed_columns(entity, table, connection, ordering))
            .where(*conditions)
            .order_by(*adapted.order_by(reverse=page.from_end))
            .limit(limit + _int(1))
        )
        if correlate is not None:
            rows_select = rows_select.correlate(correlate)
        rows = rows_select.subquery(self.name("p"))
        in_rows = _adapted(ordering, rows)
        numbered = select(
            rows,
            func.row_number().over(order_by=in_rows.order_by(reverse=page.from_end)).label("n"),
        ).subquery(self.name("w"))
        position = numbered.c.n
        shown = position <= limit
        # The answer lists rows in the ordering's direction, whichever end they came from.
        in_order = position.desc() if page.from_end else position.asc()
        backwards = position.asc() if page.from_end else position.desc()
        cursor = _cursor(ordering, fingerprint, _adapted(ordering, numbered))
        more = func.count() > limit
        members: list[tuple[str, ColumnElement[str] | str]] = []
        for part in connection.parts:
            if isinstance(part, Constant):
                members.append((part.name, f'"{part.value}"'))
            elif isinstance(part, TotalCount):
                if total is None:
                    counted = select(func.count()).select_from(table).where(*where)
                    if correlate is not None:
                        counted = counted.correlate(correlate)
                    total = counted.scalar_subquery()
                members.append((part.name, cast(total, Text)))
            elif isinstance(part, Edges):
                edge: list[tuple[str, ColumnElement[str] | str]] = []
                for name, what in part.parts:
                    if isinstance(what, Shape):
                        edge.append((name, self.shape(entity, numbered, what)))
                    elif isinstance(what, Cursor):
                        edge.append((name, _quoted(cursor)))
                    else:
                        edge.append((name, f'"{what.value}"'))
                edges = func.string_agg(_object(edge), aggregate_order_by(_sql(","), in_order))
                listed = func.coalesce(edges.filter(shown), _sql(""))
                members.append((part.name, _concat(["[", listed, "]"])))
            else:
                info: list[tuple[str, ColumnElement[str] | str]] = []
                for name, which in part.parts:
                    if isinstance(which, Constant):
                        info.append((name, f'"{which.value}"'))
                    elif which is PageInfoPart.HAS_NEXT_PAGE:
                        info.append((name, _boolean(page.before) if page.from_end else _json(more)))
                    elif which is PageInfoPart.HAS_PREVIOUS_PAGE:
                        info.append((name, _json(more) if page.from_end else _boolean(page.after)))
                    else:
                        order = in_order if which is PageInfoPart.START_CURSOR else backwards
                        end = _first(cursor, order, shown)
                        info.append((name, _or_null(_quoted(end))))
                members.append((part.name, _object(info)))
        answer = select(_object(members))
        if any(isinstance(part, Edges | PageInfo) for part in connection.parts):
            answer = answer.select_from(numbered)
        # else only counts and constants: no rows to aggregate (and exactly one answer).
        if correlate is not None:
            answer = answer.correlate(correlate)  # a total the parent keeps is the parent's
        return answer.scalar_subquery()


def _boolean(value: bool) -> str:
    return "true" if value else "false"


def _needed_columns(
    entity: str, table: FromClause, connection: ConnectionShape, ordering: Ordering[Any]
) -> list[Any]:
    """The columns of ``table`` a page's edges, cursors and nested parts read."""
    names = {"id"}
    for column_ in _adapted(ordering, table).columns:
        names |= {c.name for c in iterate(column_) if isinstance(c, Column)}
    for part in connection.parts:
        if isinstance(part, Edges):
            for _, what in part.parts:
                if isinstance(what, Shape):
                    names |= _shape_columns(entity, what)
    return [table.c[name] for name in sorted(names)]


def _shape_columns(entity: str, shape: Shape) -> set[str]:
    names = set()
    for part in shape.parts:
        if isinstance(part, Value):
            names.add(part.column)
        elif isinstance(part, One | Count | Latest | Many):
            relation = ENTITIES[entity].relations[part.relation]
            names.add(relation.source)
            if isinstance(part, Count | Many) and relation.counted is not None:
                names.add(relation.counted)
    return names


def _page_statement(
    entity: str,
    filter_: Filter | None,
    ordering: Ordering[Any],
    connection: ConnectionShape,
    kind: ScopeKind,
) -> Select[Any]:
    builder = _Builder(kind)
    table = builder.alias(entity)
    conditions = [builder.visible(entity, table)]
    if filter_ is not None:
        adapter = ClauseAdapter(table)
        conditions += [adapter.traverse(c) for c in filter_.conditions()]
    answer = builder.connection(
        entity,
        table,
        [c for c in conditions if c is not None],
        ordering,
        connection,
        _LIMIT,
        _FINGERPRINT,
    )
    return select(answer)


def _rows_statement(entity: str, shape: Shape, kind: ScopeKind) -> Select[Any]:
    builder = _Builder(kind)
    table = builder.alias(entity)
    visible = builder.visible(entity, table)
    ids = bindparam("ids", type_=ARRAY(Uuid()))
    conditions = [table.c.id == func.any(ids), visible]
    return select(table.c.id, builder.shape(entity, table, shape)).where(
        *(c for c in conditions if c is not None)
    )


# Built statements, by what their SQL depends on. Each is a few kilobytes; a
# schema has a bounded number of plans a client can ask for in practice.
_statements: LRUCache[Any, Select[Any]] = LRUCache(maxsize=1024)


def supports(gate: SessionGate) -> bool:
    """Whether this database answers compiled reads (PostgreSQL does)."""
    return gate.dialect == "postgresql"


class JsonReads:
    """Answers read plans with one statement each, within the caller's scope."""

    def __init__(self, gate: SessionGate, scope: Scope) -> None:
        self._gate = gate
        self._scope = scope
        self._kind = ScopeKind.of(scope)

    @property
    def supported(self) -> bool:
        return supports(self._gate)

    def _bind(self, values: dict[str, Any]) -> dict[str, Any]:
        if self._kind is ScopeKind.OWNER:
            values["owner"] = self._scope.owner_id
        return values

    async def page(
        self,
        entity: str,
        filter_: Filter | None,
        ordering: Ordering[Any],
        connection: ConnectionShape,
        values: PageValues,
    ) -> str:
        """A page of ``entity``'s visible rows matching ``filter_``, as JSON text."""
        shape = filter_.shape() if filter_ is not None else None
        key = ("page", entity, shape, ordering.name, connection, self._kind)
        statement = _statements.get(key)
        if statement is None:
            statement = _statements[key] = _page_statement(
                entity, filter_, ordering, connection, self._kind
            )
        bound: dict[str, Any] = {"limit": values.limit, "fingerprint": values.fingerprint}
        if filter_ is not None:
            bound.update(filter_.bound_values())
        for prefix, cursor in (("after", values.after), ("before", values.before)):
            if cursor is not None:
                bound.update({f"{prefix}_{i}": value for i, value in enumerate(cursor)})
        rows = await self._gate.bound_rows(statement, self._bind(bound))
        return str(rows[0][0])

    async def rows(self, entity: str, shape: Shape, ids: Sequence[UUID]) -> list[str | None]:
        """Rows of ``entity`` by id as JSON objects, aligned to ``ids`` (``None``:
        missing or not visible)."""
        if not ids:
            return []
        key = ("rows", entity, shape, self._kind)
        statement = _statements.get(key)
        if statement is None:
            statement = _statements[key] = _rows_statement(entity, shape, self._kind)
        found = await self._gate.bound_rows(statement, self._bind({"ids": list(set(ids))}))
        by_id = {row[0]: row[1] for row in found}
        return [by_id.get(id_) for id_ in ids]
