"""Known dashboard activity whose buckets are computed by hand in the tests:
two owners, personas, customers on two channels, conversations, messages
with tokens and appointments, placed around local midnights in Kathmandu."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import insert

from persistence.models import (
    Appointment,
    AppointmentStatus,
    Channel,
    Conversation,
    Message,
    MessageRole,
    User,
)
from persistence.repositories.usage import UsageFilter
from tests.factories import make_customer, make_persona, make_user

JANUARY = UsageFilter(first=date(2027, 1, 9), last=date(2027, 1, 13))


def message(conversation_id, role, at, input_tokens=None, output_tokens=None) -> dict:
    # An executemany takes its columns from the first row: every row names them all.
    return dict(
        conversation_id=conversation_id,
        role=role,
        content=role.value,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        created_at=at,
    )


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 1, day, hour, minute, tzinfo=UTC)


async def given_two_owners_with_activity(db, a: User | None = None, b: User | None = None):
    """Owner ``a`` lives in Kathmandu (UTC+05:45); owner ``b`` (UTC, no schedule)
    must never show in ``a``'s numbers. Pass existing users, or new ones are made."""
    async with db.uow(writes=True) as uow:
        a = a or await make_user(uow)
        b = b or await make_user(uow)
        await uow.schedules.update(a.id, {"timezone": "Asia/Kathmandu"})
        p1, p2, idle = [await make_persona(uow, a) for _ in range(3)]
        k1 = await make_customer(uow, a, channel=Channel.TELEGRAM)
        k2 = await make_customer(uow, a, channel=Channel.WHATSAPP)
        other_customer = await make_customer(uow, b)
        await uow.commit()
    ids = {"a": a, "b": b, "p1": p1, "p2": p2, "idle": idle, "k1": k1, "k2": k2}
    async with db.engine.begin() as connection:
        c1, c2, c3 = (
            dict(owner_id=a.id, persona_id=p1.id, customer_id=k1.id, title="c1"),
            dict(owner_id=a.id, persona_id=p2.id, customer_id=k2.id, title="c2"),
            dict(owner_id=b.id, persona_id=None, customer_id=other_customer.id, title="c3"),
        )
        # 18:00Z is 23:45 in Kathmandu on the 10th; 03:00Z is 08:45 on the 11th.
        c1_id, c2_id, c3_id = [
            (
                await connection.execute(
                    insert(Conversation).values(**c, created_at=at).returning(Conversation.id)
                )
            ).scalar_one()
            for c, at in ((c1, utc(10, 18)), (c2, utc(11, 3)), (c3, utc(11, 3)))
        ]
        await connection.execute(
            insert(Message),
            [
                message(c1_id, MessageRole.USER, utc(10, 18, 10)),  # 23:55 on the 10th, local
                # 00:05 on the 11th, local: its UTC date would be the 10th
                message(c1_id, MessageRole.ASSISTANT, utc(10, 18, 20), 10, 20),
                message(c2_id, MessageRole.USER, utc(11, 3)),
                message(c2_id, MessageRole.TOOL, utc(11, 3, 5), 5, 7),
                message(c3_id, MessageRole.USER, utc(11, 3), 1000),
            ],
        )
        appointment = dict(owner_id=a.id, duration_minutes=30)
        await connection.execute(
            insert(Appointment),
            [
                # 09:45 on the 12th, local
                dict(
                    appointment,
                    customer_id=k1.id,
                    persona_id=p1.id,
                    starts_at=utc(12, 4),
                    ends_at=utc(12, 4, 30),
                    status=AppointmentStatus.PENDING,
                ),
                # 23:59 on the 12th, local
                dict(
                    appointment,
                    customer_id=k2.id,
                    persona_id=p2.id,
                    starts_at=utc(12, 18, 14),
                    ends_at=utc(12, 18, 44),
                    status=AppointmentStatus.CONFIRMED,
                ),
                # 00:00 on the 13th, local
                dict(
                    appointment,
                    customer_id=k1.id,
                    persona_id=None,
                    starts_at=utc(12, 18, 15),
                    ends_at=utc(12, 18, 45),
                    status=AppointmentStatus.CANCELLED,
                ),
                dict(
                    owner_id=b.id,
                    persona_id=None,
                    duration_minutes=30,
                    customer_id=other_customer.id,
                    starts_at=utc(12, 4),
                    ends_at=utc(12, 4, 30),
                    status=AppointmentStatus.PENDING,
                ),
            ],
        )
    return ids
