"""Query execution with a short path for plain fields.

Most of a large response is fields copied from an attribute: a message's id,
role, content and createdAt, an edge's node. graphql-core gives each of them
the steps any resolver gets (a resolve-info tuple, an argument check, two
awaitable checks, the completion dispatch), and that is most of what a field
costs. For a field Strawberry resolves by reading an attribute (no resolver,
no arguments, no field extension), this context reads the attribute and
completes it directly: a scalar or enum is coerced to its type; a non-null
object's sub-fields are executed on it.

Anything unusual leaves the short path for graphql-core's full one, which then
reports it exactly as it always does: a null for a non-null field, a value the
type refuses, an object of the wrong type, an exception, or field middleware
(a schema extension with a ``resolve`` hook) that must see every field. Only
non-null object fields are short-cut: an error below one bubbles up past it in
any case, already located by the field that raised it, while a nullable one
would have to catch it.
"""

from __future__ import annotations

from typing import Any, NamedTuple, cast
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


class PlainField(NamedTuple):
    """How to produce one plain field of one object type."""

    attribute: str
    type: GraphQLLeafType | GraphQLObjectType
    nullable: bool


# Per object type name, per field name; computed once per schema.
PlainFields = dict[str, dict[str, PlainField]]
_plain_fields: WeakKeyDictionary[GraphQLSchema, PlainFields] = WeakKeyDictionary()


def plain_fields(schema: GraphQLSchema) -> PlainFields:
    """The fields of ``schema`` that take the short path (see the module's text)."""
    found = _plain_fields.get(schema)
    if found is None:
        found = _plain_fields[schema] = _find_plain_fields(schema)
    return found


def _find_plain_fields(schema: GraphQLSchema) -> PlainFields:
    plain: PlainFields = {}
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
            named = field.type if nullable else field.type.of_type
            if is_leaf_type(named) or (isinstance(named, GraphQLObjectType) and not nullable):
                plain.setdefault(type_name, {})[field_name] = PlainField(
                    definition.python_name, named, nullable
                )
    return plain


class PlainFieldExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context, with the short path for plain fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        middleware = self.middleware_manager
        self.plain_fields = (
            {} if middleware and middleware.middlewares else plain_fields(self.schema)
        )

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: FieldDetailsList,
        path: Path,
        position_context: Any,
    ) -> Any:
        fields = self.plain_fields.get(parent_type.name)
        plain = fields.get(field_details_list[0].node.name.value) if fields else None
        if plain is not None:
            if isinstance(plain.type, GraphQLObjectType):
                subject = _plain_object(plain.type, plain.attribute, source)
                if subject is not None:
                    # Errors below arrive located and bubble up past this non-null field.
                    return self.collect_and_execute_subfields(
                        plain.type, field_details_list, path, subject, position_context
                    )
            else:
                completed = _plain_leaf(plain, source)
                if completed is not FULL_PATH:
                    return completed
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )


# What the helpers answer when graphql-core's full path must produce the field,
# or refuse it with the error it always gives.
FULL_PATH = object()


def _plain_leaf(plain: PlainField, source: Any) -> Any:
    """The field's value coerced to its scalar or enum type, or FULL_PATH."""
    leaf = cast(GraphQLLeafType, plain.type)
    try:
        value = getattr(source, plain.attribute)
        if value is None:
            return None if plain.nullable else FULL_PATH
        coerced = leaf.coerce_output_value(value)
    except Exception:  # the full path raises it again, located at the field
        return FULL_PATH
    return FULL_PATH if coerced is None or coerced is Undefined else coerced


def _plain_object(object_type: GraphQLObjectType, attribute: str, source: Any) -> Any:
    """The non-null field's object, when it is one of ``object_type``; else None."""
    try:
        value = getattr(source, attribute)
        is_type_of = object_type.is_type_of
        # Strawberry's is_type_of does not read the resolve info.
        if value is not None and (is_type_of is None or is_type_of(value, cast(Any, None)) is True):
            return value
    except Exception:  # the full path raises it again, located at the field
        return None
    return None
