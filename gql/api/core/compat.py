"""Every place Concierge leans on graphql-core's or Strawberry's internals, in one
module, with the versions it was written and tested against.

``pyproject.toml`` pins both with compatible-release ranges (``~=``). What is used:

- graphql-core's ``ExecutionContext`` methods ``execute_fields``,
  ``execute_field``, ``complete_list_value``, ``collect_subfields``,
  ``collect_and_execute_subfields``, ``build_resolve_info``, ``complete_value``,
  ``handle_field_error`` and ``complete_leaf_value``, its
  ``GroupedFieldSet``/``FieldDetailsList`` types and its ``to_nodes``: the plain-field and
  loaded-field execution paths (gql/api/core/execution.py) override the first
  three and call the rest as graphql-core's own ``execute_field`` does (whose
  steps it repeats for a field with arguments, coercing them with
  ``get_argument_values`` once per field node: :func:`argument_values`), and call
  a scalar's ``coerce_output_value`` and check its result as
  ``complete_leaf_value`` does;
- the function behind a Strawberry resolver field (``base_resolver.wrapped_func``),
  to find loaded fields (gql/api/core/loaded.py), and that such a field with no
  arguments and no field extensions (permissions are one) does nothing but call
  it (Concierge registers no Strawberry exception handlers, which would wrap it);
- aiodataloader's cache (``DataLoader._cache``, keyed by ``get_cache_key``, unless
  ``cache`` is off): a loaded field completes from a settled future found there;
- graphql-core's ``Executor.build_per_event_executor`` (the copy of the
  executor each subscription event runs on), overridden to give each event
  its own context (gql/api/core/execution.py, gql/api/core/events.py);
- Strawberry's ``BaseGraphQLTransportWSHandler`` (its ``handle_connection_init``,
  ``handle_pong``, ``shutdown``, ``send_message`` and ``websocket``), extended
  for the 4401 close and server pings (gql/server/subscriptions.py), and that
  Strawberry reads ``execution_context.context`` only after ``on_operation``
  began (gql/api/core/extensions.py, ``PerOperationContext``);
- Strawberry's execution context class (the base of ours), the back reference
  from a graphql-core field to its ``StrawberryField``, and whether that field
  is a plain attribute (``is_basic_field``, ``default_resolver``);
- the operation name a client asked for (``_provided_operation_name``), the
  graphql-core schema behind Strawberry's (``_schema``), and that an extension
  which sets ``execution_context.result`` before execution makes Strawberry use
  it instead of executing (gql/api/core/extensions.py);
- for prepared queries (gql/api/core/prepared.py): that Strawberry's path
  validates with ``specified_rules`` and then the rules its extensions add, and
  executes with graphql-core's ``execute`` given the schema's execution context
  class, ``optimized_is_awaitable`` and the request's ``operation_extensions``;
- ``relay.ConnectionExtension``'s ``apply`` adding the four paging arguments
  (gql/api/core/connections.py);
- graphql-core's ``ExecutionContext.async_helpers`` (a ``GraphQLResolveInfoHelpers``
  of two of its own bound methods), rebuilt over weak references so that an
  executor is freed by reference counting once its operation ends
  (:func:`weakly_bound_helpers`);
- for compiled reads (gql/api/core/compiled.py): Strawberry's ``Info._raw_info``,
  the Python class behind an object type, graphql-core's module-level
  ``collect_subfields`` with ``FieldDetails``/``FragmentDetails``, its
  ``get_argument_values``, and ``complete_value`` (overridden to place a
  compiled answer in the response untouched);
- that Strawberry's ``is_type_of`` of an object type reads no resolve info and,
  for an object not marked by ``strawberry.cast`` (``TYPE_CAST_ATTRIBUTE``),
  depends on nothing but the object's class (:func:`type_check`).

After an upgrade, tests/api/core/test_execution.py (both paths give the same
data and errors) and the SDL check say whether all of it still holds; the
``concierge_plain_path_fallbacks_total`` metric and a warning at start-up say
when the short path stopped being taken.
"""

from __future__ import annotations

import warnings
import weakref
from asyncio import Future
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from aiodataloader import DataLoader
from graphql import (
    ExecutionResult,
    GraphQLField,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
)
from graphql.execution.collect_fields import (
    FieldDetails,
    FieldDetailsList,
    FragmentDetails,
    GroupedFieldSet,
    collect_subfields,
)
from graphql.execution.executor import to_nodes
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.execution import optimized_is_awaitable
from strawberry.relay import ConnectionExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionContext
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE
from strawberry.types.field import StrawberryField

TESTED = {"graphql-core": "3.3", "strawberry-graphql": "0.341", "aiodataloader": "0.4"}

__all__ = [
    "ConnectionExtension",
    "FieldDetails",
    "FieldDetailsList",
    "FragmentDetails",
    "GroupedFieldSet",
    "Path",
    "StrawberryExecutionContext",
    "StrawberryField",
    "argument_values",
    "attribute_name",
    "cached_future",
    "collect_subfields",
    "core_schema",
    "graphql_schema",
    "optimized_is_awaitable",
    "provided_operation_name",
    "raw_info",
    "resolver_function",
    "strawberry_field",
    "to_nodes",
    "type_check",
    "type_origin",
    "use_instead_of_executing",
    "weakly_bound_helpers",
]

StrawberryExecutionContext = StrawberryGraphQLCoreExecutionContext


def _check_versions() -> None:
    for package, tested in TESTED.items():
        installed = version(package)
        if not installed.startswith(tested + "."):
            warnings.warn(
                f"Concierge leans on internals of {package} {tested}.x, and {installed} is "
                "installed: see gql/api/core/compat.py before serving",
                RuntimeWarning,
                stacklevel=2,
            )


_check_versions()


def attribute_name(field: GraphQLField) -> str | None:
    """The attribute a field is read from, if Strawberry resolves it by reading one
    (no resolver, no arguments): such fields may take the plain-field path."""
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
        return None
    if field.args or definition.default_resolver is not getattr:
        return None
    return definition.python_name


def resolver_function(field: GraphQLField) -> Callable[..., Any] | None:
    """The function a Strawberry resolver field calls, if the field has no arguments
    and no field extensions (nothing else runs around the call)."""
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    if not isinstance(definition, StrawberryField) or definition.base_resolver is None:
        return None
    if field.args or definition.extensions:
        return None
    function = definition.base_resolver.wrapped_func
    return function if callable(function) else None


def type_check(object_type: GraphQLObjectType) -> Callable[[Any], bool]:
    """Whether a value is an object of ``object_type``, as its ``is_type_of`` says
    (true without one, but never for ``None``), remembered per class for objects
    not cast: a deep page checks thousands of objects of a few classes."""
    is_type_of = object_type.is_type_of
    if is_type_of is None:
        return _not_none
    passed: set[type] = set()

    def check(value: Any) -> bool:
        if type(value) in passed and getattr(value, TYPE_CAST_ATTRIBUTE, None) is None:
            return True
        if value is None or is_type_of(value, None) is not True:  # type: ignore[arg-type]
            return False
        if getattr(value, TYPE_CAST_ATTRIBUTE, None) is None:
            passed.add(type(value))
        return True

    return check


def _not_none(value: Any) -> bool:
    return value is not None


def cached_future(loader: DataLoader[Any, Any], key: Any) -> Future[Any] | None:
    """The future a loader holds for ``key``, if it caches and has one."""
    if not loader.cache:
        return None
    future: Future[Any] | None = loader._cache.get(loader.get_cache_key(key))
    return future


def provided_operation_name(context: ExecutionContext) -> str | None:
    """The operation name the request named (``None`` if it named none)."""
    name: str | None = context._provided_operation_name
    return name


def core_schema(context: ExecutionContext) -> GraphQLSchema:
    schema: GraphQLSchema = context.schema._schema
    return schema


def graphql_schema(schema: Any) -> GraphQLSchema:
    """The graphql-core schema behind a Strawberry one."""
    found: GraphQLSchema = schema._schema
    return found


def use_instead_of_executing(context: ExecutionContext, result: ExecutionResult) -> None:
    """From an extension's ``on_execute``, before it yields: answer ``result`` without
    executing the operation (Strawberry executes only while no result is set)."""
    context.result = result


def weakly_bound_helpers(executor: Any) -> GraphQLResolveInfoHelpers:
    """The executor's ``async_helpers`` without the reference cycle graphql-core's own
    make (the executor holds a tuple of its own bound methods).

    Through that cycle every request's executor, and all it reaches (the request's
    context, unit of work, session and repositories: about 120 objects), waited for
    the cycle collector; under load each young collection freed some 45,000 such
    objects at once, in 30 to 150 ms during which the event loop stood still. The
    helpers run only while the operation executes, when the executor is alive.
    """
    gather = weakref.WeakMethod(executor.gather_async_work)
    track = weakref.WeakMethod(executor.track_async_work)

    def gather_async_work(values: Any) -> Any:
        method = gather()
        assert method is not None, "the helpers outlived their executor"
        return method(values)

    def track_async_work(values: Any) -> None:
        method = track()
        assert method is not None, "the helpers outlived their executor"
        method(values)

    return GraphQLResolveInfoHelpers(gather=gather_async_work, track=track_async_work)


# -- compiled reads (gql/api/core/compiled.py) ---------------------------------------


def raw_info(info: Any) -> GraphQLResolveInfo[Any]:
    """graphql-core's resolve info behind Strawberry's ``Info``."""
    raw: GraphQLResolveInfo[Any] = info._raw_info
    return raw


def strawberry_field(field: GraphQLField) -> StrawberryField | None:
    definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    return definition if isinstance(definition, StrawberryField) else None


def type_origin(graphql_type: GraphQLObjectType) -> type | None:
    """The Python class a Strawberry object type was declared as."""
    definition = graphql_type.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    origin = getattr(definition, "origin", None)
    return origin if isinstance(origin, type) else None


def argument_values(
    field: GraphQLField,
    details: FieldDetails,
    variable_values: Any,
    hide_suggestions: bool = False,
) -> dict[str, Any]:
    """A field's coerced arguments (by GraphQL name) as graphql-core would pass them."""
    return get_argument_values(
        field, details.node, variable_values, details.fragment_variable_values, hide_suggestions
    )
