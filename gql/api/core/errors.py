"""Errors of the GraphQL layer.

Expected failures of mutations are values: types implementing ``UserError``
returned in a payload's ``errors`` list, so clients switch on ``code`` or
``__typename``. Query-time refusals are GraphQL errors with an
``extensions.code``. Anything else is a bug and is masked.
"""

from __future__ import annotations

import enum
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.scalars import JSON

from gql.api.core.observation import current_request_id
from persistence.errors import Busy, Unavailable


class BadUserInput(GraphQLError):
    """An argument is invalid (a bad cursor, a page size over the cap, a value its
    type refuses); ``argument`` names it as a path like ``input.messages[1].content``."""

    def __init__(self, message: str, argument: str | None = None, nodes: Any = None) -> None:
        extensions: dict[str, Any] = {"code": "BAD_USER_INPUT"}
        if argument:
            extensions["argument"] = argument
        super().__init__(message, nodes, extensions=extensions)


def page_size_refused(argument: str, maximum: int) -> BadUserInput:
    """The one refusal of a page size over the cap, wherever it is caught first."""
    return BadUserInput(f"`{argument}` must be between 0 and {maximum}", argument)


def with_code(error: GraphQLError, code: str) -> GraphQLError:
    """The same error with ``extensions.code`` set."""
    return GraphQLError(
        error.message,
        error.nodes,
        error.source,
        error.positions,
        error.path,
        error.original_error,
        {**(error.extensions or {}), "code": code},
    )


# How clients learn that the database could not serve: the request may be retried.
DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
DATABASE_BUSY = "DATABASE_BUSY"
DATABASE_CODES = frozenset({DATABASE_UNAVAILABLE, DATABASE_BUSY})


def database_error(cause: Unavailable, located: GraphQLError | None = None) -> GraphQLError:
    """The error a client gets when the database could not serve: no driver or OS
    text, a code that says to retry, and the request id (at ``located``'s place
    in the response, if it is given)."""
    busy = isinstance(cause, Busy)
    message = (
        "The database is busy; retry the request."
        if busy
        else "The database is unavailable; retry the request shortly."
    )
    return GraphQLError(
        message,
        located.nodes if located else None,
        path=located.path if located else None,
        extensions={
            "code": DATABASE_BUSY if busy else DATABASE_UNAVAILABLE,
            "retryable": True,
            "requestId": current_request_id(),
        },
    )


class NotAuthenticated(GraphQLError):
    def __init__(self) -> None:
        super().__init__(
            "authentication required: send `Authorization: Bearer <token>` from logIn",
            extensions={"code": "UNAUTHENTICATED"},
        )


@strawberry.enum(description="Why a mutation did not happen.")
class ErrorCode(enum.Enum):
    VALIDATION = "validation"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    SLOT_UNAVAILABLE = "slot_unavailable"
    INVALID_TRANSITION = "invalid_transition"
    OUTSIDE_OPENING_HOURS = "outside_opening_hours"
    UNKNOWN_TIME_ZONE = "unknown_time_zone"
    END_BEFORE_START = "end_before_start"
    OVERLAPPING_INTERVALS = "overlapping_intervals"
    INVALID_CREDENTIALS = "invalid_credentials"
    UNAUTHENTICATED = "unauthenticated"
    VERSION_CONFLICT = "version_conflict"
    WRONG_EMBEDDING_LENGTH = "wrong_embedding_length"


@strawberry.interface(description="An expected reason a mutation did not happen.")
class UserError:
    code: ErrorCode
    message: str
    field: str | None = strawberry.field(
        default=None, description="The input field at fault, as a path like `input.email`."
    )


@strawberry.type(description="An input value breaks a rule (length, format, range).")
class ValidationError(UserError):
    pass


@strawberry.type(description="The object does not exist or is not yours.")
class NotFoundError(UserError):
    pass


@strawberry.type(description="Another object already uses this unique value.")
class ConflictError(UserError):
    pass


@strawberry.type(description="The time overlaps another appointment.")
class SlotUnavailable(UserError):
    pass


@strawberry.type(description="The appointment cannot move from its status to the requested one.")
class InvalidTransition(UserError):
    pass


@strawberry.type(description="The appointment would not lie within the schedule's opening hours.")
class OutsideOpeningHours(UserError):
    pass


@strawberry.type(description="The time zone is not a known IANA name such as Europe/Berlin.")
class UnknownTimeZone(UserError):
    pass


@strawberry.type(description="A time range ends at or before its start.")
class EndBeforeStart(UserError):
    pass


@strawberry.type(description="Two time ranges of the same day overlap.")
class OverlappingIntervals(UserError):
    pass


@strawberry.type(description="The login or the password is wrong, or the account is inactive.")
class InvalidCredentials(UserError):
    pass


@strawberry.type(description="This mutation needs a valid bearer token.")
class Unauthenticated(UserError):
    pass


@strawberry.type(
    description="Someone else wrote first: the stored version is not the expected one. "
    "`currentVersion` 0 means nothing is stored."
)
class VersionConflict(UserError):
    current_version: int
    current_value: JSON | None = None


@strawberry.type(description="An embedding's length is not the owner's embedding dimensions.")
class WrongEmbeddingLength(UserError):
    pass


ERROR_TYPES: tuple[type, ...] = (
    ValidationError,
    NotFoundError,
    ConflictError,
    SlotUnavailable,
    InvalidTransition,
    OutsideOpeningHours,
    UnknownTimeZone,
    EndBeforeStart,
    OverlappingIntervals,
    InvalidCredentials,
    Unauthenticated,
    VersionConflict,
    WrongEmbeddingLength,
)
