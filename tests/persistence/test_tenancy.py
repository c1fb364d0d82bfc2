"""Tenancy: an owner sees and changes only their own rows, an admin sees all,
nobody sees nothing; the rule lives in the repositories' queries."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from persistence.errors import NotFound
from persistence.models import (
    Appointment,
    Channel,
    Conversation,
    Customer,
    File,
    Message,
    MessageRole,
    Persona,
)
from persistence.pagination import PageRequest
from persistence.repositories.appointments import APPOINTMENTS_BY_START, AppointmentFilter
from persistence.repositories.conversations import CONVERSATIONS_BY_ACTIVITY, ConversationFilter
from persistence.repositories.customers import CUSTOMERS_NEWEST_FIRST, CustomerFilter
from persistence.repositories.files import FILES_NEWEST_FIRST, FileFilter
from persistence.repositories.messages import MESSAGES_NEWEST_FIRST
from persistence.repositories.personas import PERSONAS_BY_NAME, PersonaFilter
from persistence.scope import Scope
from tests.factories import (
    make_appointment,
    make_conversation,
    make_customer,
    make_persona,
    make_user,
    post_messages,
)

MONDAY_10 = datetime(2030, 6, 3, 10, 0, tzinfo=UTC)
EVERYTHING = PageRequest(limit=100)


async def given_a_tenant(uow, name):
    """A user with one of everything (and the same appointment time as any other tenant)."""
    user = await make_user(uow, username=name, email=f"{name}@example.com")
    persona = await make_persona(uow, user)
    customer = await make_customer(uow, user)
    conversation = await make_conversation(uow, user, persona, customer)
    messages = await post_messages(uow, conversation, f"{name} says hi", f"{name} answers")
    appointment = await make_appointment(uow, user, customer, MONDAY_10)
    file = await uow.files.add(
        File(
            owner_id=user.id,
            filename=f"{name}.pdf",
            content_type="application/pdf",
            size_bytes=1,
            sha256="0" * 64,
            storage_key=f"{name}/file.pdf",
        )
    )
    return SimpleNamespace(
        user=user,
        persona=persona,
        customer=customer,
        conversation=conversation,
        messages=messages,
        appointment=appointment,
        file=file,
    )


@pytest.fixture
async def tenants(db):
    async with db.uow(writes=True) as uow:
        alice = await given_a_tenant(uow, "alice")
        bob = await given_a_tenant(uow, "bob")
        await uow.commit()
    return alice, bob


async def everything_visible(uow, alice, bob):
    """What each repository returns for both tenants' keys, in every read shape."""
    both_users = [alice.user.id, bob.user.id]
    both_personas = [alice.persona.id, bob.persona.id]
    both_customers = [alice.customer.id, bob.customer.id]
    both_conversations = [alice.conversation.id, bob.conversation.id]

    def ids(rows):
        return [row.id if row is not None else None for row in rows]

    def page_ids(pages):
        return [[row.id for row in page.rows] for page in pages]

    return {
        "users.get_many": ids(await uow.users.get_many(both_users)),
        "users.find": ids((await uow.users.find(EVERYTHING)).rows),
        "personas.get_many": ids(await uow.personas.get_many(both_personas)),
        "personas.find": ids(
            (await uow.personas.find(PersonaFilter(), PERSONAS_BY_NAME, EVERYTHING)).rows
        ),
        "personas.count": await uow.personas.count_matching(PersonaFilter()),
        "personas.pages_by_owner": page_ids(
            await uow.personas.pages_by_owner(both_users, PERSONAS_BY_NAME, EVERYTHING)
        ),
        "personas.counts_by_owner": await uow.personas.counts_by_owner(both_users),
        "customers.get_many": ids(await uow.customers.get_many(both_customers)),
        "customers.find": ids(
            (await uow.customers.find(CustomerFilter(), CUSTOMERS_NEWEST_FIRST, EVERYTHING)).rows
        ),
        "customers.count": await uow.customers.count_matching(CustomerFilter()),
        "customers.find_by_external_id": ids(
            [
                await uow.customers.find_by_external_id(
                    bob.user.id, bob.customer.channel, bob.customer.external_id
                )
            ]
        ),
        "conversations.get_many": ids(await uow.conversations.get_many(both_conversations)),
        "conversations.find": ids(
            (
                await uow.conversations.find(
                    ConversationFilter(), CONVERSATIONS_BY_ACTIVITY, EVERYTHING
                )
            ).rows
        ),
        "conversations.count": await uow.conversations.count_matching(ConversationFilter()),
        "conversations.pages_by_persona": page_ids(
            await uow.conversations.pages_by_persona(
                both_personas, CONVERSATIONS_BY_ACTIVITY, EVERYTHING
            )
        ),
        "conversations.pages_by_customer": page_ids(
            await uow.conversations.pages_by_customer(
                both_customers, CONVERSATIONS_BY_ACTIVITY, EVERYTHING
            )
        ),
        "conversations.counts_by_persona": await uow.conversations.counts_by_persona(both_personas),
        "conversations.counts_by_customer": await uow.conversations.counts_by_customer(
            both_customers
        ),
        "messages.get_many": ids(
            await uow.messages.get_many([alice.messages[0].id, bob.messages[0].id])
        ),
        "messages.count": await uow.messages.count(),
        "messages.pages_by_conversation": page_ids(
            await uow.messages.pages_by_conversation(
                both_conversations, MESSAGES_NEWEST_FIRST, EVERYTHING
            )
        ),
        "messages.counts_by_conversation": await uow.messages.counts_by_conversation(
            both_conversations
        ),
        "messages.latest_by_conversation": ids(
            await uow.messages.latest_by_conversation(both_conversations)
        ),
        "appointments.get_many": ids(
            await uow.appointments.get_many([alice.appointment.id, bob.appointment.id])
        ),
        "appointments.find": ids(
            (
                await uow.appointments.find(AppointmentFilter(), APPOINTMENTS_BY_START, EVERYTHING)
            ).rows
        ),
        "appointments.count": await uow.appointments.count_matching(AppointmentFilter()),
        "appointments.pages_by_customer": page_ids(
            await uow.appointments.pages_by_customer(
                both_customers, APPOINTMENTS_BY_START, EVERYTHING
            )
        ),
        "appointments.counts_by_customer": await uow.appointments.counts_by_customer(
            both_customers
        ),
        "files.get_many": ids(await uow.files.get_many([alice.file.id, bob.file.id])),
        "files.find": ids(
            (await uow.files.find(FileFilter(), FILES_NEWEST_FIRST, EVERYTHING)).rows
        ),
    }


def own_view(me):
    """What a tenant should see: their own rows only, aligned as asked."""
    newest, oldest = me.messages[1].id, me.messages[0].id
    return {
        "users.get_many": [me.user.id],
        "users.find": [me.user.id],
        "personas.get_many": [me.persona.id],
        "personas.find": [me.persona.id],
        "personas.count": 1,
        "personas.pages_by_owner": [[me.persona.id]],
        "personas.counts_by_owner": [1],
        "customers.get_many": [me.customer.id],
        "customers.find": [me.customer.id],
        "customers.count": 1,
        "conversations.get_many": [me.conversation.id],
        "conversations.find": [me.conversation.id],
        "conversations.count": 1,
        "conversations.pages_by_persona": [[me.conversation.id]],
        "conversations.pages_by_customer": [[me.conversation.id]],
        "conversations.counts_by_persona": [1],
        "conversations.counts_by_customer": [1],
        "messages.get_many": [oldest],
        "messages.count": 2,
        "messages.pages_by_conversation": [[newest, oldest]],
        "messages.counts_by_conversation": [2],
        "messages.latest_by_conversation": [newest],
        "appointments.get_many": [me.appointment.id],
        "appointments.find": [me.appointment.id],
        "appointments.count": 1,
        "appointments.pages_by_customer": [[me.appointment.id]],
        "appointments.counts_by_customer": [1],
        "files.get_many": [me.file.id],
        "files.find": [me.file.id],
    }


BATCH_READS = ("get_many", "_by_owner", "_by_persona", "_by_customer", "_by_conversation")


def nothing_for(name):
    """What a batch read returns for a key whose rows cannot be seen."""
    if ".counts_by" in name:
        return 0
    if ".pages_by" in name:
        return []
    return None


def aligned_for(view, position):
    """``view`` as answered for two keys: its own results at ``position``, nothing at the other."""
    placed = {}
    for name, value in view.items():
        if name.endswith(BATCH_READS):
            (only,) = value
            pair = [nothing_for(name), nothing_for(name)]
            pair[position] = only
            placed[name] = pair
        else:
            placed[name] = value
    return placed


def nothing_view(view):
    """``view`` as answered to a scope that sees no rows at all."""
    return {
        name: [nothing_for(name)] * 2
        if name.endswith(BATCH_READS)
        else 0
        if isinstance(value, int)
        else []
        for name, value in view.items()
    }


async def test_an_owner_sees_only_their_own_rows_in_every_read(db, tenants):
    alice, bob = tenants

    async with db.uow(Scope.owner(alice.user.id)) as uow:
        seen = await everything_visible(uow, alice, bob)

    expected = aligned_for(own_view(alice), 0)
    expected["customers.find_by_external_id"] = [None]
    assert seen == expected


async def test_the_other_owner_sees_only_theirs_too(db, tenants):
    alice, bob = tenants

    async with db.uow(Scope.owner(bob.user.id)) as uow:
        seen = await everything_visible(uow, alice, bob)

    expected = aligned_for(own_view(bob), 1)
    expected["customers.find_by_external_id"] = [bob.customer.id]
    assert seen == expected


async def test_nobody_sees_nothing(db, tenants):
    alice, bob = tenants

    async with db.uow(Scope.nobody()) as uow:
        seen = await everything_visible(uow, alice, bob)

    expected = nothing_view(own_view(alice))
    expected["customers.find_by_external_id"] = [None]
    assert seen == expected


async def test_an_admin_sees_everyones_rows(db, tenants):
    alice, bob = tenants

    async with db.uow(Scope.admin()) as uow:
        seen = await everything_visible(uow, alice, bob)

    mine, theirs = own_view(alice), own_view(bob)
    for name in mine:
        if isinstance(mine[name], int):
            assert seen[name] == mine[name] + theirs[name], name
        elif name.endswith(".find"):
            assert sorted(seen[name]) == sorted(mine[name] + theirs[name]), name
        else:
            assert seen[name] == mine[name] + theirs[name], name
    assert seen["customers.find_by_external_id"] == [bob.customer.id]


async def test_getting_another_owners_row_by_id_is_not_found(db, tenants):
    alice, bob = tenants

    async with db.uow(Scope.owner(alice.user.id)) as uow:
        for repository, row in [
            (uow.users, bob.user),
            (uow.personas, bob.persona),
            (uow.customers, bob.customer),
            (uow.conversations, bob.conversation),
            (uow.messages, bob.messages[0]),
            (uow.appointments, bob.appointment),
            (uow.files, bob.file),
        ]:
            with pytest.raises(NotFound):
                await repository.get(row.id)


@pytest.mark.parametrize("scope_of", ["other owner", "nobody"])
async def test_adding_a_row_for_another_owner_is_not_found_and_writes_nothing(
    db, tenants, scope_of
):
    alice, bob = tenants
    scope = Scope.owner(alice.user.id) if scope_of == "other owner" else Scope.nobody()
    victim = bob.user.id

    async with db.uow(scope, writes=True) as uow:
        attempts = [
            lambda: uow.personas.add(Persona(owner_id=victim, name="Spy", system_prompt="x")),
            lambda: uow.customers.add(
                Customer(owner_id=victim, channel=Channel.WEB, external_id="spy")
            ),
            lambda: uow.conversations.add(Conversation(owner_id=victim, title="Spy")),
            lambda: uow.appointments.add(
                Appointment(
                    owner_id=victim,
                    customer_id=bob.customer.id,
                    starts_at=datetime(2031, 1, 1, tzinfo=UTC),
                    duration_minutes=30,
                )
            ),
            lambda: uow.files.add(
                File(
                    owner_id=victim,
                    filename="spy",
                    content_type="text/plain",
                    size_bytes=1,
                    sha256="0" * 64,
                    storage_key="spy",
                )
            ),
            lambda: uow.messages.append(
                bob.conversation, [Message(role=MessageRole.USER, content="spy")]
            ),
            lambda: uow.customers.upsert(victim, Channel.WEB, "spy", {"first_name": "Spy"}),
        ]
        for attempt in attempts:
            with pytest.raises(NotFound):
                await attempt()
        await uow.commit()

    async with db.uow(Scope.admin()) as uow:
        assert await uow.personas.count() == 2
        assert await uow.customers.count() == 2
        assert await uow.conversations.count() == 2
        assert await uow.appointments.count() == 2
        assert await uow.files.count() == 2
        assert await uow.messages.count() == 4


async def test_an_admin_may_add_rows_for_any_owner(db, tenants):
    _, bob = tenants

    async with db.uow(Scope.admin(), writes=True) as uow:
        persona = await uow.personas.add(
            Persona(owner_id=bob.user.id, name="Added by admin", system_prompt="x")
        )
        await uow.commit()

    async with db.uow(Scope.owner(bob.user.id)) as uow:
        assert (await uow.personas.get(persona.id)).name == "Added by admin"
