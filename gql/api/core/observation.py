"""What is known of the request a task serves: its id (set by the server's
middleware) and what the GraphQL layer observed of it (the operation, its
errors, how many selections left the plain-field path), for the request's log
line, metrics and error extensions."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served by this task, if any."""
    return request_id.get()


@dataclass
class Observation:
    """What the GraphQL layer reports about the request being served, for its log
    line and metrics: the operation, its errors, and how many selections left the
    plain-field execution path (see gql/api/core/execution.py)."""

    operation: str | None = None
    operation_type: str | None = None
    graphql_errors: int = 0
    plain_path_fallbacks: int = 0


observation_var: ContextVar[Observation | None] = ContextVar("concierge_observation", default=None)


def current_observation() -> Observation | None:
    return observation_var.get()
