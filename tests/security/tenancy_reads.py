"""What Alice (A) may read of Bob's (B) rows, field by field: nothing.

Each case reads as given the shared world / when A asks / then B's rows are
absent, while B (or the admin) asking the same shows they exist, so an empty
answer means scoping and not a broken query.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import Api
from tests.security.world import ALICE_AT, BOB_AT, DAY, Tenant, World, missing_like

Case = Callable[[World], Awaitable[None]]

CONNECTION = "totalCount edges { node { id } }"


def ids(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["id"] for edge in connection["edges"]]


def id_set(connection: dict[str, Any]) -> set[str]:
    """The ids of a connection, checked to be all of it and each once."""
    found = ids(connection)
    assert connection["totalCount"] == len(found) == len(set(found)), connection
    return set(found)


async def node(api: Api, global_id: str, selection: str) -> Any:
    query = f"query($id: ID!) {{ node(id: $id) {{ id {selection} }} }}"
    return (await api.data(query, {"id": global_id}))["node"]


# -- root query fields ---------------------------------------------------------


async def node_of_another_tenant_is_null_like_a_missing_id(w: World) -> None:
    query = "query($id: ID!) { node(id: $id) { id } }"
    for foreign in w.b.every_id():
        seen = await w.a.api.query(query, {"id": foreign})
        missing = await w.a.api.query(query, {"id": missing_like(foreign)})
        assert seen == missing == {"data": {"node": None}}, foreign
        assert (await w.b.api.data(query, {"id": foreign}))["node"] == {"id": foreign}


async def nodes_of_another_tenant_are_null_like_missing_ids(w: World) -> None:
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    foreign = w.b.every_id()
    seen = await w.a.api.query(query, {"ids": [*foreign, w.a.persona]})
    missing = await w.a.api.query(query, {"ids": [*map(missing_like, foreign), w.a.persona]})
    assert seen == missing == {"data": {"nodes": [*[None] * len(foreign), {"id": w.a.persona}]}}
    owner = await w.b.api.data(query, {"ids": foreign})
    assert owner["nodes"] == [{"id": id_} for id_ in foreign]


async def users_is_for_admins_only(w: World) -> None:
    query = f"{{ users {{ {CONNECTION} edges {{ node {{ email }} }} }} }}"
    for member in (w.a, w.b):
        body = await member.api.query(query)
        assert body["data"] is None
        assert [error["extensions"]["code"] for error in body["errors"]] == ["FORBIDDEN"]
        assert "@example.com" not in json.dumps(body)
    users = (await w.admin.data(query))["users"]
    assert {w.a.user, w.b.user} < id_set(users) and users["totalCount"] == 3
    emails = {edge["node"]["email"] for edge in users["edges"]}
    assert emails == {"root@example.com", "alice@example.com", "bob@example.com"}


async def personas_lists_and_filters_only_your_own(w: World) -> None:
    query = f"query($f: PersonaFilterInput) {{ personas(filter: $f) {{ {CONNECTION} }} }}"
    assert id_set((await w.a.api.data(query))["personas"]) == w.a.personas
    # "receptionist" is in both tenants' persona names; Bob's name only in his.
    shared = {"nameContains": "receptionist"}
    assert id_set((await w.a.api.data(query, {"f": shared}))["personas"]) == {w.a.persona}
    bobs = {"nameContains": w.b.persona_name}
    assert id_set((await w.a.api.data(query, {"f": bobs}))["personas"]) == set()
    assert id_set((await w.b.api.data(query, {"f": bobs}))["personas"]) == {w.b.persona}


async def customers_lists_and_searches_only_your_own(w: World) -> None:
    query = f"query($f: CustomerFilterInput) {{ customers(filter: $f) {{ {CONNECTION} }} }}"
    assert id_set((await w.a.api.data(query))["customers"]) == w.a.customers
    shared = {"search": "tg-", "channel": "TELEGRAM"}
    assert id_set((await w.a.api.data(query, {"f": shared}))["customers"]) == w.a.customers
    bobs = {"search": w.b.external_id}
    assert id_set((await w.a.api.data(query, {"f": bobs}))["customers"]) == set()
    assert w.b.customer in id_set((await w.b.api.data(query, {"f": bobs}))["customers"])


async def customer_by_external_id_finds_only_your_own(w: World) -> None:
    query = """query($id: String!) {
      customerByExternalId(channel: TELEGRAM, externalId: $id) { id } }"""
    bobs = {"id": w.b.external_id}
    assert (await w.a.api.data(query, bobs))["customerByExternalId"] is None
    assert (await w.b.api.data(query, bobs))["customerByExternalId"] == {"id": w.b.customer}
    alices = {"id": w.a.external_id}
    assert (await w.a.api.data(query, alices))["customerByExternalId"] == {"id": w.a.customer}


async def conversations_lists_and_filters_only_your_own(w: World) -> None:
    query = f"""query($f: ConversationFilterInput) {{
      conversations(filter: $f) {{ {CONNECTION} }} }}"""

    async def seen_by(api: Api, **filter_: str) -> set[str]:
        return id_set((await api.data(query, {"f": filter_ or None}))["conversations"])

    assert await seen_by(w.a.api) == w.a.conversations
    # Filtering by Bob's ids answers exactly as filtering by ids that name nothing.
    for field, bobs in (("personaId", w.b.persona), ("customerId", w.b.customer)):
        foreign = await w.a.api.query(query, {"f": {field: bobs}})
        missing = await w.a.api.query(query, {"f": {field: missing_like(bobs)}})
        assert foreign == missing
        assert foreign["data"]["conversations"]["totalCount"] == 0
        assert await seen_by(w.b.api, **{field: bobs}) == {w.b.conversation}
    # Bob's stray conversation points at Alice's persona; she still sees only hers.
    assert await seen_by(w.a.api, personaId=w.a.persona) == {w.a.conversation}
    assert await seen_by(w.b.api, personaId=w.a.persona) == {w.b.stray_conversation}


async def appointments_lists_and_filters_only_your_own(w: World) -> None:
    query = f"""query($f: AppointmentFilterInput) {{
      appointments(filter: $f) {{ {CONNECTION} }} }}"""

    async def seen_by(api: Api, **filter_: str) -> set[str]:
        return id_set((await api.data(query, {"f": filter_ or None}))["appointments"])

    assert await seen_by(w.a.api) == w.a.appointments
    day = {"from": DAY.isoformat(), "to": DAY.replace(hour=23).isoformat()}
    assert await seen_by(w.a.api, **day) == {w.a.appointment}
    foreign = await w.a.api.query(query, {"f": {"customerId": w.b.customer}})
    missing = await w.a.api.query(query, {"f": {"customerId": missing_like(w.b.customer)}})
    assert foreign == missing
    assert foreign["data"]["appointments"]["totalCount"] == 0
    assert await seen_by(w.b.api, customerId=w.b.customer) == {w.b.appointment}
    # Bob's stray appointment is with Alice's customer; she still sees only hers.
    assert await seen_by(w.a.api, customerId=w.a.customer) == {w.a.appointment}
    assert await seen_by(w.b.api, customerId=w.a.customer) == {w.b.stray_appointment}


async def files_lists_only_your_own(w: World) -> None:
    query = f"{{ files {{ {CONNECTION} }} }}"
    assert id_set((await w.a.api.data(query))["files"]) == {w.a.file}
    assert id_set((await w.b.api.data(query))["files"]) == {w.b.file}


async def available_slots_ignore_other_tenants_appointments(w: World) -> None:
    query = """query($date: Date!) {
      availableSlots(date: $date, durationMinutes: 60) { startsAt } }"""

    async def starts(api: Api) -> set[datetime]:
        slots = (await api.data(query, {"date": DAY.date().isoformat()}))["availableSlots"]
        return {datetime.fromisoformat(slot["startsAt"]) for slot in slots}

    alices, bobs = await starts(w.a.api), await starts(w.b.api)
    assert BOB_AT in alices and ALICE_AT not in alices
    assert ALICE_AT in bobs and BOB_AT not in bobs


SCHEDULE = """{ schedule { timezone slotMinutes bufferMinutes minimumNoticeMinutes
  horizonDays isDefault weeklyHours { weekday opens closes }
  exceptions { date closed note hours { opens closes } } } }"""


def saved_schedule(tenant: Tenant) -> dict[str, Any]:
    """The schedule as ``SCHEDULE`` reads it back after the world saved it."""
    return {
        **{key: value for key, value in tenant.schedule.items() if key != "weeklyHours"},
        "isDefault": False,
        "weeklyHours": tenant.schedule["weeklyHours"],
        "exceptions": [
            {
                "date": tenant.closed_on,
                "closed": True,
                "note": f"{tenant.name}'s day off",
                "hours": [],
            }
        ],
    }


async def schedule_is_the_callers_own(w: World) -> None:
    assert (await w.a.api.data(SCHEDULE))["schedule"] == saved_schedule(w.a)
    assert (await w.b.api.data(SCHEDULE))["schedule"] == saved_schedule(w.b)
    # An admin sees every row, but "your schedule" is still their own: the default.
    admins = (await w.admin.data(SCHEDULE))["schedule"]
    assert admins["isDefault"] is True and admins["exceptions"] == []


async def available_slots_range_follows_only_your_own_calendar(w: World) -> None:
    query = """query($from: Date!, $to: Date!, $personaId: ID) {
      availableSlotsRange(from: $from, to: $to, durationMinutes: 60, personaId: $personaId) {
        date slots { startsAt } } }"""
    week = {"from": DAY.date().isoformat(), "to": (DAY + timedelta(days=6)).date().isoformat()}

    async def starts(api: Api, **arguments: str) -> dict[str, set[datetime]]:
        days = (await api.data(query, {**week, **arguments}))["availableSlotsRange"]
        return {
            day["date"]: {datetime.fromisoformat(slot["startsAt"]) for slot in day["slots"]}
            for day in days
        }

    alices, bobs = await starts(w.a.api), await starts(w.b.api)
    monday, saturday = DAY.date().isoformat(), (DAY + timedelta(days=5)).date().isoformat()
    # Each is kept from only their own appointment...
    assert BOB_AT in alices[monday] and ALICE_AT not in alices[monday]
    assert ALICE_AT in bobs[monday] and BOB_AT not in bobs[monday]
    # ...closed only on their own day off, and open only in their own hours.
    assert alices[w.a.closed_on] == set() and alices[w.b.closed_on] != set()
    assert bobs[w.b.closed_on] == set() and bobs[w.a.closed_on] != set()
    assert alices[saturday] == set()
    assert bobs[saturday] == {DAY + timedelta(days=5, hours=hour) for hour in (10, 11)}
    # Bob's persona shows Alice nothing of his calendar: refused like a missing id.
    foreign = await w.a.api.query(query, {**week, "personaId": w.b.persona})
    missing = await w.a.api.query(query, {**week, "personaId": missing_like(w.b.persona)})
    assert foreign == missing and foreign["data"] is None
    assert [error["extensions"]["code"] for error in foreign["errors"]] == ["BAD_USER_INPUT"]
    # Through her own persona she sees her own calendar.
    assert await starts(w.a.api, personaId=w.a.persona) == alices


USAGE = """query($f: UsageFilterInput!, $by: UsageGroupBy!) { usage(filter: $f, groupBy: $by) {
  key messages { user assistant total } conversationsStarted
  appointments { pending total } activeCustomers } }"""


def usage_range() -> dict[str, str]:
    """Local dates from yesterday (the world's messages) to a week after its day."""
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    return {"from": yesterday.isoformat(), "to": (DAY + timedelta(days=7)).date().isoformat()}


def totals(buckets: list[dict[str, Any]]) -> dict[str, int]:
    return {
        "messages": sum(bucket["messages"]["total"] for bucket in buckets),
        "conversations": sum(bucket["conversationsStarted"] for bucket in buckets),
        "appointments": sum(bucket["appointments"]["total"] for bucket in buckets),
    }


async def usage_counts_only_your_own_activity(w: World) -> None:
    async def usage(api: Api, by: str, **filter_: str) -> list[dict[str, Any]]:
        return (await api.data(USAGE, {"f": {**usage_range(), **filter_}, "by": by}))["usage"]

    # Each tenant: two messages, the conversation and the stray one, the
    # appointment and the stray one; the admin counts both tenants.
    own = {"messages": 2, "conversations": 2, "appointments": 2}
    for by in ("DAY", "WEEK", "MONTH", "PERSONA", "CHANNEL"):
        assert totals(await usage(w.a.api, by)) == own, by
        assert totals(await usage(w.b.api, by)) == own, by
        assert totals(await usage(w.admin, by)) == {key: 2 * n for key, n in own.items()}, by
    days = {bucket["key"]: bucket for bucket in await usage(w.a.api, "DAY")}
    assert days[DAY.date().isoformat()]["appointments"] == {"pending": 1, "total": 1}
    # Alice's stray rows point at Bob's spare persona and customer (on WEB): her
    # buckets name only her own personas, and count nothing under Bob's channel.
    personas = {bucket["key"] for bucket in await usage(w.a.api, "PERSONA")}
    assert personas <= w.a.personas | {None} and w.a.persona in personas
    channels = {bucket["key"]: totals([bucket]) for bucket in await usage(w.a.api, "CHANNEL")}
    assert channels["web"] == dict.fromkeys(own, 0)
    assert channels["telegram"] == {"messages": 2, "conversations": 1, "appointments": 1}
    # Filtering by Bob's persona or customer counts what an id naming nothing counts.
    for field, bobs in (
        ("personaId", w.b.persona),
        ("personaId", w.b.spare_persona),
        ("customerId", w.b.customer),
        ("customerId", w.b.spare_customer),
    ):
        foreign = await w.a.api.query(USAGE, {"f": {**usage_range(), field: bobs}, "by": "DAY"})
        missing = await w.a.api.query(
            USAGE, {"f": {**usage_range(), field: missing_like(bobs)}, "by": "DAY"}
        )
        assert foreign == missing
        assert totals(foreign["data"]["usage"]) == dict.fromkeys(own, 0)
    for field, bobs in (("personaId", w.b.persona), ("customerId", w.b.customer)):
        assert totals(await usage(w.b.api, "DAY", **{field: bobs}))["messages"] == 2


async def upcoming_appointments_are_your_own(w: World) -> None:
    query = f"{{ upcomingAppointments(withinHours: 744) {{ {CONNECTION} }} }}"
    assert id_set((await w.a.api.data(query))["upcomingAppointments"]) == w.a.appointments
    assert id_set((await w.b.api.data(query))["upcomingAppointments"]) == w.b.appointments


async def export_customer_data_is_null_for_another_tenants_customer(w: World) -> None:
    query = "query($id: ID!) { exportCustomerData(customerId: $id) }"
    for foreign in (w.b.customer, w.b.spare_customer):
        seen = await w.a.api.query(query, {"id": foreign})
        missing = await w.a.api.query(query, {"id": missing_like(foreign)})
        assert seen == missing == {"data": {"exportCustomerData": None}}
    own = (await w.a.api.data(query, {"id": w.a.customer}))["exportCustomerData"]
    (conversation,) = own["conversations"]
    assert [m["content"] for m in conversation["memories"]] == ["alice's client likes tea"]
    # Bob's stray conversation with Alice's customer is Bob's: not in Alice's export.
    assert {c["owner_id"] for c in own["conversations"]} == {str(w.a.user_id)}


QUERY_CASES: dict[str, Case] = {
    "node": node_of_another_tenant_is_null_like_a_missing_id,
    "nodes": nodes_of_another_tenant_are_null_like_missing_ids,
    "users": users_is_for_admins_only,
    "personas": personas_lists_and_filters_only_your_own,
    "customers": customers_lists_and_searches_only_your_own,
    "customerByExternalId": customer_by_external_id_finds_only_your_own,
    "conversations": conversations_lists_and_filters_only_your_own,
    "appointments": appointments_lists_and_filters_only_your_own,
    "files": files_lists_only_your_own,
    "availableSlots": available_slots_ignore_other_tenants_appointments,
    "availableSlotsRange": available_slots_range_follows_only_your_own_calendar,
    "schedule": schedule_is_the_callers_own,
    "usage": usage_counts_only_your_own_activity,
    "upcomingAppointments": upcoming_appointments_are_your_own,
    "exportCustomerData": export_customer_data_is_null_for_another_tenants_customer,
}
