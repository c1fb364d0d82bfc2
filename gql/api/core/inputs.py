"""Where an input value sits, and what is wrong with it.

Every refusal names the input at fault with one notation, in payload errors'
``field`` and in ``BAD_USER_INPUT`` errors' ``extensions.argument`` alike:
argument and field names joined by dots, list positions in brackets, e.g.
``input.messages[1].inputTokens`` or ``filter.from``.

Values of the wrong type are refused before anything runs: literals in the
document while it is validated, variables when execution starts (before the
viewer is looked up, so a refused request costs no SQL).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    ListValueNode,
    Node,
    ObjectValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_variable_values,
    type_from_ast,
    validate_input_value,
)
from graphql.language import InlineFragmentNode

from gql.api.core.errors import BadUserInput
from gql.api.core.scalars import InvalidScalar

Step = str | int


def field_path(*steps: Step) -> str:
    """``field_path("input", "messages", 1, "content")`` is ``input.messages[1].content``."""
    text = ""
    for step in steps:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text += f".{step}" if text else step
    return text


@dataclass(frozen=True)
class ArgumentValue:
    """A value node somewhere inside a field's argument, with its path."""

    path: tuple[Step, ...]
    node: ValueNode


def argument_values(
    document: DocumentNode, operation: OperationDefinitionNode | None
) -> Iterator[ArgumentValue]:
    """Every value node in the arguments of the operation's fields (fragments included),
    with the path from the argument's name down to it."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    selections: list[SelectionSetNode] = [operation.selection_set] if operation else []
    seen: set[str] = set()
    while selections:
        for selection in selections.pop().selections:
            if isinstance(selection, FieldNode):
                for argument in selection.arguments or ():
                    yield from _values((argument.name.value,), argument.value)
                if selection.selection_set:
                    selections.append(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                selections.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    selections.append(fragments[name].selection_set)


def _values(path: tuple[Step, ...], node: ValueNode) -> Iterator[ArgumentValue]:
    pending = [(path, node)]
    while pending:
        path, node = pending.pop()
        yield ArgumentValue(path, node)
        if isinstance(node, ObjectValueNode):
            pending.extend(((*path, f.name.value), f.value) for f in node.fields)
        elif isinstance(node, ListValueNode):
            pending.extend(((*path, index), item) for index, item in enumerate(node.values))


def locate_literal(
    document: DocumentNode, operation: OperationDefinitionNode | None, node: Node
) -> str | None:
    """The argument path of a literal value node of the operation, if it is one."""
    for found in argument_values(document, operation):
        if found.node is node:
            return field_path(*found.path)
    return None


def variable_usages(
    document: DocumentNode, operation: OperationDefinitionNode | None
) -> dict[str, tuple[Step, ...]]:
    """Where each variable is first used: the argument path it stands for."""
    usages: dict[str, tuple[Step, ...]] = {}
    for found in argument_values(document, operation):
        if isinstance(found.node, VariableNode):
            usages.setdefault(found.node.name.value, found.path)
    return usages


def coerce_variables(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    inputs: Mapping[str, Any],
) -> dict[str, Any] | list[GraphQLError]:
    """The operation's variables coerced to their types, defaults applied; or one
    ``BAD_USER_INPUT`` error per refused value, naming the argument it is for."""
    definitions = operation.variable_definitions or ()
    coerced = get_variable_values(schema, definitions, dict(inputs))
    if not isinstance(coerced, list):
        return dict(coerced.coerced)
    usages = variable_usages(document, operation)
    errors: list[GraphQLError] = []
    for definition in definitions:
        name = definition.variable.name.value
        value_type = type_from_ast(schema, definition.type)
        if name not in inputs or value_type is None:
            continue
        value = inputs[name]

        def refused(error: GraphQLError, path: Sequence[Step], name: str = name) -> None:
            argument = field_path(*usages.get(name, (name,)), *path)
            errors.append(input_refusal(argument, error))

        validate_input_value(value, value_type, refused)  # type: ignore[arg-type]
    # Errors without a value to blame (a required variable not given): as graphql-core says.
    return errors or [BadUserInput(error.message) for error in coerced]


def input_refusal(argument: str, error: GraphQLError) -> BadUserInput:
    """A ``BAD_USER_INPUT`` error for the value at ``argument``: the scalar's own words
    when a scalar refused it, graphql-core's otherwise."""
    cause = error.original_error
    reason = str(cause) if isinstance(cause, InvalidScalar) else error.message
    return BadUserInput(f"`{argument}`: {reason}", argument, nodes=error.nodes)
