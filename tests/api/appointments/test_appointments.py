"""Appointments over HTTP: book, reschedule, status changes, lists and free slots.

The operator keeps office hours (9 to 17 UTC every day, hourly slots, no notice)
and the appointments fall on a Monday a few days ahead, well inside the horizon:
the calendar's own rules are tested in test_calendar.py."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from persistence.models import AppointmentStatus, new_id
from tests.api.steps import add_customer, all_week, booked, days_ahead, set_schedule
from tests.api.wire import ERRORS, global_id, refusal, row_id, user_errors
from tests.factories import make_appointment, make_customer, make_persona

OFFICE_HOURS = {"timezone": "UTC", "slotMinutes": 60, "weeklyHours": all_week("09:00", "17:00")}
MONDAY = days_ahead(3, weekday=0)
MONDAY_9 = datetime.combine(MONDAY, time(9), UTC)
APPOINTMENT = """id startsAt endsAt durationMinutes status notes
  customer { id } persona { id }"""
BOOK = f"""mutation($input: BookAppointmentInput!) {{
  bookAppointment(input: $input) {{ appointment {{ {APPOINTMENT} }} {ERRORS} }}
}}"""
RESCHEDULE = f"""mutation($input: RescheduleAppointmentInput!) {{
  rescheduleAppointment(input: $input) {{ appointment {{ {APPOINTMENT} }} {ERRORS} }}
}}"""
STATUS_MUTATIONS = {
    "confirmAppointment": AppointmentStatus.CONFIRMED,
    "completeAppointment": AppointmentStatus.COMPLETED,
    "cancelAppointment": AppointmentStatus.CANCELLED,
}


def status_change(mutation: str) -> str:
    return f"""mutation($id: ID!) {{
      {mutation}(input: {{id: $id}}) {{ appointment {{ id status startsAt }} {ERRORS} }}
    }}"""


def at(hour: int, minute: int = 0) -> str:
    return MONDAY_9.replace(hour=hour, minute=minute).isoformat()


@pytest.fixture
async def operator(operator):
    """The signed-in member, keeping office hours."""
    await set_schedule(operator.api, **OFFICE_HOURS)
    return operator


@pytest.fixture
async def customer(operator, seed):
    async with seed() as uow:
        return await make_customer(uow, operator.user)


async def book(operator, customer_id: UUID, starts_at: str, minutes: int = 30, **fields):
    data = await operator.api.data(
        BOOK,
        {
            "input": {
                "customerId": global_id("Customer", customer_id),
                "startsAt": starts_at,
                "durationMinutes": minutes,
                **fields,
            }
        },
    )
    return data["bookAppointment"]


async def appointment_count(db) -> int:
    async with db.uow() as uow:
        return await uow.appointments.count()


async def test_book_appointment_creates_a_pending_appointment(operator, customer, seed):
    async with seed() as uow:
        persona = await make_persona(uow, operator.user)

    payload = await book(
        operator,
        customer.id,
        f"{MONDAY.isoformat()}T11:00:00+02:00",
        45,
        personaId=global_id("Persona", persona.id),
        notes="first visit",
    )

    assert payload["errors"] == []
    appointment = payload["appointment"]
    assert datetime.fromisoformat(appointment["startsAt"]) == MONDAY_9
    assert datetime.fromisoformat(appointment["endsAt"]) == MONDAY_9.replace(minute=45)
    assert appointment | {"id": None, "startsAt": None, "endsAt": None} == {
        "id": None,
        "startsAt": None,
        "endsAt": None,
        "durationMinutes": 45,
        "status": "PENDING",
        "notes": "first visit",
        "customer": {"id": global_id("Customer", customer.id)},
        "persona": {"id": global_id("Persona", persona.id)},
    }


@pytest.mark.parametrize(
    ("starts_at", "minutes", "fields", "field"),
    [
        (MONDAY_9.isoformat(), 0, {}, "input.durationMinutes"),
        (MONDAY_9.isoformat(), 24 * 60 + 1, {}, "input.durationMinutes"),
        (MONDAY_9.isoformat(), 30, {"notes": "x" * 2001}, "input.notes"),
    ],
)
async def test_book_appointment_refuses_invalid_input(
    operator, customer, db, starts_at, minutes, fields, field
):
    payload = await book(operator, customer.id, starts_at, minutes, **fields)

    assert user_errors(payload) == [("ValidationError", "VALIDATION", field)]
    assert await appointment_count(db) == 0


@pytest.mark.parametrize(
    "starts_at",
    [
        f"{MONDAY.isoformat()}T09:00:00",  # no offset: in which zone?
        "0001-01-01T00:00:00+14:00",  # before the calendar begins, in UTC
        "9999-12-31T23:59:59.999999-14:00",  # after it ends
        "9998-12-31T23:00:00-14:00",  # within the year, but past the end in UTC
        "monday at nine",
    ],
)
async def test_book_appointment_refuses_a_start_the_datetime_scalar_refuses(
    operator, customer, db, starts_at
):
    body = await operator.api.query(
        BOOK,
        {
            "input": {
                "customerId": global_id("Customer", customer.id),
                "startsAt": starts_at,
                "durationMinutes": 30,
            }
        },
    )

    error = body["errors"][0]
    assert body.get("data") is None
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "input.startsAt"}
    assert await appointment_count(db) == 0


async def test_booking_with_a_missing_or_foreign_customer_or_persona_is_not_found(
    operator, rival, customer, seed, db
):
    async with seed() as uow:
        their_customer = await make_customer(uow, rival.user)
        their_persona = await make_persona(uow, rival.user)

    missing = await book(operator, new_id(), at(9))
    foreign = await book(operator, their_customer.id, at(9))
    foreign_persona = await book(
        operator, customer.id, at(9), personaId=global_id("Persona", their_persona.id)
    )

    assert user_errors(missing) == [("NotFoundError", "NOT_FOUND", "input.customerId")]
    assert user_errors(foreign) == [("NotFoundError", "NOT_FOUND", "input.customerId")]
    assert user_errors(foreign_persona) == [("NotFoundError", "NOT_FOUND", "input.personaId")]
    assert await appointment_count(db) == 0


async def test_an_overlapping_booking_is_slot_unavailable_and_adjacent_ones_fit(
    operator, customer, db
):
    await book(operator, customer.id, at(10), 60)

    overlapping = await book(operator, customer.id, at(10, 30), 60)
    before = await book(operator, customer.id, at(9), 60)
    after = await book(operator, customer.id, at(11), 15)

    assert user_errors(overlapping) == [("SlotUnavailable", "SLOT_UNAVAILABLE", "input.startsAt")]
    assert overlapping["appointment"] is None
    assert before["errors"] == after["errors"] == []
    assert await appointment_count(db) == 3


async def test_another_operators_appointment_does_not_take_my_slot(operator, rival, customer):
    await set_schedule(rival.api, **OFFICE_HOURS)
    await booked(rival.api, await add_customer(rival.api), MONDAY_9.replace(hour=10), 60)

    payload = await book(operator, customer.id, at(10), 60)

    assert payload["errors"] == []


async def test_a_cancelled_appointment_frees_its_slot(operator, customer):
    first = await book(operator, customer.id, at(10), 60)
    cancelled = await operator.api.data(
        status_change("cancelAppointment"), {"id": first["appointment"]["id"]}
    )

    again = await book(operator, customer.id, at(10), 60)

    assert cancelled["cancelAppointment"]["appointment"]["status"] == "CANCELLED"
    assert again["errors"] == []


async def test_reschedule_moves_an_appointment_keeping_its_id_and_status(operator, customer):
    booked = (await book(operator, customer.id, at(10), 30))["appointment"]
    await operator.api.data(status_change("confirmAppointment"), {"id": booked["id"]})

    data = await operator.api.data(
        RESCHEDULE, {"input": {"id": booked["id"], "startsAt": at(14), "durationMinutes": 90}}
    )

    moved = data["rescheduleAppointment"]["appointment"]
    assert data["rescheduleAppointment"]["errors"] == []
    assert (moved["id"], moved["status"]) == (booked["id"], "CONFIRMED")
    assert (moved["startsAt"], moved["endsAt"]) == (at(14), at(15, 30))


async def test_rescheduling_onto_another_appointment_is_slot_unavailable(operator, customer, db):
    await book(operator, customer.id, at(10), 60)
    later = (await book(operator, customer.id, at(13), 60))["appointment"]

    data = await operator.api.data(
        RESCHEDULE, {"input": {"id": later["id"], "startsAt": at(10, 30)}}
    )

    assert user_errors(data["rescheduleAppointment"]) == [
        ("SlotUnavailable", "SLOT_UNAVAILABLE", "input.startsAt")
    ]
    async with db.uow() as uow:
        stored = await uow.appointments.get(row_id(later["id"]))
    assert stored.starts_at == MONDAY_9.replace(hour=13)


async def test_reschedule_refuses_invalid_times_missing_ids_and_closed_appointments(
    operator, customer, seed
):
    async with seed() as uow:
        done = await make_appointment(
            uow, operator.user, customer, MONDAY_9, status=AppointmentStatus.COMPLETED
        )
    done_id = global_id("Appointment", done.id)

    async def reschedule(**input_: object) -> dict:
        data = await operator.api.data(RESCHEDULE, {"input": input_})
        return data["rescheduleAppointment"]

    naive = await operator.api.query(
        RESCHEDULE, {"input": {"id": done_id, "startsAt": f"{MONDAY.isoformat()}T12:00:00"}}
    )
    too_long = await reschedule(id=done_id, startsAt=at(12), durationMinutes=-5)
    missing = await reschedule(id=global_id("Appointment", new_id()), startsAt=at(12))
    closed = await reschedule(id=done_id, startsAt=at(12))

    assert naive["errors"][0]["extensions"]["argument"] == "input.startsAt"
    assert user_errors(too_long) == [("ValidationError", "VALIDATION", "input.durationMinutes")]
    assert user_errors(missing) == [("NotFoundError", "NOT_FOUND", "input.id")]
    assert user_errors(closed) == [("InvalidTransition", "INVALID_TRANSITION", None)]
    assert closed["errors"][0]["message"] == "a completed appointment cannot be moved"


@pytest.mark.parametrize(
    ("start", "mutation", "end"),
    [
        (AppointmentStatus.PENDING, "confirmAppointment", "CONFIRMED"),
        (AppointmentStatus.PENDING, "cancelAppointment", "CANCELLED"),
        (AppointmentStatus.CONFIRMED, "completeAppointment", "COMPLETED"),
        (AppointmentStatus.CONFIRMED, "cancelAppointment", "CANCELLED"),
    ],
)
async def test_allowed_status_changes(operator, customer, seed, start, mutation, end):
    async with seed() as uow:
        appointment = await make_appointment(uow, operator.user, customer, MONDAY_9, status=start)

    data = await operator.api.data(
        status_change(mutation), {"id": global_id("Appointment", appointment.id)}
    )

    assert data[mutation]["errors"] == []
    assert data[mutation]["appointment"]["status"] == end


@pytest.mark.parametrize(
    ("start", "mutation"),
    [
        (AppointmentStatus.PENDING, "completeAppointment"),
        (AppointmentStatus.CONFIRMED, "confirmAppointment"),
        (AppointmentStatus.CANCELLED, "confirmAppointment"),
        (AppointmentStatus.CANCELLED, "cancelAppointment"),
        (AppointmentStatus.COMPLETED, "cancelAppointment"),
        (AppointmentStatus.COMPLETED, "completeAppointment"),
    ],
)
async def test_forbidden_status_changes_are_invalid_transitions(
    operator, customer, seed, db, start, mutation
):
    async with seed() as uow:
        appointment = await make_appointment(uow, operator.user, customer, MONDAY_9, status=start)

    data = await operator.api.data(
        status_change(mutation), {"id": global_id("Appointment", appointment.id)}
    )

    assert user_errors(data[mutation]) == [("InvalidTransition", "INVALID_TRANSITION", None)]
    async with db.uow() as uow:
        assert (await uow.appointments.get(appointment.id)).status is start


@pytest.mark.parametrize("mutation", sorted(STATUS_MUTATIONS))
async def test_status_changes_of_missing_or_foreign_appointments_are_not_found(
    operator, rival, seed, mutation
):
    async with seed() as uow:
        their_customer = await make_customer(uow, rival.user)
        theirs = await make_appointment(uow, rival.user, their_customer, MONDAY_9)

    for appointment_id in (
        global_id("Appointment", new_id()),
        global_id("Appointment", theirs.id),
    ):
        data = await operator.api.data(status_change(mutation), {"id": appointment_id})

        assert user_errors(data[mutation]) == [("NotFoundError", "NOT_FOUND", "input.id")]


async def test_appointment_mutations_need_a_token(api, customer):
    unauthenticated = [("Unauthenticated", "UNAUTHENTICATED", None)]
    appointment_id = global_id("Appointment", new_id())

    booked = await api.data(
        BOOK,
        {
            "input": {
                "customerId": global_id("Customer", customer.id),
                "startsAt": at(9),
                "durationMinutes": 30,
            }
        },
    )
    moved = await api.data(RESCHEDULE, {"input": {"id": appointment_id, "startsAt": at(9)}})

    assert user_errors(booked["bookAppointment"]) == unauthenticated
    assert user_errors(moved["rescheduleAppointment"]) == unauthenticated
    for mutation in STATUS_MUTATIONS:
        data = await api.data(status_change(mutation), {"id": appointment_id})
        assert user_errors(data[mutation]) == unauthenticated


async def test_appointments_filter_by_status_time_and_customer(operator, rival, seed):
    async with seed() as uow:
        ada = await make_customer(uow, operator.user)
        bea = await make_customer(uow, operator.user)
        for hour, customer, status in (
            (9, ada, AppointmentStatus.PENDING),
            (10, bea, AppointmentStatus.CONFIRMED),
            (11, ada, AppointmentStatus.CANCELLED),
            (12, ada, AppointmentStatus.CONFIRMED),
        ):
            await make_appointment(
                uow, operator.user, customer, MONDAY_9.replace(hour=hour), status=status
            )
        their_customer = await make_customer(uow, rival.user)
        await make_appointment(uow, rival.user, their_customer, MONDAY_9)
    query = """query($filter: AppointmentFilterInput, $order: AppointmentOrder!) {
      appointments(filter: $filter, orderBy: $order) {
        totalCount edges { node { startsAt } } } }"""

    async def hours(order: str = "STARTS_AT_ASC", **filter_: object) -> list[int]:
        data = await operator.api.data(query, {"filter": filter_, "order": order})
        appointments = data["appointments"]
        assert appointments["totalCount"] == len(appointments["edges"])
        return [datetime.fromisoformat(e["node"]["startsAt"]).hour for e in appointments["edges"]]

    assert await hours() == [9, 10, 11, 12]
    assert await hours("STARTS_AT_DESC") == [12, 11, 10, 9]
    assert await hours(status="CONFIRMED") == [10, 12]
    assert await hours(**{"from": at(10), "to": at(12)}) == [10, 11]
    assert await hours(customerId=global_id("Customer", ada.id)) == [9, 11, 12]


async def test_an_appointment_window_that_ends_before_it_starts_is_a_clear_error(operator):
    body = await operator.api.query(
        "query($f: AppointmentFilterInput) { appointments(filter: $f) { totalCount } }",
        {"f": {"from": at(12), "to": at(10)}},
    )

    assert refusal(body) == ("BAD_USER_INPUT", "`filter.to` must be after `filter.from`")


SLOTS = """query($date: Date!, $minutes: Int!, $tz: String!) {
  availableSlots(date: $date, durationMinutes: $minutes, timezone: $tz) { startsAt endsAt } }"""


async def test_available_slots_step_through_opening_hours_around_busy_times(
    operator, rival, customer, seed
):
    async with seed() as uow:
        await make_appointment(uow, operator.user, customer, MONDAY_9.replace(hour=10), 30)
        await make_appointment(
            uow,
            operator.user,
            customer,
            MONDAY_9.replace(hour=13),
            status=AppointmentStatus.CANCELLED,
        )
        their_customer = await make_customer(uow, rival.user)
        await make_appointment(uow, rival.user, their_customer, MONDAY_9.replace(hour=14), 60)

    data = await operator.api.data(SLOTS, {"date": MONDAY.isoformat(), "minutes": 60, "tz": "UTC"})

    starts = [datetime.fromisoformat(slot["startsAt"]).hour for slot in data["availableSlots"]]
    assert starts == [9, 11, 12, 13, 14, 15, 16]
    assert data["availableSlots"][0] == {"startsAt": at(9), "endsAt": at(10)}


async def test_available_slots_are_local_to_the_schedules_time_zone(operator):
    await set_schedule(
        operator.api, **OFFICE_HOURS | {"timezone": "Europe/Berlin", "slotMinutes": 240}
    )
    berlin = ZoneInfo("Europe/Berlin")

    data = await operator.api.data(
        SLOTS, {"date": MONDAY.isoformat(), "minutes": 240, "tz": "Europe/Berlin"}
    )

    # Nine to five on Berlin's clock, with Berlin's offset on that Monday.
    starts = [datetime.combine(MONDAY, time(hour), berlin) for hour in (9, 13)]
    assert data["availableSlots"] == [
        {"startsAt": start.isoformat(), "endsAt": (start + timedelta(hours=4)).isoformat()}
        for start in starts
    ]


@pytest.mark.parametrize(
    ("minutes", "tz", "argument"),
    [(60, "Mars/Olympus", "timezone"), (0, "UTC", "durationMinutes")],
)
async def test_available_slots_refuse_bad_arguments_clearly(operator, minutes, tz, argument):
    body = await operator.api.query(
        SLOTS, {"date": MONDAY.isoformat(), "minutes": minutes, "tz": tz}
    )

    code, message = refusal(body)
    assert code == "BAD_USER_INPUT"
    assert body["errors"][0]["extensions"]["argument"] == argument
    assert message


async def test_available_slots_need_a_token(api):
    body = await api.query(SLOTS, {"date": MONDAY.isoformat(), "minutes": 60, "tz": "UTC"})

    assert refusal(body)[0] == "UNAUTHENTICATED"


async def test_a_booking_answers_in_utc_whatever_offset_it_was_sent_in(operator, customer):
    payload = await book(operator, customer.id, f"{MONDAY.isoformat()}T12:00:00+02:00", 30)

    read = await operator.api.data(
        "query($id: ID!) { node(id: $id) { ... on Appointment { startsAt endsAt } } }",
        {"id": payload["appointment"]["id"]},
    )

    assert payload["appointment"]["startsAt"] == MONDAY_9.replace(hour=10).isoformat()
    assert payload["appointment"]["endsAt"] == MONDAY_9.replace(hour=10, minute=30).isoformat()
    assert read["node"] == {
        "startsAt": payload["appointment"]["startsAt"],
        "endsAt": payload["appointment"]["endsAt"],
    }
