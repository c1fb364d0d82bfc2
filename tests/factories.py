"""Small builders of valid rows, so tests state only what matters to them."""

from __future__ import annotations

from datetime import datetime
from itertools import count
from typing import Any

from persistence.models import (
    Appointment,
    Channel,
    Conversation,
    Customer,
    File,
    Message,
    MessageRole,
    Persona,
    Role,
    User,
    new_id,
)
from persistence.unit_of_work import UnitOfWork

_serial = count(1)


def _next() -> int:
    return next(_serial)


async def make_user(uow: UnitOfWork, **fields: Any) -> User:
    n = _next()
    values: dict[str, Any] = {
        "email": f"operator{n}@example.com",
        "username": f"operator{n}",
        "hashed_password": "not-a-real-hash",
        "role": Role.MEMBER,
    }
    return await uow.users.add(User(**(values | fields)))


async def make_persona(uow: UnitOfWork, owner: User, **fields: Any) -> Persona:
    values: dict[str, Any] = {
        "owner_id": owner.id,
        "name": f"Persona {_next()}",
        "system_prompt": "You are helpful.",
    }
    return await uow.personas.add(Persona(**(values | fields)))


async def make_customer(uow: UnitOfWork, owner: User, **fields: Any) -> Customer:
    values: dict[str, Any] = {
        "owner_id": owner.id,
        "channel": Channel.TELEGRAM,
        "external_id": f"tg-{_next()}",
    }
    return await uow.customers.add(Customer(**(values | fields)))


async def make_conversation(
    uow: UnitOfWork,
    owner: User,
    persona: Persona | None = None,
    customer: Customer | None = None,
    **fields: Any,
) -> Conversation:
    values: dict[str, Any] = {
        "owner_id": owner.id,
        "persona_id": persona.id if persona else None,
        "customer_id": customer.id if customer else None,
        "title": f"Conversation {_next()}",
    }
    return await uow.conversations.add(Conversation(**(values | fields)))


async def post_messages(
    uow: UnitOfWork, conversation: Conversation, *contents: str
) -> list[Message]:
    roles = [MessageRole.USER, MessageRole.ASSISTANT]
    messages = [Message(role=roles[i % 2], content=content) for i, content in enumerate(contents)]
    return await uow.messages.append(conversation, messages)


async def make_appointment(
    uow: UnitOfWork,
    owner: User,
    customer: Customer,
    starts_at: datetime,
    duration_minutes: int = 30,
    **fields: Any,
) -> Appointment:
    appointment = Appointment(
        owner_id=owner.id,
        customer_id=customer.id,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        **fields,
    )
    return await uow.appointments.add(appointment)


async def make_file(uow: UnitOfWork, owner: User, **fields: Any) -> File:
    n = _next()
    values: dict[str, Any] = {
        "owner_id": owner.id,
        "filename": f"file-{n}.pdf",
        "content_type": "application/pdf",
        "size_bytes": 1024,
        "sha256": "0" * 64,
        "storage_key": f"files/{n}-{new_id()}",
    }
    return await uow.files.add(File(**(values | fields)))
