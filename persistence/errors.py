"""The persistence layer's errors: a small hierarchy that names what went wrong
in the domain's terms and carries no SQL, table internals or driver names."""

from __future__ import annotations

import re

from sqlalchemy import UniqueConstraint
from sqlalchemy import exc as sa_exc

from persistence.models import NO_OVERLAP, Base


class PersistenceError(Exception):
    """Base of every error the persistence layer raises on purpose."""


class NotFound(PersistenceError):
    """The row does not exist, or is not visible to the caller."""

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key} not found")
        self.entity = entity
        self.key = key


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


class Unavailable(PersistenceError):
    """The database cannot be reached or did not answer in time."""


_SQLITE_UNIQUE = re.compile(r"UNIQUE constraint failed: ([\w., ]+)")
_POSTGRES_CONSTRAINT = re.compile(r'constraint "([^"]+)"')
_POSTGRES_STRING_TOO_LONG = "22001"


def _unique_constraints() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Constraint name → (table, columns); SQLite reports columns, PostgreSQL names."""
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


# character_not_in_repertoire, untranslatable_character: PostgreSQL text cannot hold NUL.
_POSTGRES_UNSTORABLE_TEXT = frozenset({"22021", "22P05"})


def translate(error: sa_exc.DBAPIError) -> PersistenceError:
    """Map a driver error to the domain hierarchy; the original stays as ``__cause__``."""
    message = str(error.orig)
    if NO_OVERLAP in message:
        return Overlap()
    if getattr(error.orig, "sqlstate", None) == _POSTGRES_STRING_TOO_LONG:
        # SQLite reports the same rule as a failed CHECK; both backends say it alike.
        return IntegrityViolation("a value is longer than its field allows")
    if getattr(error.orig, "sqlstate", None) in _POSTGRES_UNSTORABLE_TEXT:
        return IntegrityViolation("text must not contain NUL characters")
    if isinstance(error, sa_exc.IntegrityError):
        sqlite_unique = _SQLITE_UNIQUE.search(message)
        if sqlite_unique:
            qualified = [part.strip() for part in sqlite_unique.group(1).split(",")]
            table = qualified[0].split(".")[0]
            columns = tuple(part.split(".")[1] for part in qualified)
            return Conflict(_entity(table), _user_facing(columns))
        named = _POSTGRES_CONSTRAINT.search(message)
        if named and named.group(1) in _UNIQUES:
            table, columns = _UNIQUES[named.group(1)]
            return Conflict(_entity(table), _user_facing(columns))
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
