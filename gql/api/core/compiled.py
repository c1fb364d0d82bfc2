"""Compiled reads: a root field whose whole selection the database can answer is
answered by ONE statement that writes its JSON (persistence/reads.py), placed in
the response as it came.

A selection compiles when every field in it, at every depth, is one of:

- a column copied as stored (text, integers, booleans, enums, instants) or a
  node's ``id``; ``__typename``;
- a to-one relation (a conversation's ``persona``), a count (``messageCount``)
  or the newest child (``lastMessage``), as a type declares in its ``reads``;
- a nested connection with ``first`` or ``last`` (no cursors) and its order:
  ``edges { cursor node }``, ``pageInfo``, ``totalCount``;

through aliases, fragments, variables and ``@skip``/``@include``. Anything
else (a JSON or floating-point field, a field with its own resolver logic or
permissions, a nested cursor, ``@defer``) leaves the whole root field on the
loader path, which then answers it as it always has, errors included. Plans
are kept per document, operation, root field and the values of the variables
its selection uses; the statements behind them are kept by persistence/reads.py.

Where it is taken (PostgreSQL, ``COMPILED_READS`` on, no field middleware):
root connections whose list says what it reads (:class:`Source`), and
``node``/``nodes``. The answer is an :class:`Compiled`, which the execution
context places in the response untouched (gql/api/core/execution.py); the
response's serialiser (orjson) writes its text as it is.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

import orjson
from cachetools import LRUCache
from graphql import (
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    VariableNode,
    visit,
)
from graphql.language import Visitor

from gql.api.core.compat import (
    FieldDetails,
    FieldDetailsList,
    FragmentDetails,
    argument_values,
    collect_subfields,
    raw_info,
    strawberry_field,
    type_origin,
)
from gql.api.core.observation import current_observation
from persistence import reads
from persistence.pagination import Ordering
from persistence.repositories.base import Filter

if TYPE_CHECKING:
    import strawberry

logger = logging.getLogger(__name__)


class Compiled:
    """A compiled answer: JSON text the response carries as it is."""

    __slots__ = ("json",)

    def __init__(self, text: str) -> None:
        self.json = orjson.Fragment(text)


# -- what types declare ------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ToOne:
    """A resolver field reading the row a column points at: the relation of the
    field's name (see persistence/reads.py's ``ENTITIES``)."""


@dataclasses.dataclass(frozen=True)
class CountOf:
    relation: str


@dataclasses.dataclass(frozen=True)
class NewestOf:
    relation: str


@dataclasses.dataclass(frozen=True)
class PageOf:
    """A connection of the relation of the field's name, ordered by its ``order_by``
    argument (``orderings``: argument value to ordering) or always by ``fixed``."""

    orderings: Mapping[Any, Ordering[Any]] | None = None  # enum member -> ordering
    fixed: Ordering[Any] | None = None

    def ordering(self, arguments: Mapping[str, Any]) -> str:
        if self.fixed is not None:
            return self.fixed.name
        assert self.orderings is not None
        chosen = arguments["orderBy"]
        for member, ordering in self.orderings.items():
            if member.value == chosen or member is chosen:
                return ordering.name
        raise KeyError(chosen)


Declared = ToOne | CountOf | NewestOf | PageOf


@dataclasses.dataclass(frozen=True)
class Source:
    """What a root list reads: an entity, narrowed by a repository filter."""

    entity: str
    filter: Filter | None = None


# -- the schema, as compiled reads see it --------------------------------------------


class Unsupported(Exception):
    """A selection the compiled path does not answer (the message says why)."""


@dataclasses.dataclass(frozen=True)
class FieldRead:
    """How one field of a node type is read: a plan part builder."""

    kind: str  # column | id | one | count | newest | page
    column: str | None = None
    encoding: reads.Encoding | None = None
    relation: str | None = None
    target: str | None = None  # the related node type's name
    page: PageOf | None = None


@dataclasses.dataclass(frozen=True)
class TypeReads:
    entity: str
    fields: Mapping[str, FieldRead]


_INSTANT_SCALARS = frozenset({"DateTime"})
_PLAIN_SCALARS = frozenset({"String", "Boolean", "Int", "BigInt"})


def _named(graphql_type: Any) -> Any:
    while isinstance(graphql_type, GraphQLNonNull | GraphQLList):
        graphql_type = graphql_type.of_type
    return graphql_type


def _encoding(graphql_type: Any) -> reads.Encoding | None:
    named = _named(graphql_type)
    if isinstance(graphql_type, GraphQLList) or (
        isinstance(graphql_type, GraphQLNonNull) and isinstance(graphql_type.of_type, GraphQLList)
    ):
        return None
    if isinstance(named, GraphQLEnumType):
        # Written as the stored value in capitals: only where that is the name.
        values = named.values.items()
        if all(
            getattr(value.value, "value", value.value).upper() == name for name, value in values
        ):
            return reads.Encoding.ENUM
        return None
    if isinstance(named, GraphQLScalarType):
        if named.name in _INSTANT_SCALARS:
            return reads.Encoding.INSTANT
        if named.name in _PLAIN_SCALARS:
            return reads.Encoding.PLAIN
    return None  # Float, JSON, ID and object types have no exact writing in SQL


def _type_reads(graphql_type: GraphQLObjectType) -> TypeReads | None:
    """How the fields of a node type are read, or None if it is not a row's node."""
    from gql.api.core.nodes import RowNode

    origin = type_origin(graphql_type)
    if not (isinstance(origin, type) and issubclass(origin, RowNode)):
        return None
    entity = origin.loader
    if entity not in reads.ENTITIES:
        return None
    table = reads.ENTITIES[entity].model.__table__
    declared: Mapping[str, Declared] = origin.reads
    fields: dict[str, FieldRead] = {}
    for name, field in graphql_type.fields.items():
        definition = strawberry_field(field)
        if definition is None:
            continue
        python_name = definition.python_name
        if python_name == "_id":
            fields[name] = FieldRead("id")
            continue
        declaration = declared.get(python_name)
        if declaration is None:
            plain = not definition.base_resolver and not definition.extensions
            encoding = _encoding(field.type)
            convertible = python_name not in origin.converters and python_name in table.c
            if plain and not field.args and encoding is not None and convertible:
                fields[name] = FieldRead("column", column=python_name, encoding=encoding)
            continue
        target = _named(field.type)
        if isinstance(declaration, PageOf):
            fields[name] = FieldRead("page", relation=python_name, page=declaration)
        elif definition.extensions:
            continue  # permissions or other extensions: the loader path applies them
        elif isinstance(declaration, ToOne):
            fields[name] = FieldRead("one", relation=python_name, target=target.name)
        elif isinstance(declaration, CountOf):
            fields[name] = FieldRead("count", relation=declaration.relation)
        else:
            fields[name] = FieldRead("newest", relation=declaration.relation, target=target.name)
    return TypeReads(entity, fields)


# -- plans -------------------------------------------------------------------------------


@dataclasses.dataclass
class _Walk:
    """One plan being built: the request's view of the document."""

    schema: GraphQLSchema
    raw: GraphQLResolveInfo[Any]
    fragments: dict[str, FragmentDetails]
    variable_values: Any  # graphql-core's VariableValues
    types: Callable[[GraphQLObjectType], TypeReads | None]
    default_size: int
    max_size: int

    def subfields(
        self, graphql_type: GraphQLObjectType, details: FieldDetailsList
    ) -> dict[str, FieldDetailsList]:
        collected = collect_subfields(
            self.schema,
            self.fragments,
            self.variable_values,
            self.raw.operation,
            graphql_type,
            details,
        )
        grouped, deferred, *_ = collected
        if deferred:
            raise Unsupported("@defer")
        return grouped

    def shape(self, graphql_type: GraphQLObjectType, details: FieldDetailsList) -> reads.Shape:
        type_reads = self.types(graphql_type)
        if type_reads is None:
            raise Unsupported(f"{graphql_type.name} is not a row")
        parts: list[reads.Part] = []
        for response_name, field_details in self.subfields(graphql_type, details).items():
            name = field_details[0].node.name.value
            if name == "__typename":
                parts.append(reads.Constant(response_name, graphql_type.name))
                continue
            read = type_reads.fields.get(name)
            if read is None:
                raise Unsupported(f"{graphql_type.name}.{name}")
            parts.append(self.part(graphql_type, response_name, name, read, field_details))
        return reads.Shape(tuple(parts))

    def part(
        self,
        graphql_type: GraphQLObjectType,
        response_name: str,
        name: str,
        read: FieldRead,
        details: FieldDetailsList,
    ) -> reads.Part:
        if read.kind == "column":
            assert read.column is not None and read.encoding is not None
            return reads.Value(response_name, read.column, read.encoding)
        if read.kind == "id":
            return reads.GlobalId(response_name, graphql_type.name)
        assert read.relation is not None
        if read.kind == "count":
            return reads.Count(response_name, read.relation)
        field_type = _named(graphql_type.fields[name].type)
        if read.kind == "one":
            return reads.One(response_name, read.relation, self.shape(field_type, details))
        if read.kind == "newest":
            return reads.Latest(response_name, read.relation, self.shape(field_type, details))
        assert read.page is not None
        arguments = argument_values(graphql_type.fields[name], details[0], self.variable_values)
        page = self.nested_page(read.page, arguments)
        return reads.Many(response_name, read.relation, self.connection(field_type, details, page))

    def nested_page(self, declared: PageOf, arguments: Mapping[str, Any]) -> reads.PageShape:
        first, last = arguments.get("first"), arguments.get("last")
        if arguments.get("after") is not None or arguments.get("before") is not None:
            raise Unsupported("a nested cursor")
        if first is not None and last is not None:
            raise Unsupported("both first and last")  # refused on the loader path
        for size in (first, last):
            if size is not None and not 0 <= size <= self.max_size:
                raise Unsupported("a page size out of range")  # refused on the loader path
        size = first if first is not None else last if last is not None else self.default_size
        return reads.PageShape(
            ordering=declared.ordering(arguments), from_end=last is not None, size=size
        )

    def connection(
        self, connection_type: GraphQLObjectType, details: FieldDetailsList, page: reads.PageShape
    ) -> reads.ConnectionShape:
        parts: list[reads.Edges | reads.PageInfo | reads.TotalCount | reads.Constant] = []
        for response_name, field_details in self.subfields(connection_type, details).items():
            name = field_details[0].node.name.value
            if name == "__typename":
                parts.append(reads.Constant(response_name, connection_type.name))
            elif name == "totalCount":
                parts.append(reads.TotalCount(response_name))
            elif name == "edges":
                edge_type = _named(connection_type.fields["edges"].type)
                parts.append(reads.Edges(response_name, self.edge(edge_type, field_details)))
            elif name == "pageInfo":
                info_type = _named(connection_type.fields["pageInfo"].type)
                parts.append(
                    reads.PageInfo(response_name, self.page_info(info_type, field_details))
                )
            else:
                raise Unsupported(f"{connection_type.name}.{name}")
        return reads.ConnectionShape(page, tuple(parts))

    def edge(
        self, edge_type: GraphQLObjectType, details: FieldDetailsList
    ) -> tuple[tuple[str, reads.Shape | reads.Cursor | reads.Constant], ...]:
        parts: list[tuple[str, reads.Shape | reads.Cursor | reads.Constant]] = []
        for response_name, field_details in self.subfields(edge_type, details).items():
            name = field_details[0].node.name.value
            if name == "__typename":
                parts.append((response_name, reads.Constant(response_name, edge_type.name)))
            elif name == "cursor":
                parts.append((response_name, reads.Cursor()))
            elif name == "node":
                node_type = _named(edge_type.fields["node"].type)
                parts.append((response_name, self.shape(node_type, field_details)))
            else:
                raise Unsupported(f"{edge_type.name}.{name}")
        return tuple(parts)

    def page_info(
        self, info_type: GraphQLObjectType, details: FieldDetailsList
    ) -> tuple[tuple[str, reads.PageInfoPart | reads.Constant], ...]:
        parts: list[tuple[str, reads.PageInfoPart | reads.Constant]] = []
        for response_name, field_details in self.subfields(info_type, details).items():
            name = field_details[0].node.name.value
            if name == "__typename":
                parts.append((response_name, reads.Constant(response_name, info_type.name)))
            elif name in _PAGE_INFO:
                parts.append((response_name, _PAGE_INFO[name]))
            else:
                raise Unsupported(f"{info_type.name}.{name}")
        return tuple(parts)


_PAGE_INFO = {
    "hasNextPage": reads.PageInfoPart.HAS_NEXT_PAGE,
    "hasPreviousPage": reads.PageInfoPart.HAS_PREVIOUS_PAGE,
    "startCursor": reads.PageInfoPart.START_CURSOR,
    "endCursor": reads.PageInfoPart.END_CURSOR,
}


def _variables_below(raw: GraphQLResolveInfo[Any]) -> tuple[str, ...]:
    """The variables a root field's selection (not its own arguments) refers to,
    through the fragments it spreads: what a plan of it depends on."""
    found: set[str] = set()
    spread: set[str] = set()

    class Collect(Visitor):
        def enter_variable(self, node: VariableNode, *_: Any) -> None:
            found.add(node.name.value)

        def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
            spread.add(node.name.value)

    for node in raw.field_nodes:
        if node.selection_set is not None:
            visit(node.selection_set, Collect())
    visited: set[str] = set()
    while spread - visited:
        name = (spread - visited).pop()
        visited.add(name)
        fragment = raw.fragments.get(name)
        if fragment is not None:
            visit(fragment.selection_set, Collect())
    return tuple(sorted(found))


def frozen(value: Any) -> Any:
    """A variable's value as a key: dicts and lists as tuples."""
    if isinstance(value, dict):
        return tuple(sorted((key, frozen(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(frozen(item) for item in value)
    return value


@dataclasses.dataclass
class _Entry:
    variables: tuple[str, ...]
    plans: dict[Any, Any] = dataclasses.field(default_factory=dict)


class ReadCompiler:
    """Plans of one schema's root fields, built from their selections and kept."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self._types: dict[str, TypeReads | None] = {}
        self._plans: LRUCache[Any, _Entry] = LRUCache(maxsize=2048)

    def types(self, graphql_type: GraphQLObjectType) -> TypeReads | None:
        if graphql_type.name not in self._types:
            self._types[graphql_type.name] = _type_reads(graphql_type)
        return self._types[graphql_type.name]

    def _plan(self, info: strawberry.Info, kind: str, target: GraphQLObjectType) -> Any:
        """The plan of the root field being resolved (``kind`` says of what), or
        None where it does not compile."""
        raw = raw_info(info)
        operation = raw.operation
        source = operation.loc.source.body if operation.loc is not None else None
        key = (
            source,
            operation.name.value if operation.name else None,
            raw.path.key,
            kind,
            target.name,
        )
        entry = self._plans.get(key) if source is not None else None
        if entry is None:
            entry = _Entry(_variables_below(raw))
            if source is not None:
                self._plans[key] = entry
        document = info.context.document
        if document is None:
            return None
        coerced = document.variable_values.coerced
        values = tuple(frozen(coerced.get(name)) for name in entry.variables)
        if values in entry.plans:
            return entry.plans[values]
        settings = info.context.settings
        walk = _Walk(
            self.schema,
            raw,
            document.fragments,
            document.variable_values,
            self.types,
            settings.default_page_size,
            settings.max_page_size,
        )
        details = [FieldDetails(node, None) for node in raw.field_nodes]
        try:
            if kind == "connection":
                plan: Any = walk.connection(target, details, reads.PageShape(ordering=""))
            else:
                plan = walk.shape(target, details)
        except Unsupported as reason:
            logger.debug("%s takes the loader path: %s", raw.field_name, reason)
            plan = None
        entry.plans[values] = plan
        return plan

    def connection(
        self, info: strawberry.Info, connection_type: GraphQLObjectType
    ) -> reads.ConnectionShape | None:
        """The parts of a root connection's answer (its page is the request's)."""
        plan = self._plan(info, "connection", connection_type)
        return plan if isinstance(plan, reads.ConnectionShape) else None

    def node(self, info: strawberry.Info, node_type: GraphQLObjectType) -> reads.Shape | None:
        """The shape of a node of ``node_type`` under a ``node``/``nodes`` field."""
        if self.types(node_type) is None:
            return None
        plan = self._plan(info, "node", node_type)
        return plan if isinstance(plan, reads.Shape) else None


_compilers: WeakKeyDictionary[GraphQLSchema, ReadCompiler] = WeakKeyDictionary()


def compiler_of(info: strawberry.Info) -> ReadCompiler | None:
    """The request's read compiler, or None where compiled reads are off."""
    if not info.context.compiled_reads:
        return None
    schema = raw_info(info).schema
    found = _compilers.get(schema)
    if found is None:
        found = _compilers[schema] = ReadCompiler(schema)
    return found


def observe(compiled: bool) -> None:
    """Count a root field on its path, for the request's log line and headers."""
    observation = current_observation()
    if observation is not None:
        if compiled:
            observation.compiled_reads += 1
        else:
            observation.loader_reads += 1


def unwrap(return_type: Any) -> GraphQLObjectType:
    named = _named(return_type)
    assert isinstance(named, GraphQLObjectType)
    return named
