"""The calendar over HTTP on both backends: schedules and their typed errors,
exceptions, free slots across DST changes and odd offsets, buffers, notice,
horizon, week views in a fixed number of statements, and booking hours."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.api.steps import (
    ERRORS,
    SCHEDULE_FIELDS,
    add_customer,
    all_week,
    book,
    booked,
    clock,
    days_ahead,
    next_dst_change,
    set_schedule,
    slots,
    update_schedule,
)

BERLIN = ZoneInfo("Europe/Berlin")


async def member(api, name: str = "ada"):
    return api.as_(await api.sign_up(name))


async def test_an_owner_without_a_schedule_gets_weekdays_nine_to_five_utc(api):
    ada = await member(api)

    schedule = (await ada.data(f"{{ schedule {{ {SCHEDULE_FIELDS} }} }}"))["schedule"]
    monday = await slots(ada, days_ahead(2, weekday=0), 60)
    sunday = await slots(ada, days_ahead(2, weekday=6), 60)

    assert schedule["isDefault"] is True
    assert schedule["timezone"] == "UTC"
    assert [h["weekday"] for h in schedule["weeklyHours"]] == [
        "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY",
    ]  # fmt: skip
    assert [clock(s) for s in monday][::2] == ["09:00", "10:00", "11:00", "12:00", "13:00",
                                               "14:00", "15:00", "16:00"]  # fmt: skip
    assert sunday == []


async def test_update_schedule_stores_it_and_slots_follow_it(api):
    ada = await member(api)

    schedule = await set_schedule(
        ada,
        timezone="Europe/Berlin",
        slotMinutes=60,
        weeklyHours=[
            {"weekday": "MONDAY", "opens": "13:00", "closes": "15:00"},
            {"weekday": "MONDAY", "opens": "09:00", "closes": "11:00"},
        ],
    )
    monday = days_ahead(2, weekday=0)
    offered = await slots(ada, monday, 60)

    assert schedule["isDefault"] is False
    assert schedule["slotMinutes"] == 60
    assert [clock(s) for s in offered] == ["09:00", "10:00", "13:00", "14:00"]
    assert offered[0][-6:] in ("+01:00", "+02:00")  # Berlin's offset on that date
    assert await slots(ada, monday + timedelta(days=1), 60) == []


async def test_a_partial_update_changes_only_what_it_names(api):
    ada = await member(api)
    await set_schedule(ada, timezone="Asia/Kolkata", bufferMinutes=5)

    schedule = (await update_schedule(ada, horizonDays=30))["schedule"]

    assert (schedule["timezone"], schedule["bufferMinutes"], schedule["horizonDays"]) == (
        "Asia/Kolkata",
        5,
        30,
    )
    assert len(schedule["weeklyHours"]) == 7


@pytest.mark.parametrize(
    ("input", "typename", "field"),
    [
        pytest.param({"timezone": "Mars/Olympus"}, "UnknownTimeZone", "input.timezone", id="zone"),
        pytest.param(
            {
                "weeklyHours": [
                    {"weekday": "MONDAY", "opens": "09:00", "closes": "17:00"},
                    {"weekday": "TUESDAY", "opens": "12:00", "closes": "10:00"},
                ]
            },
            "EndBeforeStart",
            "input.weeklyHours[1]",
            id="end-before-start",
        ),
        pytest.param(
            {
                "weeklyHours": [
                    {"weekday": "MONDAY", "opens": "09:00", "closes": "12:00"},
                    {"weekday": "TUESDAY", "opens": "09:00", "closes": "12:00"},
                    {"weekday": "MONDAY", "opens": "11:00", "closes": "13:00"},
                ]
            },
            "OverlappingIntervals",
            "input.weeklyHours[2]",
            id="overlap",
        ),
        pytest.param(
            {"weeklyHours": [{"weekday": "MONDAY", "opens": "9am", "closes": "12:00"}]},
            "ValidationError",
            "input.weeklyHours[0]",
            id="format",
        ),
        pytest.param({"slotMinutes": 2}, "ValidationError", "input.slotMinutes", id="slot"),
    ],
)
async def test_an_invalid_schedule_is_refused_with_a_typed_error_and_nothing_stored(
    api, input, typename, field
):
    ada = await member(api)

    result = await update_schedule(ada, bufferMinutes=10, **input)
    schedule = (await ada.data("{ schedule { isDefault bufferMinutes } }"))["schedule"]

    assert [(e["__typename"], e["field"]) for e in result["errors"]] == [(typename, field)]
    assert result["schedule"] is None
    assert schedule == {"isDefault": True, "bufferMinutes": 0}


async def test_every_problem_of_a_schedule_is_reported_at_once(api):
    ada = await member(api)

    result = await update_schedule(
        ada,
        timezone="Europe/Berlln",
        horizonDays=0,
        weeklyHours=[
            {"weekday": "MONDAY", "opens": "09:00", "closes": "12:00"},
            {"weekday": "MONDAY", "opens": "11:00", "closes": "13:00"},
        ],
    )

    assert [(e["__typename"], e["field"]) for e in result["errors"]] == [
        ("UnknownTimeZone", "input.timezone"),
        ("ValidationError", "input.horizonDays"),
        ("OverlappingIntervals", "input.weeklyHours[1]"),
    ]


async def set_exception(ada, **input):
    data = await ada.data(
        f"""mutation($input: SetScheduleExceptionInput!) {{
              setScheduleException(input: $input) {{
                exception {{ date closed note hours {{ opens closes }} }} {ERRORS} }} }}""",
        {"input": input},
    )
    return data["setScheduleException"]


async def test_exceptions_close_a_date_give_it_special_hours_or_are_removed(api):
    ada = await member(api)
    await set_schedule(ada, timezone="Europe/Berlin", weeklyHours=all_week("09:00", "11:00"))
    closed, special = days_ahead(3), days_ahead(4)

    first = await set_exception(ada, date=closed.isoformat(), closed=True, note="Holiday")
    second = await set_exception(
        ada, date=special.isoformat(), hours=[{"opens": "15:00", "closes": "16:00"}]
    )

    assert first["exception"] == {
        "date": closed.isoformat(), "closed": True, "note": "Holiday", "hours": [],
    }  # fmt: skip
    assert second["errors"] == []
    assert await slots(ada, closed) == []
    assert [clock(s) for s in await slots(ada, special)] == ["15:00", "15:30"]
    schedule = (await ada.data("{ schedule { exceptions { date closed } } }"))["schedule"]
    assert [e["date"] for e in schedule["exceptions"]] == [closed.isoformat(), special.isoformat()]

    removed = await set_exception(ada, date=closed.isoformat())

    assert removed == {"exception": None, "errors": []}
    assert len(await slots(ada, closed)) == 4


async def test_exception_hours_are_checked_like_weekly_hours(api):
    ada = await member(api)

    result = await set_exception(
        ada,
        date=days_ahead(3).isoformat(),
        hours=[{"opens": "10:00", "closes": "12:00"}, {"opens": "11:00", "closes": "09:00"}],
    )

    assert [(e["__typename"], e["field"]) for e in result["errors"]] == [
        ("EndBeforeStart", "input.hours[1]")
    ]


async def test_the_spring_forward_day_has_no_slots_in_the_skipped_hour(api):
    ada = await member(api)
    await set_schedule(ada, timezone="Europe/Berlin", weeklyHours=all_week("00:00", "06:00"))
    day = next_dst_change("Europe/Berlin", forward=True)

    offered = await slots(ada, day)

    assert [clock(s) for s in offered] == [
        "00:00", "00:30", "01:00", "01:30", "03:00", "03:30", "04:00", "04:30", "05:00", "05:30",
    ]  # fmt: skip
    assert offered[3].endswith("+01:00") and offered[4].endswith("+02:00")


async def test_the_fall_back_day_offers_the_repeated_hour_once(api):
    ada = await member(api)
    await set_schedule(ada, timezone="Europe/Berlin", weeklyHours=all_week("00:00", "06:00"))
    day = next_dst_change("Europe/Berlin", forward=False)

    offered = await slots(ada, day)

    assert [clock(s) for s in offered] == [f"{h:02d}:{m:02d}" for h in range(6) for m in (0, 30)]
    assert offered[4] == f"{day.isoformat()}T02:00:00+02:00"


@pytest.mark.parametrize(
    ("timezone", "offset"), [("Asia/Kathmandu", "+05:45"), ("Asia/Kolkata", "+05:30")]
)
async def test_slots_in_zones_with_odd_offsets(api, timezone, offset):
    ada = await member(api)
    await set_schedule(ada, timezone=timezone, weeklyHours=all_week("09:00", "10:00"))
    day = days_ahead(3)

    local = await slots(ada, day)
    in_utc = await slots(ada, day, timezone="UTC")

    assert local == [f"{day.isoformat()}T09:00:00{offset}", f"{day.isoformat()}T09:30:00{offset}"]
    minutes = 5 * 60 + int(offset[-2:])
    first_utc = datetime.fromisoformat(local[0]) - timedelta(minutes=minutes)
    assert in_utc[0] == first_utc.replace(tzinfo=None).isoformat() + "+00:00"


async def test_buffers_keep_slots_away_from_booked_appointments(api):
    ada = await member(api)
    await set_schedule(
        ada, timezone="Europe/Berlin", weeklyHours=all_week("09:00", "12:00"), bufferMinutes=15
    )
    customer = await add_customer(ada)
    day = days_ahead(3)
    await booked(ada, customer, datetime(day.year, day.month, day.day, 10, tzinfo=BERLIN))

    offered = await slots(ada, day)

    assert [clock(s) for s in offered] == ["09:00", "11:00", "11:30"]


async def test_minimum_notice_and_horizon_bound_the_offered_days(api):
    ada = await member(api)
    await set_schedule(ada, minimumNoticeMinutes=4 * 24 * 60, horizonDays=10)

    assert await slots(ada, days_ahead(2)) == []  # needs four days' notice
    assert len(await slots(ada, days_ahead(6))) == 48
    assert await slots(ada, days_ahead(12)) == []  # beyond the ten-day horizon


RANGE = """query($from: Date!, $to: Date!) {
  availableSlotsRange(from: $from, to: $to, durationMinutes: 30) { date slots { startsAt } } }"""


async def test_a_week_view_costs_the_same_statements_as_a_day(api, db):
    ada = await member(api)
    await set_schedule(ada, timezone="Europe/Berlin", weeklyHours=all_week("09:00", "10:00"))
    customer = await add_customer(ada)
    start = days_ahead(3)
    for n in range(0, 14, 2):
        day = start + timedelta(days=n)
        await booked(ada, customer, datetime(day.year, day.month, day.day, 9, tzinfo=BERLIN))
    await ada.data(
        """mutation($d: Date!) { setScheduleException(input: {date: $d, closed: true}) {
             errors { message } } }""",
        {"d": (start + timedelta(days=1)).isoformat()},
    )

    with db.statements() as one_day:
        day_view = await ada.data(RANGE, {"from": start.isoformat(), "to": start.isoformat()})
    with db.statements() as two_weeks:
        week_view = await ada.data(
            RANGE, {"from": start.isoformat(), "to": (start + timedelta(days=13)).isoformat()}
        )

    assert two_weeks.count == one_day.count <= 5
    days = week_view["availableSlotsRange"]
    assert [d["date"] for d in days][:2] == [start.isoformat(), (start + timedelta(1)).isoformat()]
    assert [len(d["slots"]) for d in days] == [1, 0] + [1, 2] * 6  # booked on even days
    assert day_view["availableSlotsRange"][0] == days[0]


async def test_slots_of_a_persona_follow_its_owners_calendar(api):
    ada, bob = await member(api, "ada"), await member(api, "bob")
    await set_schedule(ada, weeklyHours=all_week("09:00", "10:00"))
    created = await ada.data(
        'mutation { createPersona(input: {name: "Ada", systemPrompt: "Hi"}) { persona { id } } }'
    )
    persona = created["createPersona"]["persona"]["id"]

    mine = await slots(ada, days_ahead(3), personaId=persona)
    body = await bob.query(
        "query($p: ID!, $d: Date!) { availableSlots(date: $d, durationMinutes: 30, personaId: $p)"
        " { startsAt } }",
        {"p": persona, "d": days_ahead(3).isoformat()},
    )

    assert len(mine) == 2
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_booking_outside_opening_hours_is_a_typed_error(api):
    ada = await member(api)
    await set_schedule(ada, timezone="Asia/Kathmandu", weeklyHours=all_week("09:00", "17:00"))
    customer = await add_customer(ada)
    day = days_ahead(3)
    kathmandu = ZoneInfo("Asia/Kathmandu")

    early = await book(
        ada, customer, datetime(day.year, day.month, day.day, 8, 45, tzinfo=kathmandu)
    )
    overhanging = await book(
        ada, customer, datetime(day.year, day.month, day.day, 16, 45, tzinfo=kathmandu)
    )
    fine = await book(ada, customer, datetime(day.year, day.month, day.day, 9, tzinfo=kathmandu))

    assert [(e["__typename"], e["field"]) for e in early["errors"]] == [
        ("OutsideOpeningHours", "input.startsAt")
    ]
    assert overhanging["errors"][0]["__typename"] == "OutsideOpeningHours"
    assert fine["errors"] == []
    starts_at = datetime.fromisoformat(fine["appointment"]["startsAt"])
    assert starts_at == datetime(day.year, day.month, day.day, 3, 15, tzinfo=ZoneInfo("UTC"))


async def test_booking_within_the_notice_or_a_buffer_is_refused(api):
    ada = await member(api)
    await set_schedule(ada, minimumNoticeMinutes=48 * 60, bufferMinutes=30)
    customer = await add_customer(ada)
    day = days_ahead(4)
    ten = datetime(day.year, day.month, day.day, 10, tzinfo=ZoneInfo("UTC"))
    await booked(ada, customer, ten)

    too_soon = await book(ada, customer, datetime.now(ZoneInfo("UTC")) + timedelta(hours=2))
    too_close = await book(ada, customer, ten + timedelta(minutes=45))

    assert too_soon["errors"][0]["__typename"] == "ValidationError"
    assert "notice" in too_soon["errors"][0]["message"]
    assert too_close["errors"][0]["__typename"] == "SlotUnavailable"
