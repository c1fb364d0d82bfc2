"""The Strawberry schema: the query, mutation and subscription roots assembled from each domain
of gql/api/, every type, and the extensions that carry cross-cutting concerns.

The order of the domains below is the order of the root fields in the SDL and
in GraphiQL's documentation."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule, specified_rules
from strawberry.extensions import DisableIntrospection, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from gql.api.accounts.mutations import AccountMutations
from gql.api.accounts.queries import AccountQueries
from gql.api.accounts.types import User
from gql.api.appointments.mutations import AppointmentMutations
from gql.api.appointments.queries import AppointmentQueries, ReminderQueries
from gql.api.appointments.subscriptions import AppointmentSubscriptions
from gql.api.appointments.types import Appointment
from gql.api.calendar.mutations import ScheduleMutations
from gql.api.calendar.queries import CalendarQueries
from gql.api.conversations.mutations import ConversationMutations
from gql.api.conversations.queries import ConversationQueries
from gql.api.conversations.subscriptions import ConversationSubscriptions
from gql.api.conversations.types import Conversation, Message
from gql.api.core.errors import ERROR_TYPES
from gql.api.core.execution import PlainFieldExecutionContext
from gql.api.core.extensions import (
    OperationName,
    build_extensions,
    is_unexpected,
    limit_rules,
    operation_limits,
)
from gql.api.core.naming import RememberingNameConverter
from gql.api.core.nodes import NodeQueries
from gql.api.core.observation import current_request_id
from gql.api.core.prepared import PreparedQueries
from gql.api.core.scalars import SCALAR_MAP, SCALAR_OVERRIDES
from gql.api.customers.mutations import CustomerMutations
from gql.api.customers.queries import CustomerQueries
from gql.api.customers.types import Customer
from gql.api.dashboard.queries import DashboardQueries
from gql.api.files.mutations import FileMutations
from gql.api.files.queries import FileQueries
from gql.api.files.types import File
from gql.api.health.queries import HealthQueries
from gql.api.memories.mutations import MemoryMutations
from gql.api.memories.types import Memory
from gql.api.personas.mutations import PersonaMutations
from gql.api.personas.queries import PersonaQueries
from gql.api.personas.types import Persona, PersonaModule
from gql.api.states.mutations import StateMutations
from gql.settings import Settings

NODE_TYPES = (
    User,
    Persona,
    PersonaModule,
    Customer,
    Conversation,
    Message,
    Memory,
    Appointment,
    File,
)

Query = merge_types(
    "Query",
    (
        CalendarQueries,
        DashboardQueries,
        NodeQueries,
        HealthQueries,
        AccountQueries,
        PersonaQueries,
        CustomerQueries,
        ConversationQueries,
        AppointmentQueries,
        FileQueries,
        ReminderQueries,
    ),
)
# One input object in, one payload out, one unit of work each.
Mutation = merge_types(
    "Mutation",
    (
        AccountMutations,
        PersonaMutations,
        CustomerMutations,
        ConversationMutations,
        StateMutations,
        MemoryMutations,
        AppointmentMutations,
        ScheduleMutations,
        FileMutations,
    ),
)

# Live events over WebSocket (gql/server/subscriptions.py).
Subscription = merge_types("Subscription", (ConversationSubscriptions, AppointmentSubscriptions))


logger = logging.getLogger("concierge.graphql")


class ConciergeSchema(strawberry.Schema):
    # Set by build_schema where prepared queries are on (gql/api/core/prepared.py).
    prepared: PreparedQueries | None = None

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """A prepared query's answer where it has one; Strawberry's otherwise."""
        prepared = self.prepared
        if prepared is not None and root_value is None:
            found = prepared.find(query, operation_name, context_value, allowed_operation_types)
            if found is not None:
                result = await prepared.run(
                    found, context_value, variable_values, operation_name, operation_extensions
                )
                if result is not None:
                    return result
        return await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Log bugs with their traceback; expected refusals are the client's business."""
        for error in errors:
            if is_unexpected(error):
                logger.error(
                    "unexpected error in request %s at %s",
                    current_request_id(),
                    ".".join(map(str, error.path or ())) or "-",
                    exc_info=error.original_error,
                )
            else:
                logger.debug("request refused: %s", error.message)


def build_schema(
    settings: Settings, traced: Sequence[Callable[[], SchemaExtension]] = ()
) -> strawberry.Schema:
    """The schema with every operation's extensions; ``traced`` adds tracing's
    (gql/server/tracing.py) around them."""
    rules = limit_rules(settings)
    limits = operation_limits(settings)  # one for both paths
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        *traced,
        *build_extensions(settings, rules, limits),
        OperationName,
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    schema = ConciergeSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[*NODE_TYPES, *ERROR_TYPES],
        extensions=extensions,
        config=StrawberryConfig(
            relay_max_results=settings.max_page_size,
            scalar_map=SCALAR_MAP,
            name_converter=RememberingNameConverter(),
        ),
        scalar_overrides=SCALAR_OVERRIDES,
        execution_context_class=PlainFieldExecutionContext,
    )
    if settings.prepared_queries and not traced:
        # The rules Strawberry's path validates with, in its order (see compat.py).
        introspection = [] if settings.introspection_enabled else [NoSchemaIntrospectionCustomRule]
        schema.prepared = PreparedQueries(
            schema,
            (*specified_rules, *rules, *introspection),
            limits,
            settings.max_tokens,
        )
    return schema


def export_sdl(schema: Any = None) -> str:
    """The schema as SDL text, exactly as committed in ``schema.graphql``."""
    schema = schema or build_schema(Settings(CONCIERGE_ENV="development"))
    return str(schema) + "\n"
