"""Query execution with a short path for plain leaf fields.

Most of a large response is leaf fields copied from an attribute: a message's
id, role, content and createdAt. graphql-core gives each of them the steps any
resolver gets (a resolve-info tuple, an argument check, two awaitable checks,
the completion dispatch), and that is most of what a field costs. For a field
Strawberry resolves by reading an attribute (no resolver, no arguments, no
field extension) with a scalar or enum type, this context reads the attribute
and coerces it to the type directly.

Anything unusual leaves the short path for graphql-core's full one, which then
reports it exactly as it always does: a null for a non-null field, a value the
type refuses, an exception, or field middleware (a schema extension with a
``resolve`` hook) that must see every field.
"""

from __future__ import annotations

from typing import Any, NamedTuple
from weakref import WeakKeyDictionary

from graphql import (
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    is_leaf_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from graphql.pyutils import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField


class PlainLeaf(NamedTuple):
    """How to produce one plain leaf field of one object type."""

    attribute: str
    type: GraphQLLeafType
    nullable: bool


# Per object type name, per field name; computed once per schema.
PlainLeaves = dict[str, dict[str, PlainLeaf]]
_plain_leaves: WeakKeyDictionary[GraphQLSchema, PlainLeaves] = WeakKeyDictionary()


def plain_leaves(schema: GraphQLSchema) -> PlainLeaves:
    """The leaf fields of ``schema`` that Strawberry resolves by attribute access."""
    found = _plain_leaves.get(schema)
    if found is None:
        found = _plain_leaves[schema] = _find_plain_leaves(schema)
    return found


def _find_plain_leaves(schema: GraphQLSchema) -> PlainLeaves:
    leaves: PlainLeaves = {}
    for type_name, graphql_type in schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or type_name.startswith("__"):
            continue
        for field_name, field in graphql_type.fields.items():
            definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
                continue
            if field.args or definition.default_resolver is not getattr:
                continue
            nullable = not isinstance(field.type, GraphQLNonNull)
            leaf = field.type if nullable else field.type.of_type
            if is_leaf_type(leaf):
                leaves.setdefault(type_name, {})[field_name] = PlainLeaf(
                    definition.python_name, leaf, nullable
                )
    return leaves


class PlainLeafExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with the short path for plain leaves."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        middleware = self.middleware_manager
        self.plain_leaves = (
            {} if middleware and middleware.middlewares else plain_leaves(self.schema)
        )

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        fields = self.plain_leaves.get(parent_type.name)
        if fields is not None:
            leaf = fields.get(field_details_list[0].node.name.value)
            if leaf is not None:
                try:
                    value = getattr(source, leaf.attribute)
                    if value is None:
                        if leaf.nullable:
                            return None
                    else:
                        coerced = leaf.type.coerce_output_value(value)
                        if coerced is not None and coerced is not Undefined:
                            return coerced
                except Exception:
                    pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
