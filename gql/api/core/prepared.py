"""Prepared queries: a query document that parses and validates runs without
Strawberry's per-request machinery.

Strawberry runs every operation through its extension runner: for each of
the operation, parse, validation and execution stages it wraps every
extension's hook in a context manager of its own (ten extensions, forty
wrappers a request), then validates through a cache keyed by the document,
which hashes the whole syntax tree on every lookup. For a small query (one
``node(id:)``, say) that was about a fifth of the server's CPU per request.

Here a query is parsed and validated once, with exactly the rules Strawberry's
path applies (the schema's, the depth and alias limits, no introspection where
it is disabled), and kept by its text and operation name. A request for a kept
query then does, in the same order, what the extensions would do:

- the limits of :class:`~gql.api.core.extensions.OperationLimits` (variables,
  page sizes, batches, cost), and the cost in ``extensions`` when asked;
- the viewer's lookup and the choice of replica
  (:class:`~gql.api.core.extensions.IdentifyViewer`);
- graphql-core's execution, with the schema's execution context class;
- the errors logged (``Schema.process_errors``), then presented
  (:class:`~gql.api.core.extensions.PresentErrors`);
- the operation's name, type and error count for the request's log line.

Whatever is refused or unusual takes Strawberry's path, which then refuses or
answers it exactly as it always has: a document that does not parse or
validate, several operations without a name, a mutation, subscription or an
operation type the transport does not allow, variables or limits that refuse
the request (nothing has been read yet), a WebSocket operation (its own
context per operation), and every request when tracing is on (its spans follow
Strawberry's stages) or ``PREPARED_QUERIES`` is off.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from inspect import isawaitable
from typing import Any

import strawberry
from cachetools import LRUCache
from graphql import (
    ArgumentNode,
    ASTValidationRule,
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    get_operation_ast,
    validate,
    visit,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.execution import execute
from graphql.language import Visitor
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType as StrawberryOperationType

from gql.api.core.compat import graphql_schema, optimized_is_awaitable
from gql.api.core.compiled import frozen
from gql.api.core.context import Context
from gql.api.core.cost import SIZING_ARGUMENTS
from gql.api.core.errors import database_error
from gql.api.core.extensions import (
    OperationLimits,
    PresentErrors,
    fragments_of,
    has_several_operations,
    parse_bounded,
)
from gql.api.core.observation import current_observation
from persistence.errors import Unavailable

# How many distinct (query, operation name) pairs are kept, prepared or refused.
CACHE_SIZE = 512
# How many costs one query keeps, by the values of its sizing variables.
COSTS_KEPT = 32


@dataclass(frozen=True)
class PreparedQuery:
    """A query that parsed and validated: what each request of it starts from."""

    document: DocumentNode
    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    name: str | None  # the operation's name, as the request's log line gives it
    # The variables the limits read (page sizes and batches), and the cost of the
    # operation per their values: most requests of a query differ in others only.
    sizing: tuple[str, ...]
    costs: LRUCache[tuple[Any, ...], int] = field(
        default_factory=lambda: LRUCache(maxsize=COSTS_KEPT), compare=False
    )


class PreparedQueries:
    """The prepared queries of one schema, and how a request of one is answered."""

    def __init__(
        self,
        schema: strawberry.Schema,
        rules: Sequence[type[ASTValidationRule]],
        limits: OperationLimits,
        max_tokens: int,
    ) -> None:
        self.strawberry_schema = schema
        self.schema = graphql_schema(schema)
        self.rules = tuple(rules)
        self.limits = limits
        self.max_tokens = max_tokens
        self.executor_class = schema.execution_context_class
        self.process_errors = schema.process_errors
        self._kept: LRUCache[tuple[str, str | None], PreparedQuery | None] = LRUCache(
            maxsize=CACHE_SIZE
        )

    def find(
        self,
        query: str | None,
        operation_name: str | None,
        context: Any,
        allowed: Iterable[StrawberryOperationType] | None,
    ) -> PreparedQuery | None:
        """The prepared query a request may run as one, or None for Strawberry's path."""
        if query is None or not isinstance(context, Context) or context.is_connection:
            return None
        if allowed is None or StrawberryOperationType.QUERY not in allowed:
            return None
        key = (query, operation_name)
        try:
            return self._kept[key]
        except KeyError:
            pass
        found = self._prepare(query, operation_name)
        self._kept[key] = found
        return found

    def _prepare(self, query: str, operation_name: str | None) -> PreparedQuery | None:
        try:
            document = parse_bounded(query, self.max_tokens)
        except GraphQLError:
            return None
        if operation_name is None and has_several_operations(document):
            return None
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation is not OperationType.QUERY:
            return None
        try:
            if validate(self.schema, document, self.rules):
                return None
        except Exception:  # a rule that fails on an odd document: Strawberry's path reports it
            return None
        name = operation_name or (operation.name.value if operation.name else None)
        fragments = fragments_of(document)
        sizing = sizing_variables(operation, fragments)
        return PreparedQuery(document, operation, fragments, name, sizing)

    async def run(
        self,
        prepared: PreparedQuery,
        context: Any,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        operation_extensions: dict[str, Any] | None,
    ) -> ExecutionResult | None:
        """The answer to a request of ``prepared``; None where Strawberry's path must
        refuse it (before anything was read). ``context`` is the request's, as
        :meth:`find` accepted it."""
        assert isinstance(context, Context)
        coerced = self.limits.variables(
            self.schema, prepared.document, prepared.operation, variables or {}
        )
        if isinstance(coerced, list):
            return None
        sizes = tuple(frozen(coerced.get(name)) for name in prepared.sizing)
        cost = prepared.costs.get(sizes)
        if cost is None:
            try:
                cost = self.limits.cost(
                    self.schema, prepared.operation, prepared.fragments, coerced
                )
                self.limits.check_cost(cost)
            except GraphQLError:
                return None
            prepared.costs[sizes] = cost
        data: dict[str, Any] | None = None
        errors: list[GraphQLError] | None
        context.uow.only_read()
        try:
            await context.identify()
            await context.read_from_replica()
        except Unavailable as error:
            errors = [database_error(error)]
        else:
            data, errors = await self._execute(prepared, context, variables, operation_extensions)
        if errors:
            self.process_errors(errors)
            errors = self._present(prepared, context, variables, operation_name, errors)
        observation = current_observation()
        if observation is not None:
            observation.prepared = True
            observation.operation = prepared.name
            observation.operation_type = OperationType.QUERY.value
            observation.graphql_errors = len(errors or ())
        extensions = self.limits.report(cost, operation_extensions, context)
        return ExecutionResult(data=data, errors=errors or None, extensions=extensions)

    async def _execute(
        self,
        prepared: PreparedQuery,
        context: Context,
        variables: dict[str, Any] | None,
        operation_extensions: dict[str, Any] | None,
    ) -> tuple[dict[str, Any] | None, list[GraphQLError] | None]:
        try:
            result: Any = execute(
                self.schema,
                prepared.document,
                context_value=context,
                variable_values=variables,
                operation_name=prepared.name,
                is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
                executor_class=self.executor_class,
                operation_extensions=operation_extensions,
            )
            if isawaitable(result):
                result = await result
        except Exception as error:  # as Strawberry answers an operation that raised
            return None, [error if isinstance(error, GraphQLError) else _wrapped(error)]
        assert isinstance(result, GraphQLExecutionResult)
        return result.data, result.errors

    def _present(
        self,
        prepared: PreparedQuery,
        context: Context,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        errors: list[GraphQLError],
    ) -> list[GraphQLError]:
        """The errors as :class:`PresentErrors` gives them to clients (it reads the
        document and operation from an execution context of Strawberry's)."""
        execution = ExecutionContext(
            query=None,
            schema=self.strawberry_schema,
            allowed_operations=(StrawberryOperationType.QUERY,),
            context=context,
            variables=variables,
            provided_operation_name=operation_name,
        )
        execution.graphql_document = prepared.document
        presenter = PresentErrors()
        presenter.execution_context = execution
        return presenter._process_errors(errors)


def sizing_variables(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> tuple[str, ...]:
    """The variables in the arguments the limits and the cost estimate read (page
    sizes and ``nodes(ids:)``), through the fragments the operation spreads."""
    found: set[str] = set()

    class Collect(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
            if node.name.value in SIZING_ARGUMENTS:
                visit(node.value, Variables())

    class Variables(Visitor):
        def enter_variable(self, node: VariableNode, *_: Any) -> None:
            found.add(node.name.value)

    visit(operation, Collect())
    for fragment in fragments.values():
        visit(fragment, Collect())
    return tuple(sorted(found))


def _wrapped(error: Exception) -> GraphQLError:
    return GraphQLError(str(error), original_error=error)
