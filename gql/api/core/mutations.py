"""The shape every mutation shares: one input, one payload with typed errors. The
use case (persistence/services/) runs the unit of work's transaction; here its
refusals become the payload's errors, and the request's loaders forget what the
write may have changed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry

from gql.api.core.context import Info
from gql.api.core.errors import (
    ConflictError,
    EndBeforeStart,
    ErrorCode,
    InvalidCredentials,
    InvalidTransition,
    NotFoundError,
    OutsideOpeningHours,
    OverlappingIntervals,
    SlotUnavailable,
    Unauthenticated,
    UnknownTimeZone,
    UserError,
    ValidationError,
    VersionConflict,
    WrongEmbeddingLength,
)
from gql.api.core.inputs import field_path
from gql.api.core.nodes import row_of
from persistence import errors
from persistence.errors import Field, ProblemKind
from persistence.models import User
from persistence.unit_of_work import UnitOfWork


@strawberry.type
class Payload:
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why the mutation did not happen; empty on success."
    )


P = TypeVar("P", bound=Payload)


@strawberry.input
class DeleteInput:
    id: strawberry.ID


@strawberry.type
class DeletePayload(Payload):
    deleted_id: strawberry.ID | None = None


def row_id(raw: str | None, type_name: str, field: Field) -> Any:
    """The row id inside a mutation input's global id of ``type_name`` (``None``
    stays ``None``); an id of another type or a malformed one is not found, like a
    missing one: the same typed NotFoundError for all three."""
    if raw is None:
        return None
    found = row_of(raw, type_name)
    if found is None:
        raise errors.NotFound(type_name.lower(), raw, field)
    return found


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def input_field(field: Field) -> str:
    """A use case's field as the mutation's input names it: ``input.messages[1].content``."""
    return field_path("input", *(camel(step) if isinstance(step, str) else step for step in field))


_PROBLEM_TYPES: dict[ProblemKind, tuple[type[UserError], ErrorCode]] = {
    ProblemKind.INVALID: (ValidationError, ErrorCode.VALIDATION),
    ProblemKind.UNKNOWN_TIME_ZONE: (UnknownTimeZone, ErrorCode.UNKNOWN_TIME_ZONE),
    ProblemKind.END_BEFORE_START: (EndBeforeStart, ErrorCode.END_BEFORE_START),
    ProblemKind.OVERLAPPING_RANGES: (OverlappingIntervals, ErrorCode.OVERLAPPING_INTERVALS),
    ProblemKind.WRONG_DIMENSIONS: (WrongEmbeddingLength, ErrorCode.WRONG_EMBEDDING_LENGTH),
}
STARTS_AT = "input.startsAt"
# The refusals a use case may raise, each answered as typed errors in the payload.
REFUSALS = (
    errors.InvalidInput,
    errors.NotFound,
    errors.Conflict,
    errors.IntegrityViolation,
    errors.InvalidTransition,
    errors.OutsideOpeningHours,
    errors.TooClose,
    errors.InvalidCredentials,
    errors.VersionConflict,
)


def user_errors(refusal: errors.PersistenceError) -> list[UserError]:
    """The payload errors a use case's refusal stands for."""
    message = str(refusal)
    if isinstance(refusal, errors.InvalidInput):
        found: list[UserError] = []
        for problem in refusal.problems:
            kind, code = _PROBLEM_TYPES[problem.kind]
            found.append(kind(code=code, message=problem.message, field=input_field(problem.field)))
        return found
    if isinstance(refusal, errors.NotFound):
        field = input_field(refusal.field) if refusal.field else None
        return [
            NotFoundError(
                code=ErrorCode.NOT_FOUND, message=f"{refusal.entity} not found", field=field
            )
        ]
    if isinstance(refusal, errors.Overlap | errors.TooClose):
        return [SlotUnavailable(code=ErrorCode.SLOT_UNAVAILABLE, message=message, field=STARTS_AT)]
    if isinstance(refusal, errors.Conflict):
        field = input_field((refusal.fields[-1],))
        return [ConflictError(code=ErrorCode.CONFLICT, message=message, field=field)]
    if isinstance(refusal, errors.OutsideOpeningHours):
        return [
            OutsideOpeningHours(
                code=ErrorCode.OUTSIDE_OPENING_HOURS, message=message, field=STARTS_AT
            )
        ]
    if isinstance(refusal, errors.InvalidTransition):
        return [InvalidTransition(code=ErrorCode.INVALID_TRANSITION, message=message)]
    if isinstance(refusal, errors.VersionConflict):
        return [
            VersionConflict(
                code=ErrorCode.VERSION_CONFLICT,
                message=message,
                field="input.expectedVersion",
                current_version=refusal.current_version,
                current_value=refusal.current_value,  # type: ignore[arg-type]  # JSON as stored
            )
        ]
    if isinstance(refusal, errors.InvalidCredentials):
        return [InvalidCredentials(code=ErrorCode.INVALID_CREDENTIALS, message=message)]
    return [ValidationError(code=ErrorCode.VALIDATION, message=message)]


async def run_mutation(
    info: Info,
    payload: type[P],
    work: Callable[[UnitOfWork, User], Awaitable[P]],
) -> P:
    """Run ``work`` (which calls one use case) for the signed-in viewer; without one
    the payload says ``Unauthenticated``."""
    viewer = info.context.viewer
    if viewer is None:
        return payload(
            errors=[
                Unauthenticated(
                    code=ErrorCode.UNAUTHENTICATED,
                    message="sign in first: send `Authorization: Bearer <token>`",
                )
            ]
        )
    return await run_unit(info, payload, lambda uow: work(uow, viewer))


async def run_unit(info: Info, payload: type[P], work: Callable[[UnitOfWork], Awaitable[P]]) -> P:
    """:func:`run_mutation` without the viewer check, for signing up and in."""
    try:
        result = await work(info.context.uow)
    except REFUSALS as refusal:
        return payload(errors=user_errors(refusal))
    # Cached rows and pages may predate this write.
    info.context.loaders.forget()
    return result
