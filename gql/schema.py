"""The Strawberry schema: query and mutation roots, every type, and the
extensions that carry cross-cutting concerns."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import DisableIntrospection, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from gql.errors import ERROR_TYPES
from gql.execution import PlainFieldExecutionContext
from gql.extensions import build_extensions, is_unexpected
from gql.middleware import current_request_id
from gql.mutations import Mutation
from gql.observability import OperationName
from gql.queries import Query
from gql.scalars import SCALAR_MAP, SCALAR_OVERRIDES
from gql.types.appointments import Appointment
from gql.types.conversations import Conversation, Message
from gql.types.customers import Customer
from gql.types.files import File
from gql.types.personas import Persona
from gql.types.users import User
from persistence.config import Settings

NODE_TYPES = (User, Persona, Customer, Conversation, Message, Appointment, File)


logger = logging.getLogger("concierge.graphql")


class ConciergeSchema(strawberry.Schema):
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


def build_schema(settings: Settings) -> strawberry.Schema:
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        *build_extensions(settings),
        OperationName,
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    return ConciergeSchema(
        query=Query,
        mutation=Mutation,
        types=[*NODE_TYPES, *ERROR_TYPES],
        extensions=extensions,
        config=StrawberryConfig(relay_max_results=settings.max_page_size, scalar_map=SCALAR_MAP),
        scalar_overrides=SCALAR_OVERRIDES,
        execution_context_class=PlainFieldExecutionContext,
    )


def export_sdl(schema: Any = None) -> str:
    """The schema as SDL text, exactly as committed in ``schema.graphql``."""
    schema = schema or build_schema(Settings(CONCIERGE_ENV="development"))
    return str(schema) + "\n"
