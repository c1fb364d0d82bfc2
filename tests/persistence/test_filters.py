"""Filters bind their values by name: the SQL of a filter depends on which fields
it sets, never on their values, and LIKE wildcards in a search are literal."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

from persistence.models import AppointmentStatus, Channel
from persistence.pagination import PageRequest
from persistence.repositories import (
    AppointmentFilter,
    ConversationFilter,
    CustomerFilter,
    PersonaFilter,
)
from persistence.repositories.base import contains_pattern
from persistence.repositories.customers import CUSTOMERS_NEWEST_FIRST
from persistence.repositories.personas import PERSONAS_BY_NAME
from tests.factories import make_customer, make_persona, make_user


def test_the_shape_of_a_filter_is_the_fields_it_sets():
    one, other = uuid4(), uuid4()

    assert (
        ConversationFilter(persona_id=one).shape() == ConversationFilter(persona_id=other).shape()
    )
    assert ConversationFilter(persona_id=one).shape() != ConversationFilter(customer_id=one).shape()
    assert ConversationFilter().shape() == (ConversationFilter, frozenset())


def test_a_filter_names_the_values_it_binds():
    after = datetime(2030, 1, 1, tzinfo=UTC)
    statuses = frozenset({AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED})

    values = AppointmentFilter(statuses=statuses, starts_from=after).bound_values()

    assert values == {"filter_statuses": sorted(statuses), "filter_starts_from": after}
    assert PersonaFilter(is_active=False).bound_values() == {"filter_is_active": False}


def test_a_search_pattern_escapes_like_wildcards():
    assert contains_pattern("50%_off/now") == "%50/%/_off//now%"


async def test_wildcards_in_a_search_match_only_themselves(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        await make_customer(uow, owner, username="100%_sure", channel=Channel.WEB)
        await make_customer(uow, owner, username="1000_sure", channel=Channel.WEB)
        await make_persona(uow, owner, name="Half/Half")
        await make_persona(uow, owner, name="Halfway")
        await uow.commit()
    async with db.uow() as uow:
        customers = await uow.customers.find(
            CustomerFilter(search="0%_S"), CUSTOMERS_NEWEST_FIRST, PageRequest(limit=10)
        )
        personas = await uow.personas.find(
            PersonaFilter(name_contains="f/h"), PERSONAS_BY_NAME, PageRequest(limit=10)
        )

    assert [c.username for c in customers.rows] == ["100%_sure"]
    assert [p.name for p in personas.rows] == ["Half/Half"]
