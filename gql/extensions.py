"""Schema extensions: the cross-cutting rules every operation passes through.

Order matters. Documents are size-limited while they are parsed, depth and alias
limits run as validation rules, and the request limits that depend on variables
run when execution starts — all before the first SQL statement, which is the
viewer's lookup in :class:`IdentifyViewer`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    IntValueNode,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
)
from graphql.language import InlineFragmentNode
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from gql.errors import BadUserInput, page_size_refused
from gql.middleware import current_request_id
from persistence.config import Settings

PAGE_ARGUMENTS = ("first", "last")
NODE_ID_ARGUMENTS = {"nodes": "ids"}


def is_unexpected(error: GraphQLError) -> bool:
    """Only errors raised inside resolvers that are not GraphQL errors are bugs to mask;
    syntax, validation, permission and bad-input messages stay readable."""
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


class MaskUnexpectedErrors(MaskErrors):
    """Replaces unexpected errors by one generic message that carries the request id,
    so a user's report can be matched with the logged traceback."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Unexpected error.")

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": current_request_id()},
        )


class SingleOperation(SchemaExtension):
    """A document with several operations must name the one to run.

    Strawberry would otherwise run the first one, silently.
    """

    def on_parse(self) -> Iterator[None]:
        yield
        document = self.execution_context.graphql_document
        if document is None or self.execution_context._provided_operation_name is not None:
            return
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) > 1:
            raise GraphQLError(
                "Must provide operationName when the document contains several operations.",
                extensions={"code": "BAD_REQUEST"},
            )


class RequestLimits(SchemaExtension):
    """Refuses page sizes and ``nodes(ids:)`` batches over their caps, variables included,
    before anything is resolved."""

    def __init__(self, max_page_size: int, max_node_ids: int) -> None:
        self.max_page_size = max_page_size
        self.max_node_ids = max_node_ids

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            operation = _selected_operation(document.definitions, context.operation_name)
            if operation is not None:
                self._check(operation.selection_set, fragments, context.variables or {}, set())
        yield

    def _check(
        self,
        selections: SelectionSetNode | None,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        visited: set[str],
    ) -> None:
        for node in selections.selections if selections else ():
            if isinstance(node, FieldNode):
                for argument in node.arguments or ():
                    name = argument.name.value
                    value = _value(argument.value, variables)
                    too_many = isinstance(value, int) and value > self.max_page_size
                    if name in PAGE_ARGUMENTS and too_many:
                        raise page_size_refused(name, self.max_page_size)
                    is_batch = NODE_ID_ARGUMENTS.get(node.name.value) == name
                    if is_batch and isinstance(value, list) and len(value) > self.max_node_ids:
                        raise BadUserInput(
                            f"`ids` may hold at most {self.max_node_ids} ids, not {len(value)}",
                            name,
                        )
                self._check(node.selection_set, fragments, variables, visited)
            elif isinstance(node, InlineFragmentNode):
                self._check(node.selection_set, fragments, variables, visited)
            elif isinstance(node, FragmentSpreadNode) and node.name.value not in visited:
                visited.add(node.name.value)
                fragment = fragments.get(node.name.value)
                self._check(
                    fragment.selection_set if fragment else None, fragments, variables, visited
                )


class IdentifyViewer(SchemaExtension):
    """Looks the viewer up once the operation has passed every limit, so a refused
    request costs no SQL at all."""

    async def on_execute(self) -> AsyncIterator[None]:
        await self.execution_context.context.identify()
        yield


def build_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """The extensions of every operation, in the order they must run."""
    # The depth and alias rules are built once: the validation cache is keyed by the
    # rule classes, and each limiter instance would otherwise make new ones per request.
    limit_rules = [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]
    return [
        MaskUnexpectedErrors,
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: ParserCache(maxsize=512),
        SingleOperation,
        lambda: AddValidationRules(limit_rules),
        lambda: ValidationCache(maxsize=512),
        lambda: RequestLimits(settings.max_page_size, settings.max_node_ids),
        IdentifyViewer,
    ]


def _selected_operation(
    definitions: Any, operation_name: str | None
) -> OperationDefinitionNode | None:
    for definition in definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation_name is None or (definition.name and definition.name.value == operation_name)
        ):
            return definition
    return None


def _value(node: ValueNode, variables: dict[str, Any]) -> Any:
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, ListValueNode):
        return list(node.values)
    return None
