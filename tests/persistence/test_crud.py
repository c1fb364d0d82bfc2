"""Create, read, update and delete of every aggregate, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from persistence.errors import NotFound
from persistence.models import (
    AppointmentStatus,
    Channel,
    File,
    MessageRole,
    Role,
    default_ai_settings,
    default_voice_settings,
)
from persistence.pagination import PageRequest
from persistence.repositories.files import FILES_NEWEST_FIRST, FileFilter
from persistence.repositories.messages import MESSAGES_OLDEST_FIRST
from tests.factories import (
    make_appointment,
    make_conversation,
    make_customer,
    make_persona,
    make_user,
    post_messages,
)

LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
MONDAY_10 = datetime(2030, 6, 3, 10, 0, tzinfo=UTC)


async def test_a_user_is_created_read_updated_and_deleted(db):
    async with db.uow(writes=True) as uow:
        user = await make_user(
            uow, username="ada", email="ada@example.com", full_name="Ada", role=Role.ADMIN
        )
        await uow.commit()

    async with db.uow(writes=True) as uow:
        stored = await uow.users.get(user.id)
        assert (stored.username, stored.email, stored.full_name) == (
            "ada",
            "ada@example.com",
            "Ada",
        )
        assert stored.role is Role.ADMIN
        assert stored.is_admin
        assert stored.is_active is True
        stored.full_name = "Ada Lovelace"
        stored.is_active = False
        await uow.users.save(stored)
        await uow.commit()

    async with db.uow(writes=True) as uow:
        stored = await uow.users.get(user.id)
        assert stored.full_name == "Ada Lovelace"
        assert stored.is_active is False
        await uow.users.remove(stored)
        await uow.commit()

    async with db.uow() as uow:
        with pytest.raises(NotFound):
            await uow.users.get(user.id)


async def test_a_persona_is_created_with_default_settings_read_updated_and_deleted(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        persona = await make_persona(
            uow, owner, name="Front desk", created_at=LONG_AGO, updated_at=LONG_AGO
        )
        await uow.commit()

    async with db.uow(writes=True) as uow:
        stored = await uow.personas.get(persona.id)
        assert stored.name == "Front desk"
        assert stored.owner_id == owner.id
        assert stored.is_active is True
        assert stored.description is None
        assert stored.ai_settings == default_ai_settings()
        assert stored.voice_settings == default_voice_settings()
        stored.description = "Greets visitors"
        stored.ai_settings = {"model": "gpt-4o", "temperature": 0.2, "max_tokens": 512}
        await uow.personas.save(stored)
        await uow.commit()

    async with db.uow(writes=True) as uow:
        stored = await uow.personas.get(persona.id)
        assert stored.description == "Greets visitors"
        assert stored.ai_settings == {"model": "gpt-4o", "temperature": 0.2, "max_tokens": 512}
        assert stored.created_at == LONG_AGO
        assert stored.updated_at > LONG_AGO
        await uow.personas.remove(stored)
        await uow.commit()

    async with db.uow() as uow:
        with pytest.raises(NotFound):
            await uow.personas.get(persona.id)


async def test_a_customer_is_created_read_updated_and_deleted(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        customer = await make_customer(
            uow, owner, channel=Channel.WHATSAPP, external_id="+4915112345678", first_name="Jo"
        )
        await uow.commit()

    async with db.uow(writes=True) as uow:
        stored = await uow.customers.get(customer.id)
        assert stored.channel is Channel.WHATSAPP
        assert stored.external_id == "+4915112345678"
        assert stored.first_name == "Jo"
        stored.last_name = "Doe"
        stored.phone = "+4915112345678"
        await uow.customers.save(stored)
        await uow.commit()

    async with db.uow(writes=True) as uow:
        stored = await uow.customers.get(customer.id)
        assert (stored.last_name, stored.phone) == ("Doe", "+4915112345678")
        await uow.customers.remove(stored)
        await uow.commit()

    async with db.uow() as uow:
        with pytest.raises(NotFound):
            await uow.customers.get(customer.id)


async def test_a_conversation_is_created_read_updated_and_deleted(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        persona = await make_persona(uow, owner)
        customer = await make_customer(uow, owner)
        conversation = await make_conversation(
            uow, owner, persona, customer, title="Booking", provider_config={"k": [1, 2]}
        )
        await uow.commit()

    async with db.uow(writes=True) as uow:
        stored = await uow.conversations.get(conversation.id)
        assert stored.title == "Booking"
        assert (stored.persona_id, stored.customer_id) == (persona.id, customer.id)
        assert stored.provider_config == {"k": [1, 2]}
        assert stored.last_message_at is None
        stored.title = "Booking (rescheduled)"
        stored.provider_type = "openai"
        await uow.conversations.save(stored)
        await uow.commit()

    async with db.uow(writes=True) as uow:
        stored = await uow.conversations.get(conversation.id)
        assert (stored.title, stored.provider_type) == ("Booking (rescheduled)", "openai")
        await uow.conversations.remove(stored)
        await uow.commit()

    async with db.uow() as uow:
        with pytest.raises(NotFound):
            await uow.conversations.get(conversation.id)


async def test_messages_are_appended_in_order_read_updated_and_deleted(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        conversation = await make_conversation(uow, owner)
        first, second, third = await post_messages(uow, conversation, "hi", "hello", "bye")
        await uow.commit()

    async with db.uow(writes=True) as uow:
        (page,) = await uow.messages.pages_by_conversation(
            [conversation.id], MESSAGES_OLDEST_FIRST, PageRequest(limit=10)
        )
        assert [m.content for m in page.rows] == ["hi", "hello", "bye"]
        assert [m.role for m in page.rows] == [
            MessageRole.USER,
            MessageRole.ASSISTANT,
            MessageRole.USER,
        ]
        stored_conversation = await uow.conversations.get(conversation.id)
        assert stored_conversation.last_message_at == third.created_at
        stored = await uow.messages.get(second.id)
        stored.content = "hello there"
        stored.extra_data = {"edited": True}
        stored.output_tokens = 7
        await uow.messages.save(stored)
        await uow.messages.remove(await uow.messages.get(first.id))
        await uow.commit()

    async with db.uow() as uow:
        stored = await uow.messages.get(second.id)
        assert (stored.content, stored.extra_data, stored.output_tokens) == (
            "hello there",
            {"edited": True},
            7,
        )
        assert await uow.messages.get_many([first.id, second.id, third.id]) == [
            None,
            stored,
            await uow.messages.get(third.id),
        ]


async def test_an_appointment_is_created_read_rescheduled_and_deleted(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        customer = await make_customer(uow, owner)
        appointment = await make_appointment(uow, owner, customer, MONDAY_10, 45, notes="Cut")
        await uow.commit()

    async with db.uow(writes=True) as uow:
        stored = await uow.appointments.get(appointment.id)
        assert stored.starts_at == MONDAY_10
        assert stored.ends_at == MONDAY_10 + timedelta(minutes=45)
        assert stored.status is AppointmentStatus.PENDING
        assert stored.notes == "Cut"
        stored.starts_at = MONDAY_10 + timedelta(hours=2)
        stored.duration_minutes = 60
        stored.status = AppointmentStatus.CONFIRMED
        await uow.appointments.save(stored)
        await uow.commit()

    async with db.uow(writes=True) as uow:
        stored = await uow.appointments.get(appointment.id)
        assert stored.starts_at == MONDAY_10 + timedelta(hours=2)
        assert stored.ends_at == MONDAY_10 + timedelta(hours=3)
        assert stored.status is AppointmentStatus.CONFIRMED
        await uow.appointments.remove(stored)
        await uow.commit()

    async with db.uow() as uow:
        with pytest.raises(NotFound):
            await uow.appointments.get(appointment.id)


async def test_a_file_is_created_read_updated_and_deleted(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        file = await uow.files.add(
            File(
                owner_id=owner.id,
                filename="menu.pdf",
                content_type="application/pdf",
                size_bytes=5 * 1024**3,
                sha256="a" * 64,
                storage_key=f"{owner.id}/menu.pdf",
            )
        )
        await uow.commit()

    async with db.uow(writes=True) as uow:
        stored = await uow.files.get(file.id)
        assert (stored.filename, stored.content_type) == ("menu.pdf", "application/pdf")
        assert stored.size_bytes == 5 * 1024**3
        stored.filename = "menu-2025.pdf"
        await uow.files.save(stored)
        await uow.commit()

    async with db.uow(writes=True) as uow:
        stored = await uow.files.get(file.id)
        assert stored.filename == "menu-2025.pdf"
        page = await uow.files.find(FileFilter(), FILES_NEWEST_FIRST, PageRequest(limit=10))
        assert [f.id for f in page.rows] == [file.id]
        await uow.files.remove(stored)
        await uow.commit()

    async with db.uow() as uow:
        with pytest.raises(NotFound):
            await uow.files.get(file.id)
