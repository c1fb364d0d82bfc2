"""The shape every mutation shares: one input, one payload with typed errors,
one unit of work that commits once at the end or leaves nothing behind."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import orjson
import strawberry
from strawberry import relay

from gql.api.core.context import Info
from gql.api.core.errors import (
    ConflictError,
    ErrorCode,
    NotFoundError,
    SlotUnavailable,
    Unauthenticated,
    UserError,
    ValidationError,
)
from gql.api.core.nodes import parse_uuid
from persistence.errors import Conflict, IntegrityViolation, NotFound, Overlap, PersistenceError
from persistence.models import User
from persistence.repositories import Repository
from persistence.unit_of_work import UnitOfWork


@strawberry.type
class Payload:
    errors: list[UserError] = strawberry.field(
        default_factory=list, description="Why the mutation did not happen; empty on success."
    )


P = TypeVar("P", bound=Payload)


class Rejected(Exception):
    """Raised inside a mutation to stop it with expected, typed errors."""

    def __init__(self, *errors: UserError) -> None:
        super().__init__(", ".join(error.message for error in errors))
        self.errors = list(errors)


def not_found(entity: str, field: str | None = "input.id") -> Rejected:
    return Rejected(
        NotFoundError(code=ErrorCode.NOT_FOUND, message=f"{entity} not found", field=field)
    )


async def load_row(
    repository: Repository[Any],
    global_id: relay.GlobalID,
    type_name: str,
    field: str = "input.id",
    *,
    lock: bool = False,
) -> Any:
    """The visible row behind ``global_id``; a foreign, missing or mistyped id is 'not found'.

    ``lock`` reads it afresh under a row lock, for changes that depend on its
    current state (see :meth:`Repository.lock`).
    """
    row_id = parse_uuid(global_id.node_id) if global_id.type_name == type_name else None
    if row_id is None:
        row = None
    elif lock:
        row = await repository.lock(row_id)
    else:
        row = (await repository.get_many([row_id]))[0]
    if row is None:
        raise not_found(type_name.lower(), field)
    return row


def invalid(message: str, field: str) -> ValidationError:
    return ValidationError(code=ErrorCode.VALIDATION, message=message, field=field)


def check_length(
    value: str | None, field: str, *, maximum: int, minimum: int = 0
) -> ValidationError | None:
    if value is None:
        return None
    length = len(value.strip()) if minimum else len(value)
    if length < minimum:
        return invalid(
            "must not be empty" if minimum == 1 else f"needs at least {minimum} characters", field
        )
    if len(value) > maximum:
        return invalid(f"must be at most {maximum} characters", field)
    return None


# A JSON document stored with a row (a conversation's provider settings, a
# message's extra data): room for settings and metadata, not for payloads.
MAX_JSON_BYTES = 64 * 1024


def check_json_object(value: object, field: str) -> ValidationError | None:
    """``value`` (if given) must be a JSON object of at most :data:`MAX_JSON_BYTES`."""
    if value is None:
        return None
    if not isinstance(value, dict):
        return invalid("must be a JSON object", field)
    if len(orjson.dumps(value)) > MAX_JSON_BYTES:
        return invalid(f"must be at most {MAX_JSON_BYTES} bytes as JSON", field)
    return None


def reject_invalid(*checks: ValidationError | None) -> None:
    """Raise every failed check at once, so a form can show them all."""
    errors = [error for error in checks if error is not None]
    if errors:
        raise Rejected(*errors)


def _as_user_error(error: PersistenceError) -> UserError:
    if isinstance(error, Overlap):
        return SlotUnavailable(
            code=ErrorCode.SLOT_UNAVAILABLE, message=str(error), field="input.startsAt"
        )
    if isinstance(error, Conflict):
        field = "input." + camel(error.fields[-1])
        return ConflictError(code=ErrorCode.CONFLICT, message=str(error), field=field)
    if isinstance(error, NotFound):
        return NotFoundError(code=ErrorCode.NOT_FOUND, message=f"{error.entity} not found")
    return ValidationError(code=ErrorCode.VALIDATION, message=str(error))


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


async def run_mutation(
    info: Info,
    payload: type[P],
    work: Callable[[UnitOfWork, User], Awaitable[P]],
) -> P:
    """Run ``work`` for the signed-in viewer in the request's unit of work.

    Commits once when ``work`` returns; on :class:`Rejected` or an expected
    persistence error, rolls back and returns the payload with typed errors;
    anything else rolls back and propagates (masked by the schema).
    """
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
    """The transaction part of :func:`run_mutation`, also for anonymous mutations."""
    uow = info.context.uow
    await uow.begin_writing()
    try:
        result = await work(uow)
        await uow.commit()
    except Rejected as rejected:
        await uow.rollback()
        return payload(errors=rejected.errors)
    except (Conflict, NotFound, IntegrityViolation) as error:
        await uow.rollback()
        return payload(errors=[_as_user_error(error)])
    except BaseException:
        with contextlib.suppress(PersistenceError):  # the first error is the one to tell
            await uow.rollback()
        raise
    # Cached rows and pages may predate this write.
    info.context.loaders.forget()
    return result


def unset_to(value: Any, default: Any) -> Any:
    return default if value is strawberry.UNSET else value
