"""Read-only records for what the API reads most: messages, conversations,
personas and customers.

These rows are read far more often than they are changed, and thousands of
them may make up one response. Loading them as ORM instances pays for an
identity map entry, instance state and attribute instrumentation per row; a
record is a named tuple of the same columns, built straight from the result
row (a sixth of what a frozen dataclass costs to build: 0.96 against 0.16 µs
for a message, and a deep page builds 2,000 of them). Writes (and the reads of
a change: services, mutation payloads) keep using the models; the records are
what the repositories' read methods for the API's loaders return
(persistence/repositories/base.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from persistence.models import Channel, MessageRole


class MessageRecord(NamedTuple):
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
    return tuple(record._fields)


class ConversationRecord(NamedTuple):
    """A conversation as stored; field names are the ``conversations`` table's columns."""

    id: UUID
    owner_id: UUID
    persona_id: UUID | None
    customer_id: UUID | None
    title: str
    provider_type: str | None
    provider_config: dict[str, Any]
    last_message_at: datetime | None
    message_count: int
    created_at: datetime
    updated_at: datetime


class PersonaRecord(NamedTuple):
    """A persona as stored; field names are the ``personas`` table's columns."""

    id: UUID
    owner_id: UUID
    name: str
    description: str | None
    system_prompt: str
    first_message: str | None
    is_active: bool
    ai_settings: dict[str, Any]
    voice_settings: dict[str, Any]
    avatar_file_id: UUID | None
    mode: str | None
    loop_frequency: str | None
    relation_type: str | None
    created_at: datetime
    updated_at: datetime


class CustomerRecord(NamedTuple):
    """A customer as stored; field names are the ``customers`` table's columns."""

    id: UUID
    owner_id: UUID
    channel: Channel
    external_id: str
    username: str | None
    first_name: str | None
    last_name: str | None
    phone: str | None
    email: str | None
    created_at: datetime
    updated_at: datetime
