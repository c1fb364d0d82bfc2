"""The appointment lifecycle over HTTP on both backends: every allowed and every
refused transition, history kept across a reschedule, the reschedule race, and
upcoming appointments for reminders."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from tests.api.steps import ERRORS, add_customer, booked, days_ahead, set_schedule

STATUS_MUTATIONS = {
    "confirmed": "confirmAppointment",
    "completed": "completeAppointment",
    "cancelled": "cancelAppointment",
}
ALLOWED = {("pending", "confirmed"), ("pending", "cancelled"),
           ("confirmed", "completed"), ("confirmed", "cancelled")}  # fmt: skip
PATHS = {"pending": [], "confirmed": ["confirmed"], "completed": ["confirmed", "completed"],
         "cancelled": ["cancelled"]}  # fmt: skip
EVERY_PAIR = [(a, b) for a in PATHS for b in STATUS_MUTATIONS if a != b or a == "cancelled"]


async def change(member, appointment_id: str, status: str) -> dict:
    name = STATUS_MUTATIONS[status]
    data = await member.data(
        f"""mutation($id: ID!) {{ {name}(input: {{id: $id}}) {{
              appointment {{ id status }} {ERRORS} }} }}""",
        {"id": appointment_id},
    )
    return data[name]


async def reschedule(member, appointment_id: str, starts_at: datetime) -> dict:
    data = await member.data(
        f"""mutation($input: RescheduleAppointmentInput!) {{
              rescheduleAppointment(input: $input) {{ appointment {{ id startsAt status }}
              {ERRORS} }} }}""",
        {"input": {"id": appointment_id, "startsAt": starts_at.isoformat()}},
    )
    return data["rescheduleAppointment"]


async def given_an_appointment(api, status: str = "pending", name: str = "ada"):
    ada = api.as_(await api.sign_up(name))
    await set_schedule(ada)
    customer = await add_customer(ada)
    day = days_ahead(3)
    starts_at = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    appointment = await booked(ada, customer, starts_at)
    for step in PATHS[status]:
        assert (await change(ada, appointment, step))["errors"] == []
    return ada, customer, appointment, starts_at


@pytest.mark.parametrize(("start", "target"), EVERY_PAIR, ids=lambda s: s)
async def test_each_transition_is_allowed_or_refused_as_an_invalid_transition(api, start, target):
    ada, _, appointment, _ = await given_an_appointment(api, start)

    result = await change(ada, appointment, target)

    if (start, target) in ALLOWED:
        assert result["errors"] == []
        assert result["appointment"]["status"] == target.upper()
    else:
        assert [e["__typename"] for e in result["errors"]] == ["InvalidTransition"]
        assert result["appointment"] is None
        status = await ada.data(
            "query($id: ID!) { node(id: $id) { ... on Appointment { status } } }",
            {"id": appointment},
        )
        assert status["node"]["status"] == start.upper()


@pytest.mark.parametrize("status", ["cancelled", "completed"])
async def test_finished_appointments_cannot_be_rescheduled(api, status):
    ada, _, appointment, starts_at = await given_an_appointment(api, status)

    result = await reschedule(ada, appointment, starts_at + timedelta(hours=2))

    assert [e["__typename"] for e in result["errors"]] == ["InvalidTransition"]


async def test_a_reschedule_keeps_the_id_status_and_history(api):
    ada, _, appointment, starts_at = await given_an_appointment(api, "confirmed")
    later = starts_at + timedelta(hours=3)

    result = await reschedule(ada, appointment, later)
    history = await ada.data(
        """query($id: ID!) { node(id: $id) { ... on Appointment {
             id status startsAt history { change status startsAt previousStartsAt } } } }""",
        {"id": appointment},
    )

    assert result["errors"] == []
    node = history["node"]
    assert (node["id"], node["status"]) == (appointment, "CONFIRMED")
    assert datetime.fromisoformat(node["startsAt"]) == later
    assert [(e["change"], e["status"]) for e in node["history"]] == [
        ("BOOKED", "PENDING"),
        ("CONFIRMED", "CONFIRMED"),
        ("RESCHEDULED", "CONFIRMED"),
    ]
    moved = node["history"][-1]
    assert datetime.fromisoformat(moved["previousStartsAt"]) == starts_at
    assert datetime.fromisoformat(moved["startsAt"]) == later


async def test_two_parallel_reschedules_into_one_slot_let_exactly_one_win(api):
    ada, customer, first, starts_at = await given_an_appointment(api)
    second = await booked(ada, customer, starts_at + timedelta(hours=1))
    target = starts_at + timedelta(hours=4)

    results = await asyncio.gather(reschedule(ada, first, target), reschedule(ada, second, target))

    outcomes = sorted("won" if r["errors"] == [] else r["errors"][0]["__typename"] for r in results)
    assert outcomes == ["SlotUnavailable", "won"]
    listed = await ada.data("{ appointments { edges { node { id startsAt } } } }")
    starts = sorted(
        datetime.fromisoformat(e["node"]["startsAt"]) for e in listed["appointments"]["edges"]
    )
    # The loser stays where it was.
    assert target in starts and len(starts) == 2
    assert starts_at in starts or starts_at + timedelta(hours=1) in starts


UPCOMING = """query($hours: Int!) { upcomingAppointments(withinHours: $hours) {
  totalCount edges { node { status startsAt } } } }"""


async def test_upcoming_appointments_are_the_active_ones_of_the_next_hours(api):
    ada = api.as_(await api.sign_up("ada"))
    bob = api.as_(await api.sign_up("bob"))
    for member in (ada, bob):
        await set_schedule(member)
    customer = await add_customer(ada)
    soon = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=2)
    await booked(ada, customer, soon)
    cancelled = await booked(ada, customer, soon + timedelta(hours=1))
    await change(ada, cancelled, "cancelled")
    await booked(ada, customer, soon + timedelta(hours=30))  # beyond 24 hours
    await booked(bob, await add_customer(bob), soon)  # someone else's

    upcoming = (await ada.data(UPCOMING, {"hours": 24}))["upcomingAppointments"]
    wider = (await ada.data(UPCOMING, {"hours": 48}))["upcomingAppointments"]

    assert upcoming["totalCount"] == 1
    assert datetime.fromisoformat(upcoming["edges"][0]["node"]["startsAt"]) == soon
    assert wider["totalCount"] == 2


async def test_upcoming_appointments_can_be_paged_with_their_cursors(api):
    ada = api.as_(await api.sign_up("ada"))
    await set_schedule(ada)
    customer = await add_customer(ada)
    soon = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(hours=2)
    for hour in range(3):
        await booked(ada, customer, soon + timedelta(hours=hour))
    page = """query($after: String) { upcomingAppointments(withinHours: 24, first: 1,
      after: $after) { edges { node { startsAt } } pageInfo { hasNextPage endCursor } } }"""

    seen, after = [], None
    for _ in range(3):
        data = (await ada.data(page, {"after": after}))["upcomingAppointments"]
        seen += [datetime.fromisoformat(e["node"]["startsAt"]) for e in data["edges"]]
        after = data["pageInfo"]["endCursor"]

    assert seen == [soon + timedelta(hours=hour) for hour in range(3)]
    assert data["pageInfo"]["hasNextPage"] is False


async def test_upcoming_hours_are_bounded(api):
    ada = api.as_(await api.sign_up("ada"))

    body = await ada.query(UPCOMING, {"hours": 0})

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
