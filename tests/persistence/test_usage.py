"""Dashboard usage: hand-computed buckets in the owner's zone (Asia/Kathmandu,
UTC+05:45), the same on both backends, in exactly one SQL statement."""

from __future__ import annotations

from datetime import date

import pytest

from persistence.models import Channel
from persistence.repositories.usage import UsageBucket, UsageFilter, UsageGrouping
from persistence.scope import Scope
from tests.activity import JANUARY, given_two_owners_with_activity


async def usage(db, owner, grouping, filter_=JANUARY) -> list[UsageBucket]:
    async with db.uow(Scope.owner(owner.id)) as uow:
        with db.statements() as log:
            buckets = await uow.usage.usage(filter_, grouping)
    assert log.count == 1, log.statements
    return buckets


async def test_days_are_local_to_the_owner_and_empty_days_are_filled(db):
    given = await given_two_owners_with_activity(db)

    buckets = await usage(db, given["a"], UsageGrouping.DAY)

    assert buckets == [
        UsageBucket(date(2027, 1, 9)),
        UsageBucket(
            date(2027, 1, 10), user_messages=1, conversations_started=1, active_customers=1
        ),
        UsageBucket(
            date(2027, 1, 11),
            user_messages=1,
            assistant_messages=1,
            tool_messages=1,
            conversations_started=1,
            input_tokens=15,
            output_tokens=27,
            active_customers=2,
        ),
        UsageBucket(date(2027, 1, 12), pending_appointments=1, confirmed_appointments=1),
        UsageBucket(date(2027, 1, 13), cancelled_appointments=1),
    ]


async def test_weeks_start_on_monday_in_local_time(db):
    given = await given_two_owners_with_activity(db)

    buckets = await usage(db, given["a"], UsageGrouping.WEEK)

    assert buckets == [
        UsageBucket(date(2027, 1, 4), user_messages=1, conversations_started=1, active_customers=1),
        UsageBucket(
            date(2027, 1, 11),
            user_messages=1,
            assistant_messages=1,
            tool_messages=1,
            conversations_started=1,
            input_tokens=15,
            output_tokens=27,
            pending_appointments=1,
            confirmed_appointments=1,
            cancelled_appointments=1,
            active_customers=2,
        ),
    ]


async def test_a_month_sums_everything_of_the_range_and_counts_customers_once(db):
    given = await given_two_owners_with_activity(db)

    (january,) = await usage(db, given["a"], UsageGrouping.MONTH)

    assert january == UsageBucket(
        date(2027, 1, 1),
        user_messages=2,
        assistant_messages=1,
        tool_messages=1,
        conversations_started=2,
        input_tokens=15,
        output_tokens=27,
        pending_appointments=1,
        confirmed_appointments=1,
        cancelled_appointments=1,
        active_customers=2,
    )


async def test_per_persona_lists_idle_personas_and_activity_without_a_persona(db):
    given = await given_two_owners_with_activity(db)

    buckets = await usage(db, given["a"], UsageGrouping.PERSONA)

    assert buckets == [
        UsageBucket(
            given["p1"].id,
            user_messages=1,
            assistant_messages=1,
            conversations_started=1,
            input_tokens=10,
            output_tokens=20,
            pending_appointments=1,
            active_customers=1,
        ),
        UsageBucket(
            given["p2"].id,
            user_messages=1,
            tool_messages=1,
            conversations_started=1,
            input_tokens=5,
            output_tokens=7,
            confirmed_appointments=1,
            active_customers=1,
        ),
        UsageBucket(given["idle"].id),
        UsageBucket(None, cancelled_appointments=1),
    ]


async def test_per_channel_lists_every_channel(db):
    given = await given_two_owners_with_activity(db)

    buckets = {bucket.key: bucket for bucket in await usage(db, given["a"], UsageGrouping.CHANNEL)}

    assert list(buckets) == list(Channel)
    assert buckets[Channel.TELEGRAM] == UsageBucket(
        Channel.TELEGRAM,
        user_messages=1,
        assistant_messages=1,
        conversations_started=1,
        input_tokens=10,
        output_tokens=20,
        pending_appointments=1,
        cancelled_appointments=1,
        active_customers=1,
    )
    assert buckets[Channel.WHATSAPP].tool_messages == 1
    assert buckets[Channel.WHATSAPP].confirmed_appointments == 1
    assert buckets[Channel.SMS] == UsageBucket(Channel.SMS)


@pytest.mark.parametrize("field", ["persona_id", "customer_id"])
async def test_filters_narrow_every_measure(db, field):
    given = await given_two_owners_with_activity(db)
    key = {"persona_id": "p2", "customer_id": "k2"}[field]
    narrowed = UsageFilter(JANUARY.first, JANUARY.last, **{field: given[key].id})

    (january,) = await usage(db, given["a"], UsageGrouping.MONTH, narrowed)

    assert january == UsageBucket(
        date(2027, 1, 1),
        user_messages=1,
        tool_messages=1,
        conversations_started=1,
        input_tokens=5,
        output_tokens=7,
        confirmed_appointments=1,
        active_customers=1,
    )


async def test_an_admin_sees_every_owner_each_in_their_own_zone(db):
    given = await given_two_owners_with_activity(db)
    async with db.uow(Scope.admin()) as uow:
        (january,) = await uow.usage.usage(JANUARY, UsageGrouping.MONTH)

    assert january.user_messages == 3
    assert january.input_tokens == 1015
    assert january.pending_appointments == 2
    assert january.active_customers == 3
    assert given  # owner b's rows are the difference


async def test_another_owner_sees_nothing_of_the_first(db):
    given = await given_two_owners_with_activity(db)

    buckets = await usage(db, given["b"], UsageGrouping.DAY)

    assert [b.key for b in buckets if b != UsageBucket(b.key)] == [
        date(2027, 1, 11),
        date(2027, 1, 12),
    ]
    assert sum(b.user_messages for b in buckets) == 1
