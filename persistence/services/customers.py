"""Customers: found or created by channel and external id, and their profiles."""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from persistence.errors import NotFound
from persistence.models import Channel, Customer
from persistence.repositories.customers import PROFILE_FIELDS
from persistence.rules.values import length, refuse
from persistence.unit_of_work import UnitOfWork

PROFILE_LIMITS = {"username": 100, "first_name": 100, "last_name": 100, "phone": 32, "email": 320}
EXTERNAL_ID_MAX = 255


def _check_profile(profile: Mapping[str, str | None]) -> None:
    refuse(
        length(value, (name,), maximum=PROFILE_LIMITS[name])
        for name, value in profile.items()
        if name in PROFILE_FIELDS
    )


async def upsert_customer(
    uow: UnitOfWork,
    owner_id: UUID,
    channel: Channel,
    external_id: str,
    profile: Mapping[str, str | None],
) -> tuple[Customer, bool]:
    """The owner's customer on ``channel`` with ``external_id``, created if new, with
    the given profile fields refreshed; and whether it was created. Concurrent
    calls for one customer create it once."""
    refuse([length(external_id, ("external_id",), minimum=1, maximum=EXTERNAL_ID_MAX)])
    _check_profile(profile)
    async with uow.transaction():
        return await uow.customers.upsert(owner_id, channel, external_id, dict(profile))


async def update_customer(
    uow: UnitOfWork, customer_id: UUID, profile: Mapping[str, str | None]
) -> Customer:
    """Change the given profile fields of a visible customer (``None`` clears one)."""
    async with uow.transaction():
        customer = await uow.customers.lock(customer_id)
        if customer is None:
            raise NotFound("customer", customer_id, ("id",))
        _check_profile(profile)
        for name, value in profile.items():
            setattr(customer, name, value)
        return await uow.customers.save(customer)
