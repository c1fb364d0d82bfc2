"""Query execution with a short path for plain fields.

Most of a large response is fields copied from an attribute: a message's id,
role, content and createdAt, an edge's node, a page's list of edges.
graphql-core gives each of them, and each object and list item under them,
the steps any resolver gets (a resolve-info tuple, an argument check, a path
entry, awaitable checks, the completion dispatch), and that is most of what
a large response costs. A field is *plain* when Strawberry resolves it by
reading an attribute (no resolver, no arguments, no field extension) and its
type is a scalar, an enum, an object type, or a list of non-null ones.

This context takes two short paths:

- a selection made only of plain fields, down to its leaves (an edge and its
  node, say, or a page's edges), is completed in one pass over the objects:
  attributes read, leaves coerced to their types, objects checked against
  their types;
- in a selection that also has resolvers, a plain scalar or enum field is
  read and coerced directly, and a plain non-null object's sub-fields are
  executed on it.

Loaded fields (gql/api/core/loaded.py: a resolver that is one loader's answer
for a key of its object, converted) take a third: a list whose items select
them, directly or through plain object fields (an edge's node), first asks each
loader for every item's key, so that each loader batches them in one call, and
waits for those answers once; each item's field is then completed from the
answer the loader holds, synchronously, with no task, no resolver call and no
Strawberry ``Info``; an object answer whose selection is all plain (a
conversation's persona and its name) is completed by the first short path,
without graphql-core's resolve info either. An answer that failed fails the field exactly as the
resolver would have, at its path; a field whose answer is not there (outside a
list, say) calls its resolver.

A field with arguments is executed as graphql-core executes it, except that
its arguments are coerced once per field node and execution rather than once
per object: a nested list's field (each conversation's ``messages``) is one
node with the same variables for every parent. Its resolver still runs, and
decides, for each.

Anything unusual leaves the short path for graphql-core's full one, which then
produces or reports it exactly as it always does: a null where the type does
not allow it, a value the type refuses, an object of the wrong type, an
exception, or field middleware (a schema extension with a ``resolve`` hook)
that must see every field. A selection that leaves is redone whole on the full
path; plain fields only read attributes, so reading them twice is harmless.
Only non-null objects are short-cut field by field: an error below one bubbles
up past it in any case, already located where it was raised.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from functools import partial
from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLString,
    Undefined,
    is_leaf_type,
)

from gql.api.core.compat import (
    FieldDetails,
    FieldDetailsList,
    GroupedFieldSet,
    Path,
    StrawberryExecutionContext,
    argument_values,
    attribute_name,
    cached_future,
    resolver_function,
    to_nodes,
    type_check,
    weakly_bound_helpers,
)
from gql.api.core.compiled import Compiled
from gql.api.core.context import Context, Document
from gql.api.core.events import event_context_of
from gql.api.core.loaded import LoadedField, declaration_of
from gql.api.core.observation import current_observation


class PlainField(NamedTuple):
    """How to produce one plain field of one object type."""

    attribute: str
    type: GraphQLLeafType | GraphQLObjectType  # of the field, or of its list's items
    nullable: bool
    is_list: bool
    complete: Callable[[Any], Any]  # a leaf value's response value (see _leaf_completion)
    is_type: Callable[[Any], bool]  # whether a value is an object of the type (see type_check)


logger = logging.getLogger(__name__)

# Per object type name, per field name; computed once per schema.
PlainFields = dict[str, dict[str, PlainField]]
_plain_fields: WeakKeyDictionary[GraphQLSchema, PlainFields] = WeakKeyDictionary()
_type_checks: WeakKeyDictionary[GraphQLSchema, _TypeChecks] = WeakKeyDictionary()


def plain_fields(schema: GraphQLSchema) -> PlainFields:
    """The plain fields of ``schema`` (see the module's text), once per schema."""
    found = _plain_fields.get(schema)
    if found is None:
        found = _plain_fields[schema] = _find_plain_fields(schema)
    return found


def type_checks(schema: GraphQLSchema) -> _TypeChecks:
    """Each object type's check of ``schema`` (see ``type_check``), made once."""
    found = _type_checks.get(schema)
    if found is None:
        found = _type_checks[schema] = _TypeChecks()
    return found


def _find_plain_fields(schema: GraphQLSchema) -> PlainFields:
    plain: PlainFields = {}
    checks = type_checks(schema)
    for type_name, graphql_type in schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or type_name.startswith("__"):
            continue
        for field_name, field in graphql_type.fields.items():
            attribute = attribute_name(field)
            shape = _shape(field.type) if attribute is not None else None
            if attribute is not None and shape is not None:
                named, nullable, is_list = shape
                plain.setdefault(type_name, {})[field_name] = PlainField(
                    attribute, named, nullable, is_list, _leaf_completion(named), checks[named]
                )
    if not plain:
        logger.warning(
            "no field can take the plain-field execution path; after an upgrade of "
            "graphql-core or Strawberry, see gql/api/core/compat.py"
        )
    return plain


def _shape(
    field_type: GraphQLOutputType,
) -> tuple[GraphQLLeafType | GraphQLObjectType, bool, bool] | None:
    """(named type, nullable, list) of ``T``, ``T!``, ``[T!]`` or ``[T!]!``; else None."""
    inner: Any = field_type
    nullable = not isinstance(inner, GraphQLNonNull)
    if not nullable:
        inner = inner.of_type
    is_list = isinstance(inner, GraphQLList)
    if is_list:
        if not isinstance(inner.of_type, GraphQLNonNull):
            return None
        inner = inner.of_type.of_type
    if is_leaf_type(inner) or isinstance(inner, GraphQLObjectType):
        return inner, nullable, is_list
    return None


# Per object type name, per field name: its loaded fields (gql/api/core/loaded.py).
LoadedFields = dict[str, dict[str, LoadedField]]
_loaded_fields: WeakKeyDictionary[GraphQLSchema, LoadedFields] = WeakKeyDictionary()


def loaded_fields(schema: GraphQLSchema) -> LoadedFields:
    """The loaded fields of ``schema`` that nothing but their resolver runs for."""
    found = _loaded_fields.get(schema)
    if found is None:
        found = _loaded_fields[schema] = {}
        for type_name, graphql_type in schema.type_map.items():
            if not isinstance(graphql_type, GraphQLObjectType) or type_name.startswith("__"):
                continue
            for field_name, field in graphql_type.fields.items():
                declaration = declaration_of(resolver_function(field))
                if declaration is not None:
                    found.setdefault(type_name, {})[field_name] = declaration
    return found


class Prime(NamedTuple):
    """A loaded field selected on a list's items, or on objects reached from each
    item through plain object fields (an edge's node)."""

    through: tuple[str, ...]  # the attributes read from an item to the field's object
    field: LoadedField


class _NotLoaded:
    """What a loaded field's short path gives when its loader has no settled answer."""


NOT_LOADED = _NotLoaded()


class _NotPlain:
    """What the short path for a loaded field's answer gives where it does not apply."""


NOT_PLAIN = _NotPlain()


class PlainSelection(NamedTuple):
    """One field of a selection made only of plain fields, with its own selection."""

    response_name: str
    field: PlainField | None  # None for __typename
    selection: list[PlainSelection] | None  # None for a scalar or enum
    typename: str = ""  # the answer of __typename: the selection's own object type


class FullPath(Exception):
    """A value the short path does not produce; graphql-core's full path must."""


class PlainFieldExecutionContext(StrawberryExecutionContext):
    """Strawberry's execution context, with the short paths for plain fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.async_helpers = weakly_bound_helpers(self)
        middleware = self.middleware_manager
        hooked = bool(middleware and middleware.middlewares)
        self.plain_fields = {} if hooked else plain_fields(self.schema)
        self.loaded_fields = {} if hooked else loaded_fields(self.schema)
        self.type_checks = type_checks(self.schema)
        if isinstance(self.context_value, Context):
            # What compiled reads plan from (gql/api/core/compiled.py); field
            # middleware must see every field, so it turns them off.
            self.context_value.field_middleware = hooked
            self.context_value.document = Document(self.fragments, self.variable_values)
        # Per selection (graphql-core reuses one grouped field set for every item
        # of a list): its plain form, or None. The selection is kept beside its
        # entry so that its id cannot be reused while the entry exists.
        self._plain_selections: dict[int, tuple[GroupedFieldSet, list[PlainSelection] | None]] = {}
        # Per list field (its items share it), the loaded fields to prime, kept alike.
        self._primes: dict[int, tuple[FieldDetailsList, list[Prime]]] = {}
        # Per field node with arguments, the node and its coerced arguments.
        self._argument_values: dict[int, tuple[FieldNode, dict[str, Any]]] = {}

    def build_per_event_executor(self, payload: Any) -> Any:
        """Each subscription event executes with the context its payload was read
        with (gql/api/core/events.py): its own unit of work and loaders."""
        executor = super().build_per_event_executor(payload)
        context = event_context_of(payload)
        if context is not None:
            if isinstance(self.context_value, Context):
                context.field_middleware = self.context_value.field_middleware
                context.document = self.context_value.document
            executor.context_value = context
        return executor

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> Any:
        selection = self._plain_selection(parent_type, grouped_field_set)
        if selection is not None:
            try:
                return _complete(selection, source_value)
            except Exception as error:  # the full path below produces it, or reports it
                _left_plain_path(parent_type, error)
        return super().execute_fields(
            parent_type, source_value, path, grouped_field_set, position_context
        )

    def complete_value(
        self,
        return_type: Any,
        field_details_list: FieldDetailsList,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        if type(result) is Compiled:
            return result.json  # the database wrote it: placed in the response as it is
        return super().complete_value(
            return_type, field_details_list, info, path, result, position_context
        )

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        field_name = field_details_list[0].node.name.value
        fields = self.plain_fields.get(parent_type.name)
        plain = fields.get(field_name) if fields else None
        if plain is not None and not plain.is_list:
            try:
                value = getattr(source, plain.attribute)
                if value is None:
                    if plain.nullable:
                        return None
                    raise FullPath
                if isinstance(plain.type, GraphQLObjectType):
                    if plain.nullable or not plain.is_type(value):
                        raise FullPath
                else:
                    return plain.complete(value)
            except Exception as error:  # the full path below produces it, or reports it
                _left_plain_path(parent_type, error)
            else:
                # Outside the `try`: errors below arrive located and bubble up past
                # this non-null field as they would anyway.
                return self.collect_and_execute_subfields(
                    plain.type, field_details_list, path, value, position_context
                )
        elif plain is None:
            loaded = self.loaded_fields.get(parent_type.name)
            declaration = loaded.get(field_name) if loaded else None
            if declaration is not None:
                completed = self._execute_loaded(
                    declaration, parent_type, source, field_details_list, path, position_context
                )
                if completed is not NOT_LOADED:
                    return completed
            field_def = parent_type.fields.get(field_name)
            if field_def is not None and field_def.args:
                return self._execute_with_arguments(
                    field_def, parent_type, source, field_details_list, path, position_context
                )
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    def _execute_with_arguments(
        self,
        field_def: GraphQLField,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        """A field with arguments, executed as graphql-core's ``execute_field`` does
        (the same steps, errors and paths), with its arguments coerced once per
        field node (see :meth:`_arguments`)."""
        return_type = field_def.type
        resolve_fn = field_def.resolve or self.field_resolver
        if self.middleware_manager:
            resolve_fn = self.middleware_manager.get_field_resolver(resolve_fn)
        info = self.build_resolve_info(field_def, to_nodes(field_details_list), parent_type, path)
        try:
            args = self._arguments(field_def, field_details_list[0])
            result = resolve_fn(source, info, **args)
            if self.is_awaitable(result):
                return self.complete_awaitable_value(
                    return_type, field_details_list, info, path, result, position_context
                )
            completed = self.complete_value(
                return_type, field_details_list, info, path, result, position_context
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        return self._settled(completed, return_type, field_details_list, path)

    def _arguments(self, field_def: GraphQLField, details: FieldDetails) -> dict[str, Any]:
        """A field node's coerced arguments, as graphql-core's ``get_argument_values``
        gives them, computed once per execution: a nested list's field (a
        conversation's ``messages``) is the same node with the same variables for
        every parent, and coercing its arguments again for each was a tenth of a
        deep page. Arguments that fail to coerce are not kept, so each field that
        has them fails with graphql-core's own error, at its own path. Each call
        gets the values as keywords (a dict of its own), and Strawberry converts
        them into fresh Python values (input objects, lists) for each call; a
        scalar's parsed value is shared by the calls, as read-only as a variable's."""
        node = details.node
        if details.fragment_variable_values is not None:  # fragment arguments vary per use
            return argument_values(field_def, details, self.variable_values, self.hide_suggestions)
        kept = self._argument_values.get(id(node))
        if kept is not None and kept[0] is node:
            return kept[1]
        values = argument_values(field_def, details, self.variable_values, self.hide_suggestions)
        self._argument_values[id(node)] = (node, values)
        return values

    def _execute_loaded(
        self,
        field: LoadedField,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        """A loaded field completed from its loader's settled answer, as graphql-core's
        ``execute_field`` completes its resolver's value (the same errors, located at
        the same path); NOT_LOADED when the loader has no settled answer yet."""
        field_def = parent_type.fields[field_details_list[0].node.name.value]
        return_type = field_def.type
        try:
            key = field.key(source)
            if key is None:
                loaded = None
            else:
                loaders = getattr(self.context_value, "loaders", None)
                if loaders is None:
                    return NOT_LOADED
                future = cached_future(field.loader(loaders), key)
                if future is None or not future.done() or future.cancelled():
                    return NOT_LOADED
                loaded = future.result()  # the loader's error for this key, if it failed
            value = field.value(source, loaded)
            completed = self._plain_answer(return_type, field_details_list, value)
            if completed is not NOT_PLAIN:
                return completed
            info = self.build_resolve_info(
                field_def, to_nodes(field_details_list), parent_type, path
            )
            completed = self.complete_value(
                return_type, field_details_list, info, path, value, position_context
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        return self._settled(completed, return_type, field_details_list, path)

    def _plain_answer(
        self, return_type: GraphQLOutputType, field_details_list: FieldDetailsList, value: Any
    ) -> Any:
        """A loaded field's object answer completed by the first short path, where its
        selection is all plain; NOT_PLAIN otherwise, and where that path cannot
        produce it (the full path then does, or reports why not)."""
        nullable = not isinstance(return_type, GraphQLNonNull)
        object_type = (
            return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        )
        if not isinstance(object_type, GraphQLObjectType):
            return NOT_PLAIN
        if value is None:
            return None if nullable else NOT_PLAIN
        grouped, deferred, *_ = self.collect_subfields(object_type, field_details_list)
        selection = None if deferred else self._plain_selection(object_type, grouped)
        if selection is None or not self.type_checks[object_type](value):
            return NOT_PLAIN
        try:
            return _complete(selection, value)
        except Exception as error:  # the full path produces it, or reports it
            _left_plain_path(object_type, error)
            return NOT_PLAIN

    def _settled(
        self,
        completed: Any,
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        """A field's completed value, or where completing it awaits, an awaitable
        that reports its error at the field's path (as graphql-core's own)."""
        if self.is_awaitable(completed):
            return self._completed_later(completed, return_type, field_details_list, path)
        return completed

    async def _completed_later(
        self,
        completed: Awaitable[Any],
        return_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        path: Path,
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: FieldDetailsList,
        info: Any,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> Any:
        """A list whose items select loaded fields first loads every item's keys, in
        one batch per loader, then completes the items from the loaders' answers."""
        complete = super().complete_list_value
        arguments = (return_type, field_details_list, info, path, result, position_context)
        if self.loaded_fields and isinstance(result, list | tuple):
            primes = self._list_primes(return_type, field_details_list)
            pending = self._prime(primes, result) if primes else None
            if pending:
                return self._complete_when_loaded(pending, complete, arguments)
        return complete(*arguments)

    async def _complete_when_loaded(
        self,
        pending: set[asyncio.Future[Any]],
        complete: Callable[..., Any],
        arguments: tuple[Any, ...],
    ) -> Any:
        await asyncio.wait(pending)
        for future in pending:
            if not future.cancelled():
                # Seen here, so that a failure nothing completes (its item already
                # failed) is not logged as never retrieved; the field reports it.
                future.exception()
        completed = complete(*arguments)
        if self.is_awaitable(completed):
            completed = await completed
        return completed

    def _list_primes(
        self, return_type: GraphQLList[GraphQLOutputType], field_details_list: FieldDetailsList
    ) -> list[Prime]:
        entry = self._primes.get(id(field_details_list))
        if entry is not None:
            return entry[1]
        item_type: Any = return_type.of_type
        if isinstance(item_type, GraphQLNonNull):
            item_type = item_type.of_type
        primes: list[Prime] = []
        if isinstance(item_type, GraphQLObjectType):
            primes = self._find_primes(item_type, field_details_list, ())
        self._primes[id(field_details_list)] = (field_details_list, primes)
        return primes

    def _find_primes(
        self,
        object_type: GraphQLObjectType,
        field_details_list: FieldDetailsList,
        through: tuple[str, ...],
    ) -> list[Prime]:
        grouped, deferred, *_ = self.collect_subfields(object_type, field_details_list)
        if deferred:
            return []
        loaded = self.loaded_fields.get(object_type.name, {})
        plain = self.plain_fields.get(object_type.name, {})
        primes: list[Prime] = []
        for details in grouped.values():
            name = details[0].node.name.value
            if name in loaded:
                primes.append(Prime(through, loaded[name]))
                continue
            field = plain.get(name)
            if field is not None and not field.is_list:
                below = field.type
                if isinstance(below, GraphQLObjectType):
                    primes.extend(self._find_primes(below, details, (*through, field.attribute)))
        return primes

    def _prime(self, primes: Sequence[Prime], items: Sequence[Any]) -> set[asyncio.Future[Any]]:
        """Ask each prime's loader for every item's key; the answers not settled yet."""
        loaders = getattr(self.context_value, "loaders", None)
        pending: set[asyncio.Future[Any]] = set()
        if loaders is None:
            return pending
        for through, field in primes:
            loader = field.loader(loaders)
            for item in items:
                source = item
                for attribute in through:
                    source = getattr(source, attribute, None)
                    if source is None:
                        break
                if source is None:
                    continue
                try:
                    key = field.key(source)
                    future = loader.load(key) if key is not None else None
                except Exception:  # the field's own completion reports it
                    continue
                if future is not None and not future.done():
                    pending.add(future)
        return pending

    def _plain_selection(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> list[PlainSelection] | None:
        """The selection in plain form when all of it, down to its leaves, is plain."""
        entry = self._plain_selections.get(id(grouped_field_set))
        if entry is not None:
            return entry[1]
        selection = self._find_plain_selection(parent_type, grouped_field_set)
        self._plain_selections[id(grouped_field_set)] = (grouped_field_set, selection)
        return selection

    def _find_plain_selection(
        self, parent_type: GraphQLObjectType, grouped_field_set: GroupedFieldSet
    ) -> list[PlainSelection] | None:
        fields = self.plain_fields.get(parent_type.name)
        if not fields:
            return None
        selection: list[PlainSelection] = []
        for response_name, field_details_list in grouped_field_set.items():
            field_name = field_details_list[0].node.name.value
            if field_name == "__typename":  # what every Apollo, urql and Relay selection asks
                selection.append(PlainSelection(response_name, None, None, parent_type.name))
                continue
            plain = fields.get(field_name)
            if plain is None:
                return None
            below = None
            if isinstance(plain.type, GraphQLObjectType):
                grouped, deferred, *_ = self.collect_subfields(plain.type, field_details_list)
                if deferred:
                    return None
                below = self._plain_selection(plain.type, grouped)
                if below is None:
                    return None
            selection.append(PlainSelection(response_name, plain, below))
        return selection


def _left_plain_path(parent_type: GraphQLObjectType, error: Exception) -> None:
    """Count a selection that left the short path, so a slowdown (an upgrade that
    changed what it leans on, say) shows in the request's log line and metrics."""
    observation = current_observation()
    if observation is not None:
        observation.plain_path_fallbacks += 1
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug("a selection of %s left the plain-field path: %r", parent_type.name, error)


def _complete(selection: list[PlainSelection], source: Any) -> dict[str, Any]:
    """The response of ``source`` for a plain selection; raises where it cannot.

    Written out for each shape of field rather than through a helper per value:
    a deep page completes a few thousand objects and ten thousand leaves here.
    """
    response: dict[str, Any] = {}
    for response_name, plain, below, typename in selection:
        if plain is None:
            response[response_name] = typename
            continue
        value = getattr(source, plain.attribute)
        if value is None:
            if not plain.nullable:
                raise FullPath
            response[response_name] = None
        elif below is None:  # a leaf, or a list of leaves
            if plain.is_list:
                response[response_name] = _leaves(plain.complete, value)
            else:
                response[response_name] = plain.complete(value)
        elif plain.is_list:
            response[response_name] = _objects(plain.is_type, below, value)
        elif plain.is_type(value):
            response[response_name] = _complete(below, value)
        else:
            raise FullPath
    return response


def _leaves(complete: Callable[[Any], Any], items: Any) -> list[Any]:
    if not isinstance(items, list | tuple):
        raise FullPath
    return [complete(item) if item is not None else _refuse(item) for item in items]


def _objects(
    is_type: Callable[[Any], bool], below: list[PlainSelection], items: Any
) -> list[dict[str, Any]]:
    if not isinstance(items, list | tuple):
        raise FullPath
    return [_complete(below, item) if is_type(item) else _refuse(item) for item in items]


def _refuse(value: Any) -> Any:
    """Leave the short path: for a null list item, an object not of its list's type,
    an object completed as a leaf or a leaf checked as an object."""
    raise FullPath


class _TypeChecks(dict[Any, Callable[[Any], bool]]):
    """Each object type's :func:`type_check`, made once; leaves have none."""

    def __missing__(self, graphql_type: Any) -> Callable[[Any], bool]:
        check = type_check(graphql_type) if isinstance(graphql_type, GraphQLObjectType) else _refuse
        self[graphql_type] = check
        return check


# graphql-core's own leaf completion: the type's coercion, refusing a null result.
_coerce = PlainFieldExecutionContext.complete_leaf_value
# How many distinct values of one enum type are remembered (an enum has few).
_ENUM_MEMORY = 1024


def _leaf_completion(graphql_type: GraphQLLeafType | GraphQLObjectType) -> Callable[[Any], Any]:
    """graphql-core's leaf completion for ``graphql_type``, with the common cases
    short: a string of String or ID is itself, an enum value's name is looked
    up once per value (Strawberry's enum coercion scans the enum's values), and
    another scalar's value is coerced by the type's ``coerce_output_value``
    directly, as ``complete_leaf_value`` does, which reports what it refuses."""
    if isinstance(graphql_type, GraphQLObjectType):
        return _refuse  # objects are completed through their selection, never as leaves
    leaf: GraphQLLeafType = graphql_type
    if leaf is GraphQLString or leaf is GraphQLID:

        def text(value: Any) -> Any:
            return value if type(value) is str else _coerce(leaf, value)

        return text
    if isinstance(leaf, GraphQLEnumType):
        known: dict[tuple[type, Any], Any] = {}

        def named(value: Any) -> Any:
            key = (type(value), value)
            try:
                return known[key]
            except KeyError:
                pass
            except TypeError:  # unhashable: never a member
                return _coerce(leaf, value)
            completed = _coerce(leaf, value)
            if len(known) < _ENUM_MEMORY:
                known[key] = completed
            return completed

        return named
    coerce = getattr(leaf, "coerce_output_value", None)
    if not callable(coerce):
        return partial(_coerce, leaf)

    def scalar(value: Any) -> Any:
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            return _coerce(leaf, value)  # raises graphql-core's own error
        return coerced

    return scalar
