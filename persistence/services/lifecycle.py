"""A customer's data and how long data is kept: exporting everything of one
customer, erasing it in one transaction, and purging messages past the owner's
retention in short batches (``concierge purge``)."""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from persistence.errors import NotFound
from persistence.models import (
    Appointment,
    Conversation,
    ConversationState,
    Entity,
    Memory,
    Message,
    utcnow,
)
from persistence.scope import Scope
from persistence.unit_of_work import UnitOfWork

EXPORT_FORMAT = 1
# Rows deleted per transaction by a purge: each batch holds its locks briefly.
PURGE_BATCH = 1000


def _plain(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _document(row: Entity) -> dict[str, Any]:
    """A row as JSON, by its table's column names."""
    mapper = inspect(type(row))
    return {
        str(attribute.columns[0].name): _plain(getattr(row, attribute.key))
        for attribute in mapper.column_attrs
    }


async def export_customer(uow: UnitOfWork, customer_id: UUID) -> dict[str, Any]:
    """Everything stored about a visible customer, as one JSON document: the customer,
    their conversations with messages, memories and state, and their appointments
    with history. Raises NotFound."""
    customer = (await uow.customers.get_many([customer_id]))[0]
    if customer is None:
        raise NotFound("customer", customer_id, ("customer_id",))
    conversations = await uow.conversations.matching(
        Conversation.customer_id == customer.id, order_by=Conversation.created_at
    )
    ids = [conversation.id for conversation in conversations]
    messages = await uow.messages.matching(
        Message.conversation_id.in_(ids), order_by=(Message.created_at,)
    )
    memories = await uow.memories.matching(
        Memory.conversation_id.in_(ids), order_by=Memory.created_at
    )
    states = await uow.states.matching(
        ConversationState.conversation_id.in_(ids), order_by=ConversationState.module_key
    )
    appointments = await uow.appointments.matching(
        Appointment.customer_id == customer.id, order_by=Appointment.starts_at
    )
    history = await uow.appointments.history_by_appointment([a.id for a in appointments])

    def of(rows: list[Any], conversation_id: UUID) -> list[dict[str, Any]]:
        return [_document(row) for row in rows if row.conversation_id == conversation_id]

    return {
        "format": EXPORT_FORMAT,
        "customer": _document(customer),
        "conversations": [
            {
                **_document(conversation),
                "messages": of(messages, conversation.id),
                "memories": of(memories, conversation.id),
                "state": of(states, conversation.id),
            }
            for conversation in conversations
        ],
        "appointments": [
            {**_document(appointment), "history": [_document(event) for event in events]}
            for appointment, events in zip(appointments, history, strict=True)
        ],
        # Files belong to their owner, not to a customer; none are linked to one yet.
        "files": [],
    }


@dataclass(frozen=True)
class Erased:
    conversations: int
    messages: int
    memories: int
    appointments: int


async def erase_customer(uow: UnitOfWork, customer_id: UUID) -> Erased:
    """Delete a visible customer and everything of theirs (conversations, messages,
    memories, state, appointments and their history), all in one transaction.
    Raises NotFound."""
    async with uow.transaction():
        customer = await uow.customers.lock(customer_id)
        if customer is None:
            raise NotFound("customer", customer_id, ("customer_id",))
        in_conversations = select(Conversation.id).where(Conversation.customer_id == customer.id)
        erased = Erased(
            conversations=await uow.conversations.count(Conversation.customer_id == customer.id),
            messages=await uow.messages.count(Message.conversation_id.in_(in_conversations)),
            memories=await uow.memories.count(Memory.conversation_id.in_(in_conversations)),
            appointments=await uow.appointments.count(Appointment.customer_id == customer.id),
        )
        # The foreign keys cascade from the customer to all of it.
        await uow.customers.remove(customer)
        return erased


@dataclass(frozen=True)
class Expiring:
    """An owner's messages past their retention."""

    owner_id: UUID
    retention_days: int
    cutoff: datetime
    messages: int


async def expiring_messages(
    session_factory: async_sessionmaker[AsyncSession], now: datetime | None = None
) -> list[Expiring]:
    """How many messages each owner with a retention setting keeps past it."""
    now = now or utcnow()
    async with UnitOfWork(session_factory, Scope.admin()) as uow:
        found = []
        for settings in await uow.owner_settings.all_with_retention():
            assert settings.message_retention_days is not None
            cutoff = now - timedelta(days=settings.message_retention_days)
            count = await uow.messages.count(*_expired(settings.owner_id, cutoff))
            found.append(
                Expiring(settings.owner_id, settings.message_retention_days, cutoff, count)
            )
        return found


def _expired(owner_id: UUID, cutoff: datetime) -> list[Any]:
    owned = select(Conversation.id).where(Conversation.owner_id == owner_id)
    return [Message.conversation_id.in_(owned), Message.created_at < cutoff]


async def purge_messages(
    session_factory: async_sessionmaker[AsyncSession],
    expiring: Expiring,
    *,
    batch: int = PURGE_BATCH,
    progress: Callable[[int], None] = lambda _count: None,
) -> int:
    """Delete an owner's messages older than the cutoff, ``batch`` rows per
    transaction (so no lock is held for long); returns how many went."""
    total = 0
    while True:
        async with UnitOfWork(session_factory, Scope.admin()) as uow, uow.transaction():
            oldest = (
                select(Message.id)
                .where(*_expired(expiring.owner_id, expiring.cutoff))
                .order_by(Message.created_at)
                .limit(batch)
            )
            deleted = await uow.messages.delete_ids(oldest)
        total += deleted
        progress(deleted)
        if deleted < batch:
            return total
