"""Opening hours and free slots in local time, without a database: ordinary
days, exceptions, DST changes in Europe/Berlin, +05:45 and +05:30 zones,
buffers, minimum notice and the horizon."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from persistence.rules.scheduling import (
    BookingProblem,
    EndBeforeStart,
    OverlappingRanges,
    Rules,
    TimeRange,
    UnknownTimeZone,
    Window,
    booking_problem,
    free_slots,
    opening_windows,
    parse_clock,
    range_problems,
    zone,
)

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2027, 1, 11)
SPRING_FORWARD = date(2027, 3, 28)  # a Sunday: 02:00 CET jumps to 03:00 CEST
FALL_BACK = date(2027, 10, 31)  # a Sunday: 03:00 CEST falls back to 02:00 CET
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)


def hours(opens: str, closes: str) -> TimeRange:
    return TimeRange.parse(opens, closes)


def every_day(*ranges: TimeRange, **settings) -> Rules:
    settings.setdefault("horizon_days", 3650)
    return Rules(weekly={weekday: ranges for weekday in range(7)}, **settings)


def local(day: date, clock: str, tz: ZoneInfo = BERLIN) -> datetime:
    hour, minute = map(int, clock.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)


def clocks(slots, tz: ZoneInfo = BERLIN) -> list[str]:
    return [slot.start.astimezone(tz).strftime("%H:%M") for slot in slots]


def test_an_ordinary_day_offers_every_slot_of_each_opening_range():
    rules = every_day(hours("09:00", "12:00"), hours("13:00", "15:00"), timezone="Europe/Berlin")

    slots = free_slots(rules, MONDAY, 60, [], LONG_AGO)

    assert clocks(slots) == ["09:00", "09:30", "10:00", "10:30", "11:00", "13:00", "13:30", "14:00"]
    assert slots[0].start == datetime(2027, 1, 11, 8, 0, tzinfo=UTC)
    assert slots[0].end - slots[0].start == timedelta(minutes=60)


def test_a_closed_weekday_offers_nothing():
    rules = Rules(timezone="Europe/Berlin", weekly={0: (hours("09:00", "17:00"),)})

    assert free_slots(rules, MONDAY + timedelta(days=1), 30, [], LONG_AGO) == []


def test_an_exception_closes_a_day_or_replaces_its_hours():
    special = MONDAY + timedelta(days=1)
    rules = every_day(
        hours("09:00", "17:00"),
        timezone="Europe/Berlin",
        exceptions={MONDAY: (), special: (hours("10:00", "11:00"),)},
    )

    assert free_slots(rules, MONDAY, 30, [], LONG_AGO) == []
    assert clocks(free_slots(rules, special, 30, [], LONG_AGO)) == ["10:00", "10:30"]


def test_on_a_spring_forward_day_the_skipped_hour_has_no_slots():
    rules = every_day(hours("00:00", "06:00"), timezone="Europe/Berlin")

    slots = free_slots(rules, SPRING_FORWARD, 30, [], LONG_AGO)

    assert clocks(slots) == [
        "00:00", "00:30", "01:00", "01:30", "03:00", "03:30", "04:00", "04:30", "05:00", "05:30",
    ]  # fmt: skip
    assert "02:30" not in clocks(slots)
    # 01:30 CET to 03:00 CEST is half an hour of real time.
    assert slots[4].start - slots[3].start == timedelta(minutes=30)


def test_on_a_fall_back_day_the_repeated_hour_is_offered_once():
    rules = every_day(hours("00:00", "06:00"), timezone="Europe/Berlin")

    slots = free_slots(rules, FALL_BACK, 30, [], LONG_AGO)

    assert clocks(slots) == [f"{h:02d}:{m:02d}" for h in range(6) for m in (0, 30)]
    two = slots[4]
    assert two.start.astimezone(BERLIN).utcoffset() == timedelta(hours=2)  # its first occurrence
    assert len({slot.start for slot in slots}) == len(slots)


def test_an_opening_time_inside_the_skipped_hour_opens_when_the_clock_jumps():
    rules = every_day(hours("02:30", "04:00"), timezone="Europe/Berlin")

    (window,) = opening_windows(rules, SPRING_FORWARD)

    assert window.start == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert window.end == datetime(2027, 3, 28, 2, 0, tzinfo=UTC)  # 04:00 CEST


def test_an_ordinary_week_day_near_dst_uses_the_offset_of_that_date():
    rules = every_day(hours("09:00", "09:30"), timezone="Europe/Berlin")

    (before,) = free_slots(rules, SPRING_FORWARD - timedelta(days=1), 30, [], LONG_AGO)
    (after,) = free_slots(rules, SPRING_FORWARD + timedelta(days=1), 30, [], LONG_AGO)

    assert before.start == datetime(2027, 3, 27, 8, 0, tzinfo=UTC)
    assert after.start == datetime(2027, 3, 29, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("timezone", "utc_starts"),
    [
        pytest.param("Asia/Kathmandu", ["03:15", "03:45"], id="plus-05:45"),
        pytest.param("Asia/Kolkata", ["03:30", "04:00"], id="plus-05:30"),
    ],
)
def test_zones_with_odd_offsets_keep_local_slot_times(timezone, utc_starts):
    rules = every_day(hours("09:00", "10:00"), timezone=timezone)

    slots = free_slots(rules, MONDAY, 30, [], LONG_AGO)

    assert clocks(slots, ZoneInfo(timezone)) == ["09:00", "09:30"]
    assert clocks(slots, ZoneInfo("UTC")) == utc_starts


def test_a_window_that_ends_at_midnight_in_kathmandu_ends_at_1815_utc():
    rules = every_day(hours("23:00", "24:00"), timezone="Asia/Kathmandu")

    (window,) = opening_windows(rules, MONDAY)

    assert window.end == datetime(2027, 1, 11, 18, 15, tzinfo=UTC)


def test_buffers_keep_slots_clear_before_and_after_an_appointment():
    rules = every_day(hours("09:00", "12:00"), timezone="Europe/Berlin", buffer_minutes=15)
    busy = [Window(local(MONDAY, "10:00"), local(MONDAY, "10:30"))]

    slots = free_slots(rules, MONDAY, 30, busy, LONG_AGO)

    assert clocks(slots) == ["09:00", "11:00", "11:30"]


def test_without_a_buffer_slots_touch_an_appointment():
    rules = every_day(hours("09:00", "12:00"), timezone="Europe/Berlin")
    busy = [Window(local(MONDAY, "10:00"), local(MONDAY, "10:30"))]

    slots = free_slots(rules, MONDAY, 30, busy, LONG_AGO)

    assert clocks(slots) == ["09:00", "09:30", "10:30", "11:00", "11:30"]


def test_minimum_notice_hides_slots_starting_too_soon():
    rules = every_day(hours("09:00", "12:00"), timezone="Europe/Berlin", notice_minutes=60)

    slots = free_slots(rules, MONDAY, 30, [], now=local(MONDAY, "09:40"))

    assert clocks(slots) == ["11:00", "11:30"]


def test_the_horizon_hides_slots_too_far_ahead():
    rules = every_day(hours("09:00", "12:00"), timezone="Europe/Berlin", horizon_days=1)
    tomorrow = MONDAY + timedelta(days=1)

    slots = free_slots(rules, tomorrow, 30, [], now=local(MONDAY, "10:00"))

    assert clocks(slots) == ["09:00", "09:30"]
    assert free_slots(rules, tomorrow + timedelta(days=1), 30, [], local(MONDAY, "10:00")) == []


def test_a_slot_must_end_before_the_range_closes():
    rules = every_day(hours("09:00", "10:00"), timezone="Europe/Berlin")

    assert clocks(free_slots(rules, MONDAY, 45, [], LONG_AGO)) == ["09:00"]
    assert free_slots(rules, MONDAY, 90, [], LONG_AGO) == []


class TestBookingProblems:
    rules = every_day(hours("09:00", "12:00"), timezone="Europe/Berlin", buffer_minutes=10)
    now = local(MONDAY, "08:00")

    def problem(self, clock: str, minutes: int = 30, busy=(), now=None, **changes):
        rules = Rules(**{**self.rules.__dict__, **changes})
        return booking_problem(rules, local(MONDAY, clock), minutes, list(busy), now or self.now)

    def test_a_time_within_opening_hours_is_fine(self):
        assert self.problem("09:15") is None

    def test_off_hours_and_overhanging_times_are_outside_opening_hours(self):
        assert self.problem("08:30") is BookingProblem.OUTSIDE_OPENING_HOURS
        assert self.problem("11:45") is BookingProblem.OUTSIDE_OPENING_HOURS

    def test_an_appointment_may_run_across_touching_ranges_and_past_midnight(self):
        touching = every_day(
            hours("09:00", "12:00"), hours("12:00", "13:00"), timezone="Europe/Berlin"
        )
        assert self.problem("11:45", **touching.__dict__) is None
        open_all_day = every_day(hours("00:00", "24:00"), timezone="Europe/Berlin")
        assert self.problem("23:45", **open_all_day.__dict__) is None
        late_only = every_day(hours("20:00", "24:00"), timezone="Europe/Berlin")
        assert self.problem("23:45", **late_only.__dict__) is BookingProblem.OUTSIDE_OPENING_HOURS

    def test_notice_horizon_and_buffers(self):
        assert self.problem("09:00", notice_minutes=120) is BookingProblem.TOO_SOON
        assert self.problem("09:00", now=local(MONDAY, "09:01")) is BookingProblem.TOO_SOON
        far = local(MONDAY, "08:00") - timedelta(days=400)
        assert self.problem("09:00", now=far, horizon_days=365) is BookingProblem.TOO_FAR_AHEAD
        busy = [Window(local(MONDAY, "10:00"), local(MONDAY, "10:30"))]
        assert self.problem("10:35", busy=busy) is BookingProblem.TOO_CLOSE
        assert self.problem("10:40", busy=busy) is None


def test_range_problems_name_reversed_and_overlapping_ranges():
    problems = range_problems(
        [hours("09:00", "18:00"), hours("12:00", "11:00"), hours("10:00", "11:00"),
         hours("13:00", "14:00"), hours("18:00", "19:00")]
    )  # fmt: skip

    assert [(type(p), p.index) for p in problems] == [
        (EndBeforeStart, 1),
        (OverlappingRanges, 2),
        (OverlappingRanges, 3),  # overlaps the first range, not its neighbour
    ]


def test_touching_ranges_are_fine():
    assert range_problems([hours("09:00", "12:00"), hours("12:00", "24:00")]) == []


@pytest.mark.parametrize("text", ["24:30", "9:5", "noon", "25:00", "09:60", ""])
def test_clock_times_must_be_hh_mm_up_to_24_00(text):
    with pytest.raises(ValueError):
        parse_clock(text)


def test_clock_times_parse_to_minutes():
    assert parse_clock("00:00") == 0
    assert parse_clock("9:30") == 570
    assert parse_clock("24:00") == 1440


def test_unknown_time_zones_are_refused_by_name():
    with pytest.raises(UnknownTimeZone, match="Mars/Olympus"):
        zone("Mars/Olympus")
