"""Schema extensions: the cross-cutting rules every operation passes through.

Order matters. Documents are size-limited while they are parsed, depth and alias
limits run as validation rules, and the request limits that depend on variables
run when execution starts — all before the first SQL statement, which is the
viewer's lookup in :class:`IdentifyViewer`.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    IntValueNode,
    Lexer,
    ListValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    TokenKind,
    ValueNode,
    VariableNode,
    get_operation_ast,
    parse,
    visit,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.language import InlineFragmentNode, Visitor
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.types.graphql import OperationType

from gql.api.core.compat import core_schema, provided_operation_name, use_instead_of_executing
from gql.api.core.context import Context
from gql.api.core.cost import BATCH_ARGUMENTS, PAGE_ARGUMENTS, CostEstimate
from gql.api.core.errors import BadUserInput, database_error, page_size_refused, with_code
from gql.api.core.inputs import coerce_variables, input_refusal, locate_literal
from gql.api.core.observation import current_observation, current_request_id
from gql.api.core.scalars import MAX_NESTING, InvalidScalar
from gql.settings import Settings
from persistence.errors import Unavailable

# The request header that asks for the cost estimate in the response's extensions.
COST_HEADER = "Query-Cost"
NODE_ID_ARGUMENTS = BATCH_ARGUMENTS


def is_unexpected(error: GraphQLError) -> bool:
    """Only errors raised inside resolvers that are not GraphQL errors are bugs to mask;
    syntax, validation, permission and bad-input messages stay readable, and a
    database that cannot serve is said so (see :func:`gql.api.core.errors.database_error`)."""
    cause = error.original_error
    return cause is not None and not isinstance(cause, GraphQLError | InvalidScalar | Unavailable)


class PresentErrors(MaskErrors):
    """Gives every error a code clients can switch on, and nothing else away.

    - values a type refuses, in the document, become ``BAD_USER_INPUT`` naming
      the argument (variables are refused so already, by :class:`RequestLimits`);
    - a database that cannot serve becomes ``DATABASE_UNAVAILABLE`` or
      ``DATABASE_BUSY``, retryable, with the request id;
    - anything else unexpected is masked as ``INTERNAL_SERVER_ERROR`` with the
      request id, so a user's report can be matched with the logged traceback;
    - other refused documents are ``GRAPHQL_VALIDATION_FAILED`` (syntax errors
      are ``GRAPHQL_PARSE_FAILED``, see :class:`BoundedParse`).
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected, error_message="Unexpected error.")

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return [self._present(error) for error in errors]

    def _present(self, error: GraphQLError) -> GraphQLError:
        if (error.extensions or {}).get("code"):
            return error
        if isinstance(error.original_error, Unavailable):
            return database_error(error.original_error, error)
        argument = self._literal_argument(error)
        if argument is not None:
            return input_refusal(argument, error)
        if is_unexpected(error):
            return self.anonymise_error(error)
        if error.path is None:
            return with_code(error, "GRAPHQL_VALIDATION_FAILED")
        return error

    def _literal_argument(self, error: GraphQLError) -> str | None:
        """The argument path of the literal an error points at, if it points at one."""
        document = self.execution_context.graphql_document
        if error.path is not None or not error.nodes or document is None:
            return None
        operation = get_operation_ast(document, self.execution_context.operation_name)
        return locate_literal(document, operation, error.nodes[0])

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return GraphQLError(
            message=self.error_message,
            nodes=error.nodes,
            source=error.source,
            positions=error.positions,
            path=error.path,
            extensions={"code": "INTERNAL_SERVER_ERROR", "requestId": current_request_id()},
        )


class BoundedParse(SchemaExtension):
    """Parses each document once (an LRU cache shared by every request), refusing
    documents of more than ``max_tokens`` tokens or nesting deeper than
    :data:`gql.api.core.scalars.MAX_NESTING` brackets before the parser, which recurses
    per level, can run out of stack."""

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None:
            try:
                context.graphql_document = parse_bounded(context.query, self.max_tokens)
            except GraphQLError as error:
                # Raised from here, it reaches the client without passing PresentErrors.
                raise with_code(error, "GRAPHQL_PARSE_FAILED") from None
        yield


@functools.lru_cache(maxsize=512)
def parse_bounded(query: str, max_tokens: int) -> DocumentNode:
    """The document of ``query``, parsed once (see :class:`BoundedParse`)."""
    source = Source(query)
    lexer = Lexer(source)
    depth = tokens = 0
    token = lexer.advance()
    while token.kind is not TokenKind.EOF:
        tokens += 1
        if tokens > max_tokens:
            raise GraphQLSyntaxError(
                source,
                token.start,
                f"Document contains more than {max_tokens} tokens. Parsing aborted.",
            )
        if token.kind in _OPENING:
            depth += 1
            if depth > MAX_NESTING:
                raise GraphQLSyntaxError(
                    source,
                    token.start,
                    f"Document nests deeper than {MAX_NESTING} levels. Parsing aborted.",
                )
        elif token.kind in _CLOSING:
            depth -= 1
        token = lexer.advance()
    document = parse(source, max_tokens=max_tokens)
    _refuse_empty_selections(source, document)
    return document


def _refuse_empty_selections(source: Source, document: DocumentNode) -> None:
    """The grammar wants one selection or more in braces (``{ }`` is no query);
    graphql-core 3.3 parses an empty pair, which Strawberry's depth limiter then
    fails on with an internal error."""

    class Empty(Visitor):
        def enter_selection_set(self, node: SelectionSetNode, *_: Any) -> None:
            if not node.selections:
                start = node.loc.start if node.loc is not None else 0
                raise GraphQLSyntaxError(source, start, "Expected a selection inside braces.")

    visit(document, Empty())


_OPENING = frozenset({TokenKind.BRACE_L, TokenKind.BRACKET_L, TokenKind.PAREN_L})
_CLOSING = frozenset({TokenKind.BRACE_R, TokenKind.BRACKET_R, TokenKind.PAREN_R})


def has_several_operations(document: DocumentNode) -> bool:
    """Whether ``document`` holds more than one operation (a request must name one)."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    return len(operations) > 1


class SingleOperation(SchemaExtension):
    """A document with several operations must name the one to run.

    Strawberry would otherwise run the first one, silently.
    """

    def on_parse(self) -> Iterator[None]:
        yield
        document = self.execution_context.graphql_document
        if document is None or provided_operation_name(self.execution_context) is not None:
            return
        if has_several_operations(document):
            raise GraphQLError(
                "Must provide operationName when the document contains several operations.",
                extensions={"code": "BAD_REQUEST"},
            )


class OperationLimits:
    """The limits a query's variables, page sizes, ``nodes(ids:)`` batches and
    estimated cost must keep, checked before anything is resolved (by
    :class:`RequestLimits` on Strawberry's path, by gql/api/core/prepared.py on
    the prepared one)."""

    def __init__(
        self, max_page_size: int, max_node_ids: int, max_cost: int, default_page_size: int
    ) -> None:
        self.max_page_size = max_page_size
        self.max_node_ids = max_node_ids
        self.max_cost = max_cost
        self.default_page_size = default_page_size

    def variables(
        self,
        schema: GraphQLSchema,
        document: DocumentNode,
        operation: OperationDefinitionNode,
        raw: dict[str, Any],
    ) -> dict[str, Any] | list[GraphQLError]:
        """The variables coerced to their types, or the errors that refuse them
        (``BAD_USER_INPUT`` naming the argument)."""
        return coerce_variables(schema, document, operation, raw)

    def cost(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> int:
        """The operation's estimated cost (gql/api/core/cost.py) once its page sizes
        and batches passed (raises the GraphQL error that refuses them)."""
        self._check(operation.selection_set, fragments, variables, set())
        estimate = CostEstimate(schema, fragments, variables, self.default_page_size)
        return estimate.of(operation.selection_set, schema.get_root_type(operation.operation))

    def check_cost(self, cost: int) -> None:
        """Raises the GraphQL error that refuses an operation of this cost, if any."""
        if cost > self.max_cost:
            raise GraphQLError(
                f"The query's estimated cost of {cost} is over the limit of "
                f"{self.max_cost}; ask for smaller pages or fewer nested lists.",
                extensions={"code": "QUERY_TOO_COSTLY", "cost": cost, "limit": self.max_cost},
            )

    def report(
        self, cost: int | None, operation_extensions: dict[str, Any] | None, context: Any
    ) -> dict[str, Any]:
        """The response's ``extensions`` entry for the estimate, when the request asks
        for it (``"extensions": {"cost": true}`` or a ``Query-Cost: 1`` header)."""
        if cost is None or not _cost_asked(operation_extensions, context):
            return {}
        return {"cost": {"estimated": cost, "limit": self.max_cost}}

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


def _cost_asked(operation_extensions: dict[str, Any] | None, context: Any) -> bool:
    if (operation_extensions or {}).get("cost") is True:
        return True
    request = getattr(context, "request", None)
    headers = getattr(request, "headers", None) or {}
    return str(headers.get(COST_HEADER, "")).strip().lower() in ("1", "true")


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}


class RequestLimits(SchemaExtension):
    """Refuses, before anything is resolved, what :class:`OperationLimits` refuses:
    variables their types refuse, page sizes and ``nodes(ids:)`` batches over
    their caps (as literals, variables or variables' defaults), and documents
    whose estimated cost is over the limit (``QUERY_TOO_COSTLY``, with the cost
    and the limit). The estimate is reported in the response's
    ``extensions.cost`` when the request asks."""

    def __init__(self, limits: OperationLimits) -> None:
        self.limits = limits
        self.cost: int | None = None

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context
        return self.limits.report(self.cost, context.operation_extensions, context.context)

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = get_operation_ast(document, context.operation_name) if document else None
        if document is not None and operation is not None:
            schema = core_schema(context)
            variables = self.limits.variables(schema, document, operation, context.variables or {})
            if isinstance(variables, list):
                # Instead of executing (and of the viewer lookup).
                use_instead_of_executing(
                    context, GraphQLExecutionResult(data=None, errors=variables)
                )
            else:
                self.cost = self.limits.cost(schema, operation, fragments_of(document), variables)
                self.limits.check_cost(self.cost)
        yield


class IdentifyViewer(SchemaExtension):
    """Looks the viewer up once the operation has passed every limit, so a refused
    request costs no SQL at all; sends a query's reads to a replica when one is
    usable, and has a mutation's writer read their own writes afterwards."""

    async def on_execute(self) -> AsyncIterator[None]:
        context = self.execution_context
        query = context.operation_type is OperationType.QUERY
        if context.result is None:
            if query:
                context.context.uow.only_read()
            try:
                await context.context.identify()
                if query:
                    await context.context.read_from_replica()
            except Unavailable as error:
                use_instead_of_executing(
                    context, GraphQLExecutionResult(data=None, errors=[database_error(error)])
                )
        yield
        if context.operation_type is OperationType.MUTATION:
            await context.context.remember_write()


class PerOperationContext(SchemaExtension):
    """Gives each operation on a WebSocket connection a context of its own: the
    connection's is shared by all of them, and a unit of work must not be."""

    async def on_operation(self) -> AsyncIterator[None]:
        connection = self.execution_context.context
        if not (isinstance(connection, Context) and connection.is_connection):
            yield
            return
        operation = connection.for_operation()
        self.execution_context.context = operation
        try:
            yield
        finally:
            # Shielded: the operation ends by cancellation when its client leaves.
            await asyncio.shield(operation.close())


def limit_rules(settings: Settings) -> list[type[ASTValidationRule]]:
    """The validation rules of the depth and alias limits, for one schema.

    They are built once: the validation cache is keyed by the rule classes, and
    each limiter instance would otherwise make new ones per request."""
    return [
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
    ]


def build_extensions(
    settings: Settings, rules: list[type[ASTValidationRule]], limits: OperationLimits
) -> list[Callable[[], SchemaExtension]]:
    """The extensions of every operation, in the order they must run; ``rules`` are
    the schema's :func:`limit_rules`, ``limits`` its :func:`operation_limits`."""
    return [
        PerOperationContext,
        PresentErrors,
        lambda: BoundedParse(settings.max_tokens),
        SingleOperation,
        lambda: AddValidationRules(rules),
        lambda: ValidationCache(maxsize=512),
        lambda: RequestLimits(limits),
        IdentifyViewer,
    ]


def operation_limits(settings: Settings) -> OperationLimits:
    return OperationLimits(
        settings.max_page_size,
        settings.max_node_ids,
        settings.max_query_cost,
        settings.default_page_size,
    )


def _value(node: ValueNode, variables: dict[str, Any]) -> Any:
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)  # coerced, defaults applied
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, ListValueNode):
        return list(node.values)
    return None


class OperationName(SchemaExtension):
    """Reports the operation's name, type and error count to the request's observation."""

    def on_operation(self) -> Iterator[None]:
        yield
        observation = current_observation()
        if observation is None:
            return
        context = self.execution_context
        observation.operation = context.operation_name
        try:
            observation.operation_type = context.operation_type.value
        except RuntimeError:  # the document did not parse; there is no operation
            observation.operation_type = None
        result = context.result
        errors = (result.errors if result is not None else None) or context.pre_execution_errors
        observation.graphql_errors = len(errors or ())
