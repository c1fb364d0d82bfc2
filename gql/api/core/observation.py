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
    plain-field execution path (see gql/api/core/execution.py), and which read
    path its root fields took."""

    operation: str | None = None
    operation_type: str | None = None
    graphql_errors: int = 0
    plain_path_fallbacks: int = 0
    # Root fields answered as compiled JSON, and those read on the loader path.
    compiled_reads: int = 0
    loader_reads: int = 0
    # The replica the query read from (None: the primary).
    read_from: str | None = None
    # Run as a prepared query (gql/api/core/prepared.py), not through Strawberry's
    # extensions.
    prepared: bool = False

    @property
    def read_path(self) -> str | None:
        """``compiled``, ``loader`` or ``mixed`` for a request that read lists or
        nodes (see gql/api/core/compiled.py); None for one that did not."""
        if self.compiled_reads and self.loader_reads:
            return "mixed"
        if self.compiled_reads:
            return "compiled"
        return "loader" if self.loader_reads else None


observation_var: ContextVar[Observation | None] = ContextVar("concierge_observation", default=None)


def current_observation() -> Observation | None:
    return observation_var.get()
