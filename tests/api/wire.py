"""What travels over the wire in API tests: Relay global ids and GraphQL refusals."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from strawberry import relay


def global_id(type_name: str, row_id: UUID | str) -> str:
    """The opaque id clients see for a row of ``type_name``."""
    return relay.to_base64(type_name, str(row_id))


def row_id(gid: str) -> UUID:
    """The row id inside a global id."""
    return UUID(relay.from_base64(gid)[1])


def refusal(body: dict[str, Any]) -> tuple[str, str]:
    """The ``(extensions.code, message)`` of a response's only GraphQL error."""
    errors = body.get("errors")
    assert errors and len(errors) == 1, body
    return errors[0].get("extensions", {}).get("code", ""), errors[0]["message"]


def user_errors(payload: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """A payload's typed errors as ``(__typename, code, field)``."""
    return [(e["__typename"], e["code"], e["field"]) for e in payload["errors"]]


# Every payload's errors, selected the same way so tests can compare them.
ERRORS = "errors { __typename code message field }"
