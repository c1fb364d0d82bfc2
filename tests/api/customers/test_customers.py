"""Customers over HTTP: upsert, update, list, look up, and their nested lists."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from persistence.models import Channel, new_id
from tests.api.wire import ERRORS, global_id, refusal, user_errors
from tests.factories import make_appointment, make_conversation, make_customer

CUSTOMER = "id channel externalId username firstName lastName phone email"
UPSERT = f"""mutation($input: UpsertCustomerInput!) {{
  upsertCustomer(input: $input) {{ created customer {{ {CUSTOMER} }} {ERRORS} }}
}}"""
UPDATE = f"""mutation($input: UpdateCustomerInput!) {{
  updateCustomer(input: $input) {{ customer {{ {CUSTOMER} }} {ERRORS} }}
}}"""


async def test_upsert_creates_then_finds_the_same_customer_refreshing_given_fields(operator):
    first = await operator.api.data(
        UPSERT,
        {"input": {"channel": "TELEGRAM", "externalId": "42", "username": "ada", "phone": "1"}},
    )
    second = await operator.api.data(
        UPSERT,
        {"input": {"channel": "TELEGRAM", "externalId": "42", "username": "ada_l", "email": None}},
    )

    assert first["upsertCustomer"]["errors"] == []
    assert first["upsertCustomer"]["created"] is True
    assert second["upsertCustomer"]["created"] is False
    before, after = first["upsertCustomer"]["customer"], second["upsertCustomer"]["customer"]
    assert after["id"] == before["id"]
    assert after["username"] == "ada_l"
    assert after["phone"] == "1"
    assert after["channel"] == "TELEGRAM"


async def test_the_same_external_id_on_another_channel_or_tenant_is_another_customer(
    operator, rival
):
    mine = await operator.api.data(UPSERT, {"input": {"channel": "TELEGRAM", "externalId": "42"}})
    web = await operator.api.data(UPSERT, {"input": {"channel": "WEB", "externalId": "42"}})
    theirs = await rival.api.data(UPSERT, {"input": {"channel": "TELEGRAM", "externalId": "42"}})

    ids = {payload["upsertCustomer"]["customer"]["id"] for payload in (mine, web, theirs)}
    assert len(ids) == 3
    assert all(p["upsertCustomer"]["created"] for p in (mine, web, theirs))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"externalId": ""}, "input.externalId"),
        ({"externalId": "x" * 256}, "input.externalId"),
        ({"phone": "1" * 33}, "input.phone"),
        ({"username": "u" * 101}, "input.username"),
        ({"email": "e" * 321}, "input.email"),
    ],
)
async def test_upsert_refuses_invalid_input_naming_the_field(operator, db, fields, field):
    data = await operator.api.data(
        UPSERT, {"input": {"channel": "WEB", "externalId": "42"} | fields}
    )

    assert user_errors(data["upsertCustomer"]) == [("ValidationError", "VALIDATION", field)]
    assert data["upsertCustomer"]["customer"] is None
    async with db.uow() as uow:
        assert await uow.customers.count() == 0


async def test_upsert_without_a_token_is_unauthenticated(api):
    data = await api.data(UPSERT, {"input": {"channel": "WEB", "externalId": "42"}})

    assert user_errors(data["upsertCustomer"]) == [("Unauthenticated", "UNAUTHENTICATED", None)]
    assert data["upsertCustomer"]["created"] is False


async def test_update_customer_changes_and_clears_only_the_given_fields(operator, seed):
    async with seed() as uow:
        customer = await make_customer(
            uow, operator.user, username="ada", first_name="Ada", phone="123"
        )

    data = await operator.api.data(
        UPDATE,
        {"input": {"id": global_id("Customer", customer.id), "lastName": "L", "phone": None}},
    )

    updated = data["updateCustomer"]["customer"]
    assert data["updateCustomer"]["errors"] == []
    assert (updated["username"], updated["firstName"], updated["lastName"]) == ("ada", "Ada", "L")
    assert updated["phone"] is None


async def test_update_customer_refuses_an_overlong_field(operator, seed, db):
    async with seed() as uow:
        customer = await make_customer(uow, operator.user, first_name="Ada")

    data = await operator.api.data(
        UPDATE, {"input": {"id": global_id("Customer", customer.id), "firstName": "x" * 101}}
    )

    assert user_errors(data["updateCustomer"]) == [
        ("ValidationError", "VALIDATION", "input.firstName")
    ]
    async with db.uow() as uow:
        assert (await uow.customers.get(customer.id)).first_name == "Ada"


async def test_update_customer_of_a_missing_or_foreign_id_is_not_found(operator, rival, seed):
    async with seed() as uow:
        theirs = await make_customer(uow, rival.user)

    for customer_id in (global_id("Customer", new_id()), global_id("Customer", theirs.id)):
        data = await operator.api.data(UPDATE, {"input": {"id": customer_id, "username": "x"}})

        assert user_errors(data["updateCustomer"]) == [("NotFoundError", "NOT_FOUND", "input.id")]


async def test_update_customer_without_a_token_is_unauthenticated(api, operator, seed):
    async with seed() as uow:
        customer = await make_customer(uow, operator.user)

    data = await api.data(UPDATE, {"input": {"id": global_id("Customer", customer.id)}})

    assert user_errors(data["updateCustomer"]) == [("Unauthenticated", "UNAUTHENTICATED", None)]


async def test_customers_lists_only_mine_filtered_by_channel_and_search(operator, rival, seed):
    async with seed() as uow:
        await make_customer(uow, operator.user, channel=Channel.WEB, first_name="Ada")
        await make_customer(uow, operator.user, channel=Channel.WEB, email="bea@example.com")
        await make_customer(uow, operator.user, channel=Channel.SMS, username="ada_sms")
        await make_customer(uow, rival.user, channel=Channel.WEB, first_name="Ada")

    everything = await operator.api.data("{ customers(orderBy: CREATED_AT_ASC) { totalCount } }")
    web = await operator.api.data(
        "{ customers(filter: {channel: WEB}) { totalCount edges { node { channel } } } }"
    )
    search = await operator.api.data(
        """{ customers(filter: {search: "ADA"}, orderBy: CREATED_AT_ASC) {
             totalCount edges { node { firstName username } } } }"""
    )

    assert everything["customers"]["totalCount"] == 3
    assert web["customers"]["totalCount"] == 2
    assert {edge["node"]["channel"] for edge in web["customers"]["edges"]} == {"WEB"}
    assert [edge["node"] for edge in search["customers"]["edges"]] == [
        {"firstName": "Ada", "username": None},
        {"firstName": None, "username": "ada_sms"},
    ]


async def test_customer_by_external_id_finds_only_my_customer(operator, rival, seed):
    async with seed() as uow:
        mine = await make_customer(uow, operator.user, channel=Channel.WEB, external_id="w-1")
        await make_customer(uow, rival.user, channel=Channel.WEB, external_id="w-2")
    query = """query($channel: Channel!, $externalId: String!) {
      customerByExternalId(channel: $channel, externalId: $externalId) { id } }"""

    found = await operator.api.data(query, {"channel": "WEB", "externalId": "w-1"})
    other_channel = await operator.api.data(query, {"channel": "SMS", "externalId": "w-1"})
    foreign = await operator.api.data(query, {"channel": "WEB", "externalId": "w-2"})
    anonymous = await operator.api.query(query, {"channel": "WEB", "externalId": "w-1"}, token="")

    assert found["customerByExternalId"] == {"id": global_id("Customer", mine.id)}
    assert other_channel["customerByExternalId"] is None
    assert foreign["customerByExternalId"] is None
    assert anonymous["data"] is None or anonymous["data"]["customerByExternalId"] is None
    assert refusal(anonymous)[0] == "UNAUTHENTICATED"


async def test_a_customer_lists_its_conversations_and_appointments(operator, seed):
    monday = datetime(2030, 6, 3, 9, tzinfo=UTC)
    async with seed() as uow:
        customer = await make_customer(uow, operator.user)
        other = await make_customer(uow, operator.user)
        await make_conversation(uow, operator.user, customer=customer, title="Hello")
        await make_conversation(uow, operator.user, customer=other, title="Elsewhere")
        await make_appointment(uow, operator.user, customer, monday.replace(hour=11))
        await make_appointment(uow, operator.user, customer, monday.replace(hour=9))
        await make_appointment(uow, operator.user, other, monday.replace(hour=13))

    data = await operator.api.data(
        """query($id: ID!) { node(id: $id) { ... on Customer {
             conversations { totalCount edges { node { title customer { id } } } }
             appointments { totalCount edges { node { startsAt customer { id } } } } } } }""",
        {"id": global_id("Customer", customer.id)},
    )

    me = global_id("Customer", customer.id)
    conversations, appointments = data["node"]["conversations"], data["node"]["appointments"]
    assert conversations["totalCount"] == 1
    assert conversations["edges"][0]["node"] == {"title": "Hello", "customer": {"id": me}}
    assert appointments["totalCount"] == 2
    assert [edge["node"]["startsAt"] for edge in appointments["edges"]] == [
        "2030-06-03T09:00:00+00:00",
        "2030-06-03T11:00:00+00:00",
    ]
    assert {edge["node"]["customer"]["id"] for edge in appointments["edges"]} == {me}
