"""Races over HTTP: twenty requests in flight at once, in process, on one event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from tests.api.steps import add_customer, book, days_ahead, set_schedule
from tests.api.wire import ERRORS

RACERS = 20
UPSERT = f"""mutation($name: String!) {{
  upsertCustomer(input: {{channel: TELEGRAM, externalId: "tg-42", firstName: $name}}) {{
    created customer {{ id }} {ERRORS} }}
}}"""


@dataclass
class Overlap:
    """How many database connections were checked out at the same time, at most,
    and how many checkouts there were."""

    now: int = 0
    peak: int = 0
    checkouts: int = 0


@contextmanager
def connections_in_use(engine: Any) -> Iterator[Overlap]:
    """Proves the requests really overlapped: a serialised run never holds two."""
    overlap = Overlap()

    def checkout(*_: Any) -> None:
        overlap.checkouts += 1
        overlap.now += 1
        overlap.peak = max(overlap.peak, overlap.now)

    def checkin(*_: Any) -> None:
        overlap.now -= 1

    pool = engine.sync_engine.pool
    event.listen(pool, "checkout", checkout)
    event.listen(pool, "checkin", checkin)
    try:
        yield overlap
    finally:
        event.remove(pool, "checkout", checkout)
        event.remove(pool, "checkin", checkin)


async def test_parallel_upserts_of_one_customer_create_it_once(operator, db):
    with connections_in_use(db.engine) as overlap:
        bodies = await asyncio.gather(
            *(operator.api.data(UPSERT, {"name": f"racer {n}"}) for n in range(RACERS))
        )

    payloads = [body["upsertCustomer"] for body in bodies]
    assert all(payload["errors"] == [] for payload in payloads), payloads
    assert len({payload["customer"]["id"] for payload in payloads}) == 1
    assert sum(payload["created"] for payload in payloads) == 1
    async with db.uow() as uow:
        assert await uow.customers.count() == 1
    assert overlap.peak > 1


async def test_parallel_bookings_of_one_slot_give_one_appointment(operator, db):
    await set_schedule(operator.api)
    customer = await add_customer(operator.api)
    day = days_ahead(3)
    ten = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)

    with connections_in_use(db.engine) as overlap:
        payloads = await asyncio.gather(*(book(operator.api, customer, ten) for _ in range(RACERS)))

    booked = [p for p in payloads if p["appointment"] is not None]
    refused = [p["errors"] for p in payloads if p["appointment"] is None]
    assert len(booked) == 1
    assert booked[0]["errors"] == []
    assert len(refused) == RACERS - 1
    assert all(
        [(e["__typename"], e["code"]) for e in errors] == [("SlotUnavailable", "SLOT_UNAVAILABLE")]
        for errors in refused
    ), refused
    async with db.uow() as uow:
        assert await uow.appointments.count() == 1
    assert overlap.peak > 1
