"""Get-or-create of a customer by (owner, channel, external id): one statement,
safe when many requests for the same customer arrive at once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from persistence.models import Channel, Customer
from persistence.scope import Scope
from tests.factories import make_user


async def given_an_owner(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        await uow.commit()
    return owner


async def upsert(db, owner, external_id="tg-777", channel=Channel.TELEGRAM, **profile):
    async with db.uow(Scope.owner(owner.id), writes=True) as uow:
        customer, created = await uow.customers.upsert(owner.id, channel, external_id, profile)
        await uow.commit()
    return customer, created


async def customers_of(db, owner) -> int:
    async with db.engine.connect() as connection:
        return await connection.scalar(
            select(func.count()).select_from(Customer).where(Customer.owner_id == owner.id)
        )


async def test_the_first_upsert_creates_the_customer(db):
    owner = await given_an_owner(db)

    customer, created = await upsert(db, owner, username="jo", first_name="Jo")

    assert created is True
    assert (customer.owner_id, customer.channel, customer.external_id) == (
        owner.id,
        Channel.TELEGRAM,
        "tg-777",
    )
    assert (customer.username, customer.first_name, customer.last_name) == ("jo", "Jo", None)
    assert customer.id.version == 7
    assert customer.created_at.utcoffset() is not None


async def test_a_second_upsert_updates_the_profile_of_the_same_customer(db):
    owner = await given_an_owner(db)
    first, _ = await upsert(db, owner, username="jo", first_name="Jo")

    second, created = await upsert(db, owner, first_name="Joanna", last_name="Doe")

    assert created is False
    assert second.id == first.id
    assert (second.username, second.first_name, second.last_name) == ("jo", "Joanna", "Doe")
    assert second.created_at == first.created_at
    assert second.updated_at >= first.updated_at
    async with db.uow(Scope.owner(owner.id)) as uow:
        stored = await uow.customers.get(first.id)
    assert (stored.username, stored.first_name, stored.last_name) == ("jo", "Joanna", "Doe")
    assert await customers_of(db, owner) == 1


async def test_an_upsert_refreshes_a_customer_already_loaded_in_the_unit(db):
    owner = await given_an_owner(db)
    first, _ = await upsert(db, owner, first_name="Jo")

    async with db.uow(Scope.owner(owner.id), writes=True) as uow:
        loaded = await uow.customers.get(first.id)
        customer, created = await uow.customers.upsert(
            owner.id, Channel.TELEGRAM, "tg-777", {"first_name": "Joanna"}
        )
        await uow.commit()

    assert created is False
    assert customer is loaded
    assert loaded.first_name == "Joanna"


async def test_another_channel_or_external_id_is_another_customer(db):
    owner = await given_an_owner(db)
    telegram, _ = await upsert(db, owner, "42", Channel.TELEGRAM)

    whatsapp, whatsapp_created = await upsert(db, owner, "42", Channel.WHATSAPP)
    other, other_created = await upsert(db, owner, "43", Channel.TELEGRAM)

    assert whatsapp_created and other_created
    assert len({telegram.id, whatsapp.id, other.id}) == 3


async def test_the_same_external_id_for_another_owner_is_another_customer(db):
    first_owner, second_owner = await given_an_owner(db), await given_an_owner(db)

    mine, _ = await upsert(db, first_owner, "42")
    theirs, created = await upsert(db, second_owner, "42")

    assert created is True
    assert theirs.id != mine.id


async def test_an_upsert_refuses_fields_that_are_not_profile_fields(db):
    owner = await given_an_owner(db)

    with pytest.raises(ValueError, match="owner_id"):
        await upsert(db, owner, owner_id=owner.id)

    assert await customers_of(db, owner) == 0


async def test_twenty_concurrent_upserts_of_one_customer_make_one_row(db):
    owner = await given_an_owner(db)

    outcomes = await asyncio.gather(
        *(upsert(db, owner, "tg-rush", first_name=f"Name {n}") for n in range(20))
    )

    ids = {customer.id for customer, _ in outcomes}
    assert len(ids) == 1
    assert [created for _, created in outcomes].count(True) == 1
    assert await customers_of(db, owner) == 1
    async with db.uow(Scope.owner(owner.id)) as uow:
        stored = await uow.customers.get(ids.pop())
    assert stored.first_name in {f"Name {n}" for n in range(20)}
