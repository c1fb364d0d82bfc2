"""No two non-cancelled appointments of one owner overlap: the database keeps
the rule, also against concurrent bookings."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from persistence.errors import Busy, Conflict, Overlap
from persistence.models import Appointment, AppointmentStatus
from persistence.scope import Scope
from tests.factories import make_appointment, make_customer, make_user

TEN = datetime(2030, 6, 3, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


async def given_an_owner_with_a_customer(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        customer = await make_customer(uow, owner)
        await uow.commit()
    return owner, customer


async def book(db, owner, customer, starts_at, minutes=30, **fields) -> Appointment:
    async with db.uow(Scope.owner(owner.id), writes=True) as uow:
        appointment = await make_appointment(uow, owner, customer, starts_at, minutes, **fields)
        await uow.commit()
    return appointment


async def appointments_of(db, owner) -> list[Appointment]:
    async with db.engine.connect() as connection:
        return list(
            await connection.execute(
                select(Appointment.starts_at, Appointment.status)
                .where(Appointment.owner_id == owner.id)
                .order_by(Appointment.starts_at)
            )
        )


@pytest.mark.parametrize(
    ("offset_minutes", "minutes"),
    [
        pytest.param(0, 30, id="same-time"),
        pytest.param(15, 30, id="starts-inside"),
        pytest.param(-15, 30, id="ends-inside"),
        pytest.param(5, 10, id="contained"),
        pytest.param(-10, 60, id="containing"),
        pytest.param(29, 1, id="last-minute"),
    ],
)
async def test_an_appointment_overlapping_another_of_the_same_owner_is_refused(
    db, offset_minutes, minutes
):
    owner, customer = await given_an_owner_with_a_customer(db)
    await book(db, owner, customer, TEN, 30)

    with pytest.raises(Overlap) as refused:
        await book(db, owner, customer, TEN + offset_minutes * MINUTE, minutes)

    assert isinstance(refused.value, Conflict)
    assert refused.value.fields == ("starts_at",)
    assert len(await appointments_of(db, owner)) == 1


async def test_back_to_back_appointments_that_only_touch_are_allowed(db):
    owner, customer = await given_an_owner_with_a_customer(db)
    await book(db, owner, customer, TEN, 30)

    await book(db, owner, customer, TEN + 30 * MINUTE, 30)
    await book(db, owner, customer, TEN - 45 * MINUTE, 45)

    assert len(await appointments_of(db, owner)) == 3


async def test_the_same_instant_in_another_utc_offset_still_overlaps(db):
    owner, customer = await given_an_owner_with_a_customer(db)
    await book(db, owner, customer, TEN, 30)
    noon_in_berlin_summer = datetime(2030, 6, 3, 12, 10, tzinfo=timezone(timedelta(hours=2)))

    with pytest.raises(Overlap):
        await book(db, owner, customer, noon_in_berlin_summer, 30)


async def test_a_cancelled_appointment_does_not_block_its_time(db):
    owner, customer = await given_an_owner_with_a_customer(db)
    await book(db, owner, customer, TEN, 60, status=AppointmentStatus.CANCELLED)

    await book(db, owner, customer, TEN, 60)
    await book(db, owner, customer, TEN + 15 * MINUTE, 15, status=AppointmentStatus.CANCELLED)

    assert sorted(status for _, status in await appointments_of(db, owner)) == [
        AppointmentStatus.CANCELLED,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.PENDING,
    ]


@pytest.mark.parametrize("status", [AppointmentStatus.CONFIRMED, AppointmentStatus.COMPLETED])
async def test_confirmed_and_completed_appointments_block_their_time(db, status):
    owner, customer = await given_an_owner_with_a_customer(db)
    await book(db, owner, customer, TEN, 30, status=status)

    with pytest.raises(Overlap):
        await book(db, owner, customer, TEN, 30)


async def test_appointments_of_different_owners_do_not_conflict(db):
    first_owner, first_customer = await given_an_owner_with_a_customer(db)
    second_owner, second_customer = await given_an_owner_with_a_customer(db)

    await book(db, first_owner, first_customer, TEN, 60)
    await book(db, second_owner, second_customer, TEN, 60)

    assert len(await appointments_of(db, first_owner)) == 1
    assert len(await appointments_of(db, second_owner)) == 1


async def test_rescheduling_onto_an_occupied_time_is_refused_and_changes_nothing(db):
    owner, customer = await given_an_owner_with_a_customer(db)
    await book(db, owner, customer, TEN, 30)
    later = await book(db, owner, customer, TEN + 2 * 60 * MINUTE, 30)

    async with db.uow(Scope.owner(owner.id), writes=True) as uow:
        moving = await uow.appointments.get(later.id)
        moving.starts_at = TEN + 20 * MINUTE
        with pytest.raises(Overlap):
            await uow.appointments.save(moving)

    async with db.uow(Scope.owner(owner.id)) as uow:
        assert (await uow.appointments.get(later.id)).starts_at == TEN + 2 * 60 * MINUTE


async def test_lengthening_into_the_next_appointment_is_refused(db):
    owner, customer = await given_an_owner_with_a_customer(db)
    first = await book(db, owner, customer, TEN, 30)
    await book(db, owner, customer, TEN + 30 * MINUTE, 30)

    async with db.uow(Scope.owner(owner.id), writes=True) as uow:
        growing = await uow.appointments.get(first.id)
        growing.duration_minutes = 31
        with pytest.raises(Overlap):
            await uow.appointments.save(growing)


async def test_rescheduling_over_its_own_former_time_is_allowed(db):
    owner, customer = await given_an_owner_with_a_customer(db)
    appointment = await book(db, owner, customer, TEN, 30)

    async with db.uow(Scope.owner(owner.id), writes=True) as uow:
        moving = await uow.appointments.get(appointment.id)
        moving.starts_at = TEN + 15 * MINUTE
        await uow.appointments.save(moving)
        await uow.commit()

    async with db.uow(Scope.owner(owner.id)) as uow:
        moved = await uow.appointments.get(appointment.id)
    assert (moved.starts_at, moved.ends_at) == (TEN + 15 * MINUTE, TEN + 45 * MINUTE)


async def test_reinstating_a_cancelled_appointment_onto_a_taken_time_is_refused(db):
    owner, customer = await given_an_owner_with_a_customer(db)
    cancelled = await book(db, owner, customer, TEN, 30, status=AppointmentStatus.CANCELLED)
    await book(db, owner, customer, TEN, 30)

    async with db.uow(Scope.owner(owner.id), writes=True) as uow:
        reinstated = await uow.appointments.get(cancelled.id)
        reinstated.status = AppointmentStatus.PENDING
        with pytest.raises(Overlap):
            await uow.appointments.save(reinstated)


async def test_cancelling_frees_the_time_for_another_booking(db):
    owner, customer = await given_an_owner_with_a_customer(db)
    first = await book(db, owner, customer, TEN, 30)

    async with db.uow(Scope.owner(owner.id), writes=True) as uow:
        cancelling = await uow.appointments.get(first.id)
        cancelling.status = AppointmentStatus.CANCELLED
        await uow.appointments.save(cancelling)
        await uow.commit()
    await book(db, owner, customer, TEN, 30)

    assert sorted(status for _, status in await appointments_of(db, owner)) == sorted(
        [AppointmentStatus.CANCELLED, AppointmentStatus.PENDING]
    )


async def test_busy_between_lists_the_non_cancelled_appointments_overlapping_a_window(db):
    owner, customer = await given_an_owner_with_a_customer(db)
    early = await book(db, owner, customer, TEN - 60 * MINUTE, 30)
    touching = await book(db, owner, customer, TEN - 30 * MINUTE, 30)
    inside = await book(db, owner, customer, TEN + 10 * MINUTE, 20)
    await book(db, owner, customer, TEN + 40 * MINUTE, 20, status=AppointmentStatus.CANCELLED)
    straddling = await book(db, owner, customer, TEN + 50 * MINUTE, 30)

    async with db.uow(Scope.owner(owner.id)) as uow:
        busy = await uow.appointments.busy_between(owner.id, TEN, TEN + 60 * MINUTE)

    assert [a.id for a in busy] == [inside.id, straddling.id]
    assert early.id not in {a.id for a in busy}
    assert touching.id not in {a.id for a in busy}


async def test_concurrent_overlapping_bookings_let_exactly_one_through(db):
    owner, customer = await given_an_owner_with_a_customer(db)

    async def try_to_book(n: int) -> Appointment:
        # Two inserts that both wait on the exclusion constraint can deadlock; PostgreSQL
        # then aborts one as Busy, which says to retry, as a client would.
        for _ in range(5):
            try:
                async with db.uow(Scope.owner(owner.id), writes=True) as uow:
                    appointment = await make_appointment(
                        uow, owner, customer, TEN + n * MINUTE, 30, notes=f"attempt {n}"
                    )
                    await uow.commit()
                    return appointment
            except Busy:
                continue
        raise AssertionError("still busy after five tries")

    outcomes = await asyncio.gather(*(try_to_book(n) for n in range(10)), return_exceptions=True)

    booked = [o for o in outcomes if isinstance(o, Appointment)]
    refused = [o for o in outcomes if isinstance(o, Overlap)]
    assert len(booked) == 1, outcomes
    assert len(refused) == 9, outcomes
    async with db.engine.connect() as connection:
        stored = (
            await connection.scalars(select(Appointment.id).where(Appointment.owner_id == owner.id))
        ).all()
    assert stored == [booked[0].id]
