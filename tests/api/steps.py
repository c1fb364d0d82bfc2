"""GraphQL steps the calendar tests share: set a schedule, add a customer, book."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

SCHEDULE_FIELDS = """timezone slotMinutes bufferMinutes minimumNoticeMinutes horizonDays
    isDefault weeklyHours { weekday opens closes }
    exceptions { date closed note hours { opens closes } }"""
ERRORS = "errors { __typename code message field }"
APPOINTMENT_FIELDS = "id status startsAt endsAt durationMinutes"
WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")


def all_week(opens: str, closes: str) -> list[dict[str, str]]:
    return [{"weekday": day, "opens": opens, "closes": closes} for day in WEEKDAYS]


async def update_schedule(member, **input: Any) -> dict[str, Any]:
    data = await member.data(
        f"""mutation($input: UpdateScheduleInput!) {{
              updateSchedule(input: $input) {{ schedule {{ {SCHEDULE_FIELDS} }} {ERRORS} }} }}""",
        {"input": input},
    )
    return data["updateSchedule"]


async def set_schedule(member, **input: Any) -> dict[str, Any]:
    """Store a schedule (open every day all day, no notice, by default) or fail the test."""
    input.setdefault("weeklyHours", all_week("00:00", "24:00"))
    input.setdefault("minimumNoticeMinutes", 0)
    input.setdefault("horizonDays", 730)
    result = await update_schedule(member, **input)
    assert result["errors"] == [], result
    return result["schedule"]


async def add_customer(member, external_id: str = "tg-1") -> str:
    data = await member.data(
        """mutation($input: UpsertCustomerInput!) {
             upsertCustomer(input: $input) { customer { id } errors { message } } }""",
        {"input": {"channel": "TELEGRAM", "externalId": external_id}},
    )
    return data["upsertCustomer"]["customer"]["id"]


async def book(member, customer_id: str, starts_at: datetime, minutes: int = 30) -> dict[str, Any]:
    data = await member.data(
        f"""mutation($input: BookAppointmentInput!) {{
              bookAppointment(input: $input) {{
                appointment {{ {APPOINTMENT_FIELDS} }} {ERRORS} }} }}""",
        {
            "input": {
                "customerId": customer_id,
                "startsAt": starts_at.isoformat(),
                "durationMinutes": minutes,
            }
        },
    )
    return data["bookAppointment"]


async def booked(member, customer_id: str, starts_at: datetime, minutes: int = 30) -> str:
    result = await book(member, customer_id, starts_at, minutes)
    assert result["errors"] == [], result
    return result["appointment"]["id"]


async def slots(member, day: date, minutes: int = 30, **arguments: Any) -> list[str]:
    """The start times availableSlots offers, as returned (ISO with offsets)."""
    data = await member.data(
        """query($date: Date!, $minutes: Int!, $personaId: ID, $timezone: String) {
             availableSlots(date: $date, durationMinutes: $minutes, personaId: $personaId,
                            timezone: $timezone) { startsAt endsAt } }""",
        {"date": day.isoformat(), "minutes": minutes, **arguments},
    )
    return [slot["startsAt"] for slot in data["availableSlots"]]


def clock(iso: str) -> str:
    return iso[11:16]


def days_ahead(n: int, weekday: int | None = None) -> date:
    """The first date at least ``n`` days from today (UTC) that falls on ``weekday``."""
    day = datetime.now(UTC).date() + timedelta(days=n)
    while weekday is not None and day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def next_dst_change(zone: str, *, forward: bool) -> date:
    """The next local date (from the day after tomorrow) on which ``zone``'s offset
    jumps forward (or back)."""
    tz = ZoneInfo(zone)
    day = days_ahead(2)
    for _ in range(400):
        start = datetime(day.year, day.month, day.day, tzinfo=tz)
        end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tz)
        change = (end.utcoffset() or timedelta()) - (start.utcoffset() or timedelta())
        if (change > timedelta()) if forward else (change < timedelta()):
            return day
        day += timedelta(days=1)
    raise AssertionError(f"{zone} has no DST change within a year")
