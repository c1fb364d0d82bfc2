"""Cursor values: what Ordering.dump writes, Ordering.load reads back, and
anything else is refused as InvalidCursor before it reaches SQL."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from uuid import UUID

import pytest

from gql.api.core import connections
from gql.api.core.connections import fingerprint
from persistence.models import AppointmentStatus, new_id
from persistence.pagination import InvalidCursor, Page, PageRequest
from persistence.repositories.appointments import APPOINTMENTS_BY_START, AppointmentFilter
from persistence.repositories.conversations import CONVERSATIONS_BY_ACTIVITY
from persistence.repositories.customers import CUSTOMERS_NEWEST_FIRST
from persistence.repositories.personas import PERSONAS_BY_NAME

A_TIME = datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)
AN_ID = UUID("01960a4e-2f7c-7d3a-9b1e-5c6d7e8f9a0b")


@pytest.mark.parametrize(
    ("ordering", "key"),
    [
        (CONVERSATIONS_BY_ACTIVITY, (A_TIME, AN_ID)),
        (CUSTOMERS_NEWEST_FIRST, (A_TIME, AN_ID)),
        (APPOINTMENTS_BY_START, (A_TIME, AN_ID)),
        (PERSONAS_BY_NAME, ("Front desk", AN_ID)),
    ],
)
def test_a_dumped_cursor_loads_back_to_the_same_key(ordering, key):
    dumped = ordering.dump(key)

    loaded = ordering.load(dumped)

    assert loaded == key
    assert all(isinstance(value, str | int) for value in dumped)


def test_a_cursor_written_in_another_utc_offset_loads_as_the_same_instant():
    paris = timezone(timedelta(hours=1))

    loaded = CUSTOMERS_NEWEST_FIRST.load(["2025-03-01T10:30:15.123456+01:00", str(AN_ID)])

    assert loaded == (A_TIME.astimezone(paris), AN_ID)
    assert loaded[0].utcoffset() is not None


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param([], id="empty"),
        pytest.param([A_TIME.isoformat()], id="too-short"),
        pytest.param([A_TIME.isoformat(), str(AN_ID), "extra"], id="too-long"),
        pytest.param(["yesterday", str(AN_ID)], id="not-a-timestamp"),
        pytest.param([A_TIME.isoformat(), "not-a-uuid"], id="not-a-uuid"),
        pytest.param([A_TIME.isoformat(), "01960a4e"], id="truncated-uuid"),
        pytest.param([None, str(AN_ID)], id="null-timestamp"),
        pytest.param([A_TIME.isoformat(), None], id="null-uuid"),
        pytest.param([1740821415, str(AN_ID)], id="number-for-timestamp"),
        pytest.param([A_TIME.isoformat(), 12345], id="number-for-uuid"),
        pytest.param([A_TIME.isoformat(), ["nested"]], id="list-for-uuid"),
        pytest.param([{"t": 1}, str(AN_ID)], id="object-for-timestamp"),
        pytest.param(["2025-03-01T09:30:15", str(AN_ID)], id="timestamp-without-offset"),
        pytest.param([str(AN_ID), A_TIME.isoformat()], id="values-swapped"),
        pytest.param([True, str(AN_ID)], id="boolean-for-timestamp"),
        pytest.param(["0001-01-01T00:00:00+14:00", str(AN_ID)], id="before-the-calendar"),
        pytest.param(["9999-12-31T23:59:59.999999-14:00", str(AN_ID)], id="after-the-calendar"),
        pytest.param(["0001-06-01T00:00:00+00:00", str(AN_ID)], id="before-supported-years"),
        pytest.param(["9999-06-01T00:00:00+00:00", str(AN_ID)], id="after-supported-years"),
    ],
)
def test_a_malformed_cursor_is_refused_as_invalid(raw):
    with pytest.raises(InvalidCursor):
        CONVERSATIONS_BY_ACTIVITY.load(raw)


def test_a_key_of_the_wrong_length_cannot_become_a_condition():
    request = PageRequest(limit=3, after=(A_TIME,))

    with pytest.raises(InvalidCursor):
        request.conditions(CONVERSATIONS_BY_ACTIVITY)


def test_invalid_cursor_is_a_value_error():
    assert issubclass(InvalidCursor, ValueError)


def test_a_page_request_refuses_a_negative_limit():
    with pytest.raises(ValueError):
        PageRequest(limit=-1)


def test_new_ids_are_uuid_version_7_and_increase():
    first, second = new_id(), new_id()

    assert first.version == 7
    assert second.version == 7
    assert first < second


FILTER = AppointmentFilter(
    statuses=frozenset(AppointmentStatus), customer_id=AN_ID, starts_from=A_TIME
)


def test_a_fingerprint_ignores_the_order_sets_happen_to_iterate_in():
    reordered = AppointmentFilter(
        statuses=frozenset(reversed(list(AppointmentStatus))), customer_id=AN_ID, starts_from=A_TIME
    )

    assert fingerprint(FILTER) == fingerprint(reordered)
    assert fingerprint(FILTER) != fingerprint(AppointmentFilter(customer_id=AN_ID))


@pytest.mark.parametrize("seed", ["0", "1", "12345"])
def test_a_fingerprint_is_the_same_in_every_process(seed):
    program = (
        "from datetime import datetime; from uuid import UUID;"
        "from persistence.models import AppointmentStatus;"
        "from persistence.repositories.appointments import AppointmentFilter;"
        "from gql.api.core.connections import fingerprint;"
        "print(fingerprint(AppointmentFilter(statuses=frozenset(AppointmentStatus),"
        f" customer_id=UUID('{AN_ID}'),"
        f" starts_from=datetime.fromisoformat('{A_TIME.isoformat()}'))))"
    )

    other = subprocess.run(
        [sys.executable, "-c", program],
        env={**os.environ, "PYTHONHASHSEED": seed},
        capture_output=True,
        text=True,
        check=True,
    )

    assert other.stdout.strip() == fingerprint(FILTER)


def test_a_page_encodes_its_cursors_and_fingerprints_its_list_only_when_read(monkeypatch):
    fingerprints: list[object] = []
    monkeypatch.setattr(
        connections, "fingerprint", lambda identity: fingerprints.append(identity) or "tag"
    )
    codec = connections.CursorCodec(PERSONAS_BY_NAME, AN_ID)
    first, last = SimpleNamespace(name="A", id=AN_ID), SimpleNamespace(name="B", id=new_id())
    page = Page([first, last], True, False, PERSONAS_BY_NAME)

    info = connections.KeysetPageInfo(page, codec)

    assert (info.has_next_page, info.has_previous_page, fingerprints) == (True, False, [])
    assert info.start_cursor == codec.encode(PERSONAS_BY_NAME.key(first))
    assert info.end_cursor == codec.encode(PERSONAS_BY_NAME.key(last))
    assert codec.decode(info.end_cursor, "after") == PERSONAS_BY_NAME.key(last)
    assert fingerprints == [AN_ID]  # once per list, whatever it encodes


def test_an_empty_page_has_no_cursors():
    codec = connections.CursorCodec(PERSONAS_BY_NAME, AN_ID)

    info = connections.KeysetPageInfo(Page([], False, False, PERSONAS_BY_NAME), codec)

    assert (info.start_cursor, info.end_cursor) == (None, None)
