"""The rules the database itself keeps: uniqueness, references, cascades,
lengths and checks, and how values come back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from persistence.errors import Conflict, IntegrityViolation, NotFound
from persistence.models import (
    Appointment,
    Channel,
    Conversation,
    Customer,
    File,
    Message,
    MessageRole,
    Persona,
    User,
    new_id,
)
from tests.factories import (
    make_appointment,
    make_conversation,
    make_customer,
    make_persona,
    make_user,
    post_messages,
)

MONDAY_10 = datetime(2030, 6, 3, 10, 0, tzinfo=UTC)


def a_file(owner: User, **fields) -> File:
    values = {
        "owner_id": owner.id,
        "filename": "menu.pdf",
        "content_type": "application/pdf",
        "size_bytes": 1024,
        "sha256": "0" * 64,
        "storage_key": f"{owner.id}/{new_id()}",
    }
    return File(**(values | fields))


async def rows_in(db, model, *where) -> int:
    async with db.engine.connect() as connection:
        return await connection.scalar(select(func.count()).select_from(model).where(*where))


# -- uniqueness -------------------------------------------------------------------


async def test_a_second_user_with_the_same_email_is_a_conflict_on_email(db):
    async with db.uow(writes=True) as uow:
        await make_user(uow, email="ada@example.com")
        await uow.commit()

    async with db.uow(writes=True) as uow:
        with pytest.raises(Conflict) as conflict:
            await make_user(uow, email="ada@example.com")

    assert conflict.value.entity == "user"
    assert conflict.value.fields == ("email",)


async def test_emails_differing_only_in_case_are_the_same_email(db):
    async with db.uow(writes=True) as uow:
        await make_user(uow, email="ada@example.com")
        await uow.commit()

    async with db.uow(writes=True) as uow:
        with pytest.raises(Conflict) as conflict:
            await make_user(uow, email="  ADA@Example.COM ")

    assert conflict.value.fields == ("email",)


async def test_a_second_user_with_the_same_username_is_a_conflict_on_username(db):
    async with db.uow(writes=True) as uow:
        await make_user(uow, username="ada")
        await uow.commit()

    async with db.uow(writes=True) as uow:
        with pytest.raises(Conflict) as conflict:
            await make_user(uow, username="ada")

    assert conflict.value.entity == "user"
    assert conflict.value.fields == ("username",)


async def test_one_owner_cannot_have_two_personas_of_the_same_name(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        await make_persona(uow, owner, name="Front desk")
        await uow.commit()

    async with db.uow(writes=True) as uow:
        with pytest.raises(Conflict) as conflict:
            await make_persona(uow, owner, name="Front desk")

    assert conflict.value.entity == "persona"
    assert conflict.value.fields == ("name",)


async def test_two_owners_may_each_have_a_persona_of_the_same_name(db):
    async with db.uow(writes=True) as uow:
        first, second = await make_user(uow), await make_user(uow)
        await make_persona(uow, first, name="Front desk")
        await make_persona(uow, second, name="Front desk")
        await uow.commit()

    assert await rows_in(db, Persona, Persona.name == "Front desk") == 2


async def test_one_owner_cannot_have_two_customers_with_the_same_channel_and_external_id(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        await make_customer(uow, owner, channel=Channel.TELEGRAM, external_id="42")
        await uow.commit()

    async with db.uow(writes=True) as uow:
        with pytest.raises(Conflict) as conflict:
            await make_customer(uow, owner, channel=Channel.TELEGRAM, external_id="42")

    assert conflict.value.entity == "customer"
    assert conflict.value.fields == ("channel", "external_id")


async def test_the_same_external_id_may_exist_on_another_channel_or_for_another_owner(db):
    async with db.uow(writes=True) as uow:
        owner, other_owner = await make_user(uow), await make_user(uow)
        await make_customer(uow, owner, channel=Channel.TELEGRAM, external_id="42")
        await make_customer(uow, owner, channel=Channel.WHATSAPP, external_id="42")
        await make_customer(uow, other_owner, channel=Channel.TELEGRAM, external_id="42")
        await uow.commit()

    assert await rows_in(db, Customer, Customer.external_id == "42") == 3


async def test_files_of_equal_content_share_their_storage_key_across_owners(db):
    async with db.uow(writes=True) as uow:
        owner, other_owner = await make_user(uow), await make_user(uow)
        await uow.files.add(a_file(owner, storage_key="a" * 64))
        await uow.files.add(a_file(owner, storage_key="a" * 64))
        await uow.files.add(a_file(other_owner, storage_key="a" * 64))
        await uow.commit()

    async with db.uow() as uow:
        assert await uow.files.references("a" * 64) == 3


async def test_a_message_cannot_have_another_owners_file_attached_whoever_writes(db):
    async with db.uow(writes=True) as uow:
        owner, other_owner = await make_user(uow), await make_user(uow)
        foreign = await uow.files.add(a_file(other_owner))
        conversation = await make_conversation(uow, owner)
        (message,) = await post_messages(uow, conversation, "hello")
        await uow.commit()

    async with db.uow(writes=True) as uow:  # an admin's unit: only the database stands in the way
        with pytest.raises(IntegrityViolation):
            await uow.files.attach(owner.id, message.id, [foreign.id])


# -- references ---------------------------------------------------------------------


async def test_a_persona_of_a_user_that_does_not_exist_is_refused(db):
    async with db.uow(writes=True) as uow:
        with pytest.raises(IntegrityViolation):
            await uow.personas.add(
                Persona(owner_id=new_id(), name="Orphan", system_prompt="You are helpful.")
            )

    assert await rows_in(db, Persona) == 0


async def test_a_conversation_with_a_persona_that_does_not_exist_is_refused(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        with pytest.raises(IntegrityViolation):
            await uow.conversations.add(
                Conversation(owner_id=owner.id, persona_id=new_id(), title="Lost")
            )


async def test_an_appointment_with_a_customer_that_does_not_exist_is_refused(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        with pytest.raises(IntegrityViolation):
            await uow.appointments.add(
                Appointment(
                    owner_id=owner.id,
                    customer_id=new_id(),
                    starts_at=MONDAY_10,
                    duration_minutes=30,
                )
            )


async def test_a_message_in_a_conversation_that_does_not_exist_is_refused(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        ghost = Conversation(id=new_id(), owner_id=owner.id, title="Never saved")
        with pytest.raises(IntegrityViolation):
            await uow.messages.append(ghost, [Message(role=MessageRole.USER, content="hello?")])


# -- cascades -------------------------------------------------------------------------


async def test_deleting_a_user_deletes_everything_they_own(db):
    async with db.uow(writes=True) as uow:
        owner, bystander = await make_user(uow), await make_user(uow)
        for user in (owner, bystander):
            persona = await make_persona(uow, user)
            customer = await make_customer(uow, user)
            conversation = await make_conversation(uow, user, persona, customer)
            await post_messages(uow, conversation, "hi", "hello")
            await make_appointment(uow, user, customer, MONDAY_10, persona_id=persona.id)
            await uow.files.add(a_file(user))
        await uow.commit()

    async with db.uow(writes=True) as uow:
        await uow.users.remove(await uow.users.get(owner.id))
        await uow.commit()

    for model in (Persona, Customer, Conversation, Appointment, File):
        assert await rows_in(db, model, model.owner_id == owner.id) == 0, model.__name__
        assert await rows_in(db, model, model.owner_id == bystander.id) == 1, model.__name__
    assert await rows_in(db, Message) == 2
    assert await rows_in(db, User) == 1


async def test_deleting_a_persona_keeps_its_conversations_without_a_persona(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        persona = await make_persona(uow, owner)
        customer = await make_customer(uow, owner)
        conversation = await make_conversation(uow, owner, persona)
        await post_messages(uow, conversation, "hi")
        appointment = await make_appointment(uow, owner, customer, MONDAY_10, persona_id=persona.id)
        await uow.commit()

    async with db.uow(writes=True) as uow:
        await uow.personas.remove(await uow.personas.get(persona.id))
        await uow.commit()

    async with db.uow() as uow:
        kept = await uow.conversations.get(conversation.id)
        assert kept.persona_id is None
        assert await uow.messages.counts_by_conversation([conversation.id]) == [1]
        assert (await uow.appointments.get(appointment.id)).persona_id is None


async def test_deleting_a_conversation_deletes_its_messages_only(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        doomed = await make_conversation(uow, owner)
        kept = await make_conversation(uow, owner)
        await post_messages(uow, doomed, "a", "b", "c")
        await post_messages(uow, kept, "d")
        await uow.commit()

    async with db.uow(writes=True) as uow:
        await uow.conversations.remove(await uow.conversations.get(doomed.id))
        await uow.commit()

    assert await rows_in(db, Message, Message.conversation_id == doomed.id) == 0
    assert await rows_in(db, Message, Message.conversation_id == kept.id) == 1


async def test_deleting_a_customer_deletes_their_conversations_and_appointments(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        customer = await make_customer(uow, owner)
        conversation = await make_conversation(uow, owner, customer=customer)
        await post_messages(uow, conversation, "hi")
        await make_appointment(uow, owner, customer, MONDAY_10)
        await uow.commit()

    async with db.uow(writes=True) as uow:
        await uow.customers.remove(await uow.customers.get(customer.id))
        await uow.commit()

    assert await rows_in(db, Conversation) == 0
    assert await rows_in(db, Message) == 0
    assert await rows_in(db, Appointment) == 0


# -- lengths and checks ----------------------------------------------------------------


async def test_a_persona_name_of_the_maximum_length_is_accepted(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        persona = await make_persona(uow, owner, name="n" * 100)
        await uow.commit()

    async with db.uow() as uow:
        assert (await uow.personas.get(persona.id)).name == "n" * 100


async def test_a_persona_name_one_character_too_long_is_refused_by_the_database(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        await uow.commit()

    async with db.uow(writes=True) as uow:
        with pytest.raises(IntegrityViolation):
            await make_persona(uow, owner, name="n" * 101)

    assert await rows_in(db, Persona) == 0


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda uow, owner: make_user(uow, username="u" * 51), "users.username"),
        (lambda uow, owner: make_user(uow, email="e" * 310 + "@example.com"), "users.email"),
        (lambda uow, owner: make_customer(uow, owner, phone="1" * 33), "customers.phone"),
        (
            lambda uow, owner: make_customer(uow, owner, external_id="x" * 256),
            "customers.external_id",
        ),
        (lambda uow, owner: make_conversation(uow, owner, title="t" * 201), "conversations.title"),
        (lambda uow, owner: uow.files.add(a_file(owner, sha256="f" * 65)), "files.sha256"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
async def test_strings_longer_than_their_column_are_refused_by_the_database(db, build, field):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        await uow.commit()

    async with db.uow(writes=True) as uow:
        with pytest.raises(IntegrityViolation):
            await build(uow, owner)


@pytest.mark.parametrize("duration", [0, -30, 1441])
async def test_an_appointment_duration_outside_one_day_is_refused(db, duration):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        customer = await make_customer(uow, owner)
        with pytest.raises(IntegrityViolation):
            await make_appointment(uow, owner, customer, MONDAY_10, duration)


async def test_a_negative_file_size_is_refused(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        with pytest.raises(IntegrityViolation):
            await uow.files.add(a_file(owner, size_bytes=-1))


async def test_negative_token_counts_are_refused(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        conversation = await make_conversation(uow, owner)
        with pytest.raises(IntegrityViolation):
            await uow.messages.append(
                conversation,
                [Message(role=MessageRole.ASSISTANT, content="hi", output_tokens=-1)],
            )


# -- how values come back ---------------------------------------------------------------


async def test_an_email_is_stored_trimmed_and_lower_case(db):
    async with db.uow(writes=True) as uow:
        user = await make_user(uow, email="  Ada.Lovelace@Example.COM ")
        await uow.commit()

    async with db.uow() as uow:
        assert (await uow.users.get(user.id)).email == "ada.lovelace@example.com"
        assert (await uow.users.find_by_login("ADA.LOVELACE@example.com")).id == user.id


async def test_a_changed_email_is_stored_lower_case_too(db):
    async with db.uow(writes=True) as uow:
        user = await make_user(uow)
        await uow.commit()

    async with db.uow(writes=True) as uow:
        stored = await uow.users.get(user.id)
        stored.email = "New.Address@Example.COM"
        await uow.users.save(stored)
        await uow.commit()

    async with db.uow() as uow:
        assert (await uow.users.get(user.id)).email == "new.address@example.com"


async def test_timestamps_come_back_timezone_aware_in_utc(db):
    berlin_noon = datetime(2030, 6, 3, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        customer = await make_customer(uow, owner)
        conversation = await make_conversation(uow, owner)
        await post_messages(uow, conversation, "hi")
        appointment = await make_appointment(uow, owner, customer, berlin_noon)
        await uow.commit()

    async with db.uow() as uow:
        stored_conversation = await uow.conversations.get(conversation.id)
        stored_appointment = await uow.appointments.get(appointment.id)
        stored_user = await uow.users.get(owner.id)

    for value in (
        stored_user.created_at,
        stored_user.updated_at,
        stored_conversation.created_at,
        stored_conversation.last_message_at,
        stored_appointment.starts_at,
        stored_appointment.ends_at,
    ):
        assert value.tzinfo is not None
        assert value.utcoffset() == timedelta(0)
    assert stored_appointment.starts_at == datetime(2030, 6, 3, 10, 0, tzinfo=UTC)
    assert stored_appointment.ends_at == datetime(2030, 6, 3, 10, 30, tzinfo=UTC)


async def test_timestamps_keep_microseconds(db):
    precise = datetime(2030, 6, 3, 10, 0, 0, 123456, tzinfo=UTC)
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow, created_at=precise)
        await uow.commit()

    async with db.uow() as uow:
        assert (await uow.users.get(owner.id)).created_at == precise


async def test_ids_are_uuid_version_7(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        persona = await make_persona(uow, owner)
        customer = await make_customer(uow, owner)
        conversation = await make_conversation(uow, owner, persona, customer)
        (message,) = await post_messages(uow, conversation, "hi")
        appointment = await make_appointment(uow, owner, customer, MONDAY_10)
        file = await uow.files.add(a_file(owner))
        await uow.commit()

    async with db.uow() as uow:
        stored = [
            await uow.users.get(owner.id),
            await uow.personas.get(persona.id),
            await uow.customers.get(customer.id),
            await uow.conversations.get(conversation.id),
            await uow.messages.get(message.id),
            await uow.appointments.get(appointment.id),
            await uow.files.get(file.id),
        ]

    assert [row.id.version for row in stored] == [7] * 7
    ids = [row.id for row in stored]
    assert ids == sorted(ids)


async def test_getting_an_id_that_does_not_exist_is_not_found(db):
    missing = new_id()

    async with db.uow() as uow:
        with pytest.raises(NotFound) as not_found:
            await uow.personas.get(missing)

    assert not_found.value.entity == "persona"
    assert not_found.value.key == missing
