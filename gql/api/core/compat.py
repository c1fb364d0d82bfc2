"""Every place Concierge leans on graphql-core's or Strawberry's internals, in one
module, with the versions it was written and tested against.

``pyproject.toml`` pins both with compatible-release ranges (``~=``). What is used:

- graphql-core's ``ExecutionContext`` methods ``execute_fields``,
  ``execute_field``, ``collect_subfields``, ``collect_and_execute_subfields``
  and ``complete_leaf_value``, and its ``GroupedFieldSet``/``FieldDetailsList``
  types: the plain-field execution path (gql/api/core/execution.py) overrides
  the first two and calls the rest;
- Strawberry's execution context class (the base of ours), the back reference
  from a graphql-core field to its ``StrawberryField``, and whether that field
  is a plain attribute (``is_basic_field``, ``default_resolver``);
- the operation name a client asked for (``_provided_operation_name``), the
  graphql-core schema behind Strawberry's (``_schema``), and that an extension
  which sets ``execution_context.result`` before execution makes Strawberry use
  it instead of executing (gql/api/core/extensions.py);
- ``relay.ConnectionExtension``'s ``apply`` adding the four paging arguments
  (gql/api/core/connections.py).

After an upgrade, tests/api/core/test_execution.py (both paths give the same
data and errors) and the SDL check say whether all of it still holds; the
``concierge_plain_path_fallbacks_total`` metric and a warning at start-up say
when the short path stopped being taken.
"""

from __future__ import annotations

import warnings
from importlib.metadata import version

from graphql import ExecutionResult, GraphQLField, GraphQLSchema
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import Path
from strawberry.relay import ConnectionExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionContext
from strawberry.types.field import StrawberryField

TESTED = {"graphql-core": "3.3", "strawberry-graphql": "0.341"}

__all__ = [
    "ConnectionExtension",
    "FieldDetailsList",
    "GroupedFieldSet",
    "Path",
    "StrawberryExecutionContext",
    "StrawberryField",
    "attribute_name",
    "core_schema",
    "provided_operation_name",
    "use_instead_of_executing",
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


def provided_operation_name(context: ExecutionContext) -> str | None:
    """The operation name the request named (``None`` if it named none)."""
    name: str | None = context._provided_operation_name
    return name


def core_schema(context: ExecutionContext) -> GraphQLSchema:
    schema: GraphQLSchema = context.schema._schema
    return schema


def use_instead_of_executing(context: ExecutionContext, result: ExecutionResult) -> None:
    """From an extension's ``on_execute``, before it yields: answer ``result`` without
    executing the operation (Strawberry executes only while no result is set)."""
    context.result = result
