"""Read-only records for the hottest list reads.

A page of messages is read far more often than it is changed, and thousands
of rows may make up one response. Loading them as ORM instances pays for an
identity map entry, instance state and attribute instrumentation per row; a
record is a plain slotted tuple of the same columns, built straight from the
result row. Writes keep using the models.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from persistence.models import MessageRole


@dataclass(frozen=True, slots=True)
class MessageRecord:
    """A message as stored; field names are the ``messages`` table's columns."""

    id: UUID
    conversation_id: UUID
    role: MessageRole
    content: str
    thinking: str | None
    extra_data: dict[str, Any]
    input_tokens: int | None
    output_tokens: int | None
    created_at: datetime
    updated_at: datetime


def record_columns(record: type[Any]) -> tuple[str, ...]:
    """The column names a record is built from, in its constructor's order."""
    return tuple(field.name for field in fields(record))
