"""Errors of the persistence layer and its use cases: a small hierarchy that names
what went wrong in the domain's terms and carries no SQL, table internals or
driver names. Expected refusals (not found, conflicts, invalid input, a
transition the lifecycle forbids, …) are for callers to turn into answers;
``Unavailable`` says the database could not serve, and retrying may help.

Fields are named as paths into the use case's input, in its own (snake_case)
names: ``("messages", 1, "content")``.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from sqlalchemy import UniqueConstraint
from sqlalchemy import exc as sa_exc

from persistence.models import NO_OVERLAP, Base


class PersistenceError(Exception):
    """Base of every error the persistence layer raises on purpose."""


Field = tuple[str | int, ...]


class NotFound(PersistenceError):
    """The row does not exist, or is not visible to the caller (the same answer,
    so that nobody learns what others have); ``field`` is the input naming it."""

    def __init__(self, entity: str, key: object, field: Field | None = None) -> None:
        super().__init__(f"{entity} {key} not found")
        self.entity = entity
        self.key = key
        self.field = field


class Conflict(PersistenceError):
    """A uniqueness rule would be broken; ``fields`` names the clashing columns."""

    def __init__(self, entity: str, fields: tuple[str, ...]) -> None:
        super().__init__(f"a {entity} with the same {', '.join(fields)} already exists")
        self.entity = entity
        self.fields = fields


class Overlap(Conflict):
    """Two non-cancelled appointments of one owner would overlap in time."""

    def __init__(self) -> None:
        super().__init__("appointment", ("starts_at",))
        self.args = ("the time overlaps another appointment",)


class IntegrityViolation(PersistenceError):
    """A reference or check rule would be broken (e.g. a missing parent row)."""


class ProblemKind(enum.StrEnum):
    INVALID = "invalid"
    UNKNOWN_TIME_ZONE = "unknown_time_zone"
    END_BEFORE_START = "end_before_start"
    OVERLAPPING_RANGES = "overlapping_ranges"
    WRONG_DIMENSIONS = "wrong_dimensions"


@dataclass(frozen=True)
class Problem:
    """One reason an input cannot be taken, and where it is."""

    field: Field
    message: str
    kind: ProblemKind = ProblemKind.INVALID


class InvalidInput(PersistenceError):
    """The input breaks the use case's rules; every problem is reported at once."""

    def __init__(self, *problems: Problem) -> None:
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


class VersionConflict(PersistenceError):
    """A compare-and-set write found another version than the one it expected:
    someone else wrote first. Carries what is stored now (version 0 and no value:
    nothing is stored)."""

    def __init__(self, expected: int, current_version: int, current_value: object) -> None:
        super().__init__(
            f"expected version {expected}, but the stored version is {current_version}"
        )
        self.expected = expected
        self.current_version = current_version
        self.current_value = current_value


class InvalidTransition(PersistenceError):
    """The appointment's status does not allow the change."""


class OutsideOpeningHours(PersistenceError):
    """The appointment would not lie within the schedule's opening hours."""


class TooClose(PersistenceError):
    """The appointment would be closer to another than the schedule's buffer allows."""


class InvalidCredentials(PersistenceError):
    """The login or the password is wrong, or the account is inactive."""


class Unavailable(PersistenceError):
    """The database cannot be reached or did not answer in time; worth retrying."""


class Busy(Unavailable):
    """The database could not serve this now: a lock it waited for too long, a
    deadlock, a serialization failure. Retrying usually succeeds."""


# SQLite's messages are fixed English text (it has no message catalogues); its
# unique violations name the columns, not the constraint.
_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w., ]+)")
_SQLITE_BUSY = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED (primary result codes)
_SQLITE_CONSTRAINT = 19
_SQLITE_CONSTRAINT_UNIQUE = frozenset({2067, 1555})  # UNIQUE, PRIMARYKEY
_SQLITE_CONSTRAINT_TRIGGER = 1811
# The file cannot be used: IOERR, CORRUPT, FULL, CANTOPEN, PROTOCOL, NOTADB.
_SQLITE_UNUSABLE = frozenset({10, 11, 13, 14, 15, 26})


def _unique_constraints() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Constraint name → (table, columns) of every unique constraint."""
    found: dict[str, tuple[str, tuple[str, ...]]] = {}
    for table in Base.metadata.tables.values():
        for constraint in table.constraints:
            if isinstance(constraint, UniqueConstraint):
                columns = tuple(column.name for column in constraint.columns)
                found[str(constraint.name)] = (table.name, columns)
    return found


_UNIQUES = _unique_constraints()


def _entity(table: str) -> str:
    return table.removesuffix("s")


# PostgreSQL's SQLSTATE codes (https://www.postgresql.org/docs/current/errcodes-appendix.html):
# the same whatever language the server writes its messages in.
_UNIQUE_VIOLATION = "23505"
_EXCLUSION_VIOLATION = "23P01"
_STRING_TOO_LONG = "22001"
_NUMBER_OUT_OF_RANGE = "22003"
_UNSTORABLE_TEXT = frozenset({"22021", "22P05"})  # NUL characters in text
_QUERY_CANCELED = "57014"  # statement_timeout
_BUSY = frozenset({"40001", "40P01", "55P03"})  # serialization, deadlock, lock not available
# connection exceptions, insufficient resources (too many connections), operator intervention
_UNAVAILABLE_CLASSES = ("08", "53", "57P")


def translate(error: BaseException) -> PersistenceError | None:
    """The domain error a failure of the database or of the way to it stands for
    (``None`` if it is none of those); the original stays as ``__cause__``.

    Decided by SQLSTATE and the constraint's name on PostgreSQL and by result
    codes on SQLite, never by reading message text a server may translate.
    """
    if isinstance(error, sa_exc.TimeoutError):  # no pooled connection became free in time
        return Unavailable("no database connection became free in time")
    if isinstance(error, OSError | TimeoutError):  # refused, reset, or no answer in time
        return Unavailable("the database is unavailable")
    if not isinstance(error, sa_exc.DBAPIError):
        return None
    orig = error.orig
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return _translate_sqlite(sqlite_code, str(orig))
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate is not None:
        constraint = getattr(getattr(orig, "__cause__", None), "constraint_name", None)
        return _translate_postgres(sqlstate, constraint)
    return _by_kind(error)


def _translate_postgres(sqlstate: str, constraint: str | None) -> PersistenceError:
    if sqlstate == _EXCLUSION_VIOLATION and constraint == NO_OVERLAP:
        return Overlap()
    if sqlstate == _UNIQUE_VIOLATION and constraint in _UNIQUES:
        table, columns = _UNIQUES[constraint]
        return Conflict(_entity(table), _user_facing(columns))
    if sqlstate == _STRING_TOO_LONG:
        # SQLite reports the same rule as a failed CHECK; both backends say it alike.
        return IntegrityViolation("a value is longer than its field allows")
    if sqlstate == _NUMBER_OUT_OF_RANGE:
        return IntegrityViolation("a number is out of its field's range")
    if sqlstate in _UNSTORABLE_TEXT:
        return IntegrityViolation("text must not contain NUL characters")
    if sqlstate in _BUSY:
        return Busy("the database is busy")
    if sqlstate == _QUERY_CANCELED:
        return Unavailable("the database did not answer in time")
    if sqlstate.startswith(_UNAVAILABLE_CLASSES):
        return Unavailable("the database is unavailable")
    if sqlstate.startswith("23"):
        return IntegrityViolation("the change breaks a data integrity rule")
    return PersistenceError("the database rejected the operation")


def _translate_sqlite(code: int, message: str) -> PersistenceError:
    if code & 0xFF in _SQLITE_BUSY:
        return Busy("the database is busy")
    if code == _SQLITE_CONSTRAINT_TRIGGER and message == NO_OVERLAP:
        return Overlap()
    if code in _SQLITE_CONSTRAINT_UNIQUE:
        found = _SQLITE_UNIQUE.search(message)
        if found:
            qualified = [part.strip() for part in found.group(1).split(",")]
            table = qualified[0].split(".")[0]
            columns = tuple(part.split(".")[1] for part in qualified)
            return Conflict(_entity(table), _user_facing(columns))
    if code & 0xFF == _SQLITE_CONSTRAINT:
        return IntegrityViolation("the change breaks a data integrity rule")
    if code & 0xFF in _SQLITE_UNUSABLE:
        return Unavailable("the database is unavailable")
    return PersistenceError("the database rejected the operation")


def _by_kind(error: sa_exc.DBAPIError) -> PersistenceError:
    if isinstance(error, sa_exc.IntegrityError):
        return IntegrityViolation("the change breaks a data integrity rule")
    if (
        isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError)
        or error.connection_invalidated
    ):
        return Unavailable("the database is unavailable")
    return PersistenceError("the database rejected the operation")


def _user_facing(columns: tuple[str, ...]) -> tuple[str, ...]:
    # The owner is implied by who asks; naming it would only confuse the caller.
    return tuple(column for column in columns if column != "owner_id") or columns
