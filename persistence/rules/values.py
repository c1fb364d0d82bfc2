"""What a stored value may be: lengths of text, ranges of numbers, the size of a
JSON document. Pure checks that return the problem (or ``None``), so a use case
can collect every problem of an input and refuse them at once."""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from persistence.errors import Field, InvalidInput, Problem

# A JSON document stored with a row (a conversation's provider settings, a
# message's extra data): room for settings and metadata, not for payloads.
MAX_JSON_BYTES = 64 * 1024


def invalid(message: str, *field: str | int) -> Problem:
    return Problem(tuple(field), message)


def length(value: str | None, field: Field, *, maximum: int, minimum: int = 0) -> Problem | None:
    """``value`` (if given) has at most ``maximum`` characters and, stripped, at
    least ``minimum``."""
    if value is None:
        return None
    if minimum and len(value.strip()) < minimum:
        return Problem(
            field, "must not be empty" if minimum == 1 else f"needs at least {minimum} characters"
        )
    if len(value) > maximum:
        return Problem(field, f"must be at most {maximum} characters")
    return None


def between(value: float | None, field: Field, smallest: float, largest: float) -> Problem | None:
    """``value`` (if given) lies within ``smallest``..``largest``."""
    if value is None or smallest <= value <= largest:
        return None
    return Problem(field, f"must be between {_shown(smallest)} and {_shown(largest)}")


def _shown(number: float) -> str:
    return str(number) if isinstance(number, int) else f"{number:g}"


def json_object(value: object, field: Field) -> Problem | None:
    """``value`` (if given) is a JSON object of at most :data:`MAX_JSON_BYTES`."""
    if value is None:
        return None
    if not isinstance(value, dict):
        return Problem(field, "must be a JSON object")
    if len(orjson.dumps(value)) > MAX_JSON_BYTES:
        return Problem(field, f"must be at most {MAX_JSON_BYTES} bytes as JSON")
    return None


def refuse(problems: Iterable[Problem | None]) -> None:
    """Raise :class:`InvalidInput` with every problem found, if any."""
    found = [problem for problem in problems if problem is not None]
    if found:
        raise InvalidInput(*found)
