"""No row links one owner's data to another's, whoever writes it: admins get a typed
refusal from the mutations, and the database itself refuses the rows (composite
foreign keys on ``(owner_id, id)``), on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from persistence.errors import IntegrityViolation
from persistence.models import Appointment, Conversation, ConversationState, Memory, MemoryType
from tests.api.steps import ERRORS, set_schedule
from tests.api.wire import global_id, user_errors
from tests.factories import make_conversation, make_customer, make_persona, make_user

STARTS = datetime(2031, 6, 2, 10, tzinfo=UTC)  # a Monday


@pytest.fixture
async def two_owners(seed):
    """Two operators with a persona and a customer each."""
    async with seed() as uow:
        alice, bob = await make_user(uow), await make_user(uow)
        rows = {
            "alice": (alice, await make_persona(uow, alice), await make_customer(uow, alice)),
            "bob": (bob, await make_persona(uow, bob), await make_customer(uow, bob)),
        }
    return rows


async def test_an_admin_cannot_start_a_conversation_across_owners(admin, two_owners, db):
    _, alice_persona, _ = two_owners["alice"]
    _, _, bob_customer = two_owners["bob"]

    data = await admin.api.data(
        f"""mutation($p: ID!, $c: ID!) {{ startConversation(input: {{title: "x",
              personaId: $p, customerId: $c}}) {{ conversation {{ id }} {ERRORS} }} }}""",
        {"p": global_id("Persona", alice_persona.id), "c": global_id("Customer", bob_customer.id)},
    )

    assert user_errors(data["startConversation"]) == [
        ("ValidationError", "VALIDATION", "input.customerId")
    ]
    async with db.uow() as uow:
        assert await uow.conversations.count() == 0


async def test_an_admins_conversation_with_an_operators_persona_is_that_operators(
    admin, two_owners, db
):
    alice, alice_persona, alice_customer = two_owners["alice"]

    data = await admin.api.data(
        f"""mutation($p: ID!, $c: ID!) {{ startConversation(input: {{title: "x",
              personaId: $p, customerId: $c}}) {{ conversation {{ id }} {ERRORS} }} }}""",
        {
            "p": global_id("Persona", alice_persona.id),
            "c": global_id("Customer", alice_customer.id),
        },
    )

    assert data["startConversation"]["errors"] == []
    async with db.engine.connect() as connection:
        owners = (await connection.execute(select(Conversation.owner_id))).scalars().all()
    assert owners == [alice.id]


async def test_an_admin_cannot_book_an_operators_customer_with_anothers_persona(
    admin, two_owners, db
):
    _, _, alice_customer = two_owners["alice"]
    _, bob_persona, _ = two_owners["bob"]

    data = await admin.api.data(
        f"""mutation($p: ID!, $c: ID!, $t: DateTime!) {{ bookAppointment(input: {{
              customerId: $c, personaId: $p, startsAt: $t, durationMinutes: 30}}) {{
              appointment {{ id }} {ERRORS} }} }}""",
        {
            "p": global_id("Persona", bob_persona.id),
            "c": global_id("Customer", alice_customer.id),
            "t": STARTS.isoformat(),
        },
    )

    assert user_errors(data["bookAppointment"]) == [
        ("ValidationError", "VALIDATION", "input.personaId")
    ]
    async with db.uow() as uow:
        assert await uow.appointments.count() == 0


@pytest.mark.parametrize(
    "row",
    [
        "conversation with another's persona",
        "conversation with another's customer",
        "appointment with another's persona",
        "appointment with another's customer",
    ],
)
async def test_the_database_refuses_rows_that_link_across_owners(two_owners, db, row):
    alice, alice_persona, alice_customer = two_owners["alice"]
    _, bob_persona, bob_customer = two_owners["bob"]
    persona, customer = (
        (bob_persona, alice_customer) if "persona" in row else (alice_persona, bob_customer)
    )

    async with db.uow(writes=True) as uow:
        with pytest.raises(IntegrityViolation):
            if row.startswith("conversation"):
                await uow.conversations.add(
                    Conversation(
                        owner_id=alice.id,
                        persona_id=persona.id,
                        customer_id=customer.id,
                        title="cross",
                    )
                )
            else:
                await uow.appointments.add(
                    Appointment(
                        owner_id=alice.id,
                        customer_id=customer.id,
                        persona_id=persona.id,
                        starts_at=STARTS,
                        duration_minutes=30,
                    )
                )


@pytest.mark.parametrize("row", ["memory", "state"])
async def test_the_database_refuses_memories_and_state_in_another_owners_conversation(
    two_owners, db, seed, row
):
    alice, _, _ = two_owners["alice"]
    bob, bob_persona, bob_customer = two_owners["bob"]
    async with seed() as uow:
        bobs = await make_conversation(uow, bob, bob_persona, bob_customer)

    async with db.uow(writes=True) as uow:
        with pytest.raises(IntegrityViolation):
            if row == "memory":
                await uow.memories.add(
                    Memory(
                        owner_id=alice.id,
                        conversation_id=bobs.id,
                        content="not hers to keep",
                        memory_type=MemoryType.FACT,
                        importance=0.5,
                        dimensions=2,
                        embedding=[1.0, 0.0],
                        metadata_={},
                        access_count=0,
                    )
                )
            else:
                await uow.states.add(
                    ConversationState(
                        owner_id=alice.id,
                        conversation_id=bobs.id,
                        module_key="booking",
                        key="step",
                        value="offer",
                        version=1,
                    )
                )
    async with db.uow() as uow:
        assert await uow.memories.count() == 0
        assert await uow.states.count() == 0


async def test_deleting_a_persona_still_only_clears_its_links(operator, seed, db):
    async with seed() as uow:
        persona = await make_persona(uow, operator.user)
        customer = await make_customer(uow, operator.user)
        conversation = await make_conversation(uow, operator.user, persona, customer)
    await set_schedule(operator.api)

    deleted = await operator.api.data(
        f"""mutation($id: ID!) {{ deletePersona(input: {{id: $id}}) {{ {ERRORS} }} }}""",
        {"id": global_id("Persona", persona.id)},
    )

    assert deleted["deletePersona"]["errors"] == []
    async with db.uow() as uow:
        kept = await uow.conversations.get(conversation.id)
    assert (kept.owner_id, kept.persona_id, kept.customer_id) == (
        operator.user.id,
        None,
        customer.id,
    )
