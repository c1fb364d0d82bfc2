"""Query cost: what a document will cost, estimated before it runs.

Each field costs 1 for every object it is resolved on. A connection (a field
with ``first``/``last`` arguments) multiplies the cost of its selection by its
page size — ``first`` or ``last`` (literal, variable or default), else the
server's default page size — and ``nodes(ids:)`` by the number of ids, so
nested pages multiply. Other lists (``edges`` of a page already counted, weekly
hours, …) count once. Introspection fields (``__schema``, ``__type``,
``__typename``) cost nothing. So the cost grows as the number of values the
response may hold: 20 personas with 20 conversations each with 20 messages
cost over 8,000 however few fields each selects.

Example:
    ``{ personas(first: 10) { edges { node { name } } } }`` costs
    1 (personas) + 10 * (edges + node + name) = 31.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    ValueNode,
    get_named_type,
)
from graphql.utilities import value_from_ast_untyped

PAGE_ARGUMENTS = ("first", "last")
BATCH_ARGUMENTS = {"nodes": "ids"}
# Every argument the estimate (and the limits on page sizes and batches) read.
SIZING_ARGUMENTS = frozenset({*PAGE_ARGUMENTS, *BATCH_ARGUMENTS.values()})


class CostEstimate:
    """Walks an operation's selections with the schema's types and the operation's
    (coerced) variables."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        default_page_size: int,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.default_page_size = default_page_size

    def of(self, selections: SelectionSetNode | None, parent: Any, multiplier: int = 1) -> int:
        """The cost of ``selections`` on ``parent`` (a GraphQL type), resolved
        ``multiplier`` times."""
        total = 0
        for node in selections.selections if selections else ():
            if isinstance(node, FieldNode):
                total += self._field(node, parent, multiplier)
            elif isinstance(node, InlineFragmentNode):
                condition = node.type_condition
                on = self.schema.get_type(condition.name.value) if condition else parent
                total += self.of(node.selection_set, on, multiplier)
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments.get(node.name.value)
                if fragment is not None:
                    on = self.schema.get_type(fragment.type_condition.name.value)
                    total += self.of(fragment.selection_set, on, multiplier)
        return total

    def _field(self, node: FieldNode, parent: Any, multiplier: int) -> int:
        name = node.name.value
        if name.startswith("__") or not isinstance(
            parent, GraphQLObjectType | GraphQLInterfaceType
        ):
            return 0
        definition = parent.fields.get(name)
        if definition is None:
            return 0
        arguments = {a.name.value: self._value(a.value) for a in node.arguments or ()}
        factor = 1
        if any(argument in definition.args for argument in PAGE_ARGUMENTS):
            sizes = [arguments.get(argument) for argument in PAGE_ARGUMENTS]
            given = [size for size in sizes if isinstance(size, int)]
            factor = max(given) if given else self.default_page_size
        elif BATCH_ARGUMENTS.get(name) in arguments:
            ids = arguments[BATCH_ARGUMENTS[name]]
            factor = len(ids) if isinstance(ids, list) else 1
        children = self.of(node.selection_set, get_named_type(definition.type), multiplier * factor)
        return multiplier + children

    def _value(self, node: ValueNode) -> Any:
        return value_from_ast_untyped(node, self.variables)
