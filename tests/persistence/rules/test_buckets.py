"""Dashboard buckets in local time, without a database."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import column
from sqlalchemy.dialects import postgresql, sqlite

from persistence.repositories.usage import LocalBucket
from persistence.rules.buckets import Grain, bucket_start, bucket_starts, local_bucket


def test_weeks_start_on_monday_and_months_on_the_first():
    sunday = date(2027, 1, 10)

    assert bucket_start(sunday, Grain.DAY) == sunday
    assert bucket_start(sunday, Grain.WEEK) == date(2027, 1, 4)
    assert bucket_start(sunday, Grain.MONTH) == date(2027, 1, 1)


def test_bucket_starts_cover_every_bucket_the_range_touches():
    assert bucket_starts(date(2027, 1, 30), date(2027, 3, 1), Grain.MONTH) == [
        date(2027, 1, 1),
        date(2027, 2, 1),
        date(2027, 3, 1),
    ]
    assert bucket_starts(date(2027, 1, 10), date(2027, 1, 11), Grain.WEEK) == [
        date(2027, 1, 4),
        date(2027, 1, 11),
    ]
    assert len(bucket_starts(date(2028, 1, 1), date(2028, 12, 31), Grain.DAY)) == 366


@pytest.mark.parametrize(
    ("stored_utc", "zone", "grain", "bucket"),
    [
        # 00:30 CET on the spring-forward day
        ("2027-03-27 23:30:00.000000", "Europe/Berlin", "day", "2027-03-28"),
        # 00:30 CEST on the fall-back day
        ("2027-10-30 22:30:00.000000", "Europe/Berlin", "day", "2027-10-31"),
        # 23:30 CET: still the fall-back day although 25 hours passed since its midnight
        ("2027-10-31 22:30:00", "Europe/Berlin", "day", "2027-10-31"),
        ("2027-01-10 18:14:59", "Asia/Kathmandu", "day", "2027-01-10"),
        ("2027-01-10 18:15:00", "Asia/Kathmandu", "day", "2027-01-11"),
        ("2027-01-10 18:29:00", "Asia/Kolkata", "day", "2027-01-10"),
        ("2027-01-10 18:30:00", "Asia/Kolkata", "week", "2027-01-11"),
        ("2027-01-31 23:00:00", "Europe/Berlin", "month", "2027-02-01"),
        ("2027-01-31 23:00:00", "UTC", "month", "2027-01-01"),
    ],
)
def test_the_sqlite_function_buckets_stored_utc_text_in_local_time(stored_utc, zone, grain, bucket):
    assert local_bucket(stored_utc, zone, grain) == bucket


def test_the_sqlite_function_passes_nulls_through():
    assert local_bucket(None, "UTC", "day") is None


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        (postgresql.dialect(), "CAST(date_trunc('week', timezone(zone, ts)) AS DATE)"),
        (sqlite.dialect(), "concierge_local_bucket(ts, zone, 'week')"),
    ],
)
def test_local_bucket_compiles_per_dialect(dialect, sql):
    expression = LocalBucket(column("ts"), column("zone"), Grain.WEEK)

    assert str(expression.compile(dialect=dialect)) == sql
