"""Realistic demo rows, generated deterministically from a seed.

Everything derives from one ``random.Random(seed)`` and a fixed point in time,
so the same seed and size always give the same rows (ids included). Rows come
out table by table, parents first, as plain dicts keyed by column name.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from persistence.models import (
    AppointmentStatus,
    Channel,
    MessageRole,
    Role,
    default_ai_settings,
    default_voice_settings,
)

Row = dict[str, Any]

# Demo data is anchored in time, not to "now", so a seed always yields the same rows.
ANCHOR = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
DEMO_USERNAME = "demo"


@dataclass(frozen=True)
class DemoSize:
    """How much data a seed produces; counts are totals over all operators."""

    name: str
    operators: int
    personas: int
    customers: int
    conversations: int
    messages: int
    appointments: int
    min_messages: int = 5
    max_messages: int = 40

    def __post_init__(self) -> None:
        per_conversation = self.messages / self.conversations
        if not self.min_messages <= per_conversation <= self.max_messages:
            raise ValueError(f"{self.name}: messages per conversation out of range")

    @property
    def rows(self) -> int:
        return (
            self.operators
            + self.personas
            + self.customers
            + self.conversations
            + self.messages
            + self.appointments
        )


SIZES = {
    size.name: size
    for size in (
        DemoSize("tiny", 2, 4, 20, 60, 1_500, 20, min_messages=20, max_messages=30),
        DemoSize("small", 3, 6, 60, 150, 2_000, 60, min_messages=4, max_messages=24),
        DemoSize("medium", 5, 25, 1_000, 4_000, 60_000, 2_000),
        DemoSize("bench", 10, 100, 5_000, 20_000, 400_000, 10_000),
        # The benchmark's scale check: the same rows but ten times the messages.
        DemoSize("bench-10x", 10, 100, 5_000, 20_000, 4_000_000, 10_000, max_messages=400),
    )
}

_OPERATORS = [
    ("demo", "Demo Operator"),
    ("harbor-dental", "Harbor Dental Clinic"),
    ("green-leaf-spa", "Green Leaf Spa"),
    ("northside-auto", "Northside Auto Repair"),
    ("bright-smile", "Bright Smile Orthodontics"),
    ("city-vets", "City Veterinary Practice"),
    ("lumen-legal", "Lumen Legal Advice"),
    ("peak-fitness", "Peak Fitness Studio"),
    ("casa-bistro", "Casa Bistro"),
    ("swift-movers", "Swift Movers"),
]
_PERSONA_ROLES = [
    ("Receptionist", "Greets customers and books appointments."),
    ("Support", "Answers questions about services and prices."),
    ("Sales", "Explains packages and offers."),
    ("Scheduler", "Moves and confirms bookings."),
    ("Concierge", "Handles everything else politely."),
    ("Night Desk", "Covers the hours when the office is closed."),
    ("Follow-up", "Checks in after a visit."),
    ("Billing", "Explains invoices and payments."),
    ("Onboarding", "Welcomes new customers."),
    ("Feedback", "Collects reviews and complaints."),
]
_FIRST_NAMES = [
    "Ada", "Ben", "Chloe", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
    "Kemal", "Lea", "Mateo", "Nora", "Olu", "Priya", "Quinn", "Rosa", "Sami", "Tess",
    "Umar", "Vera", "Wen", "Ximena", "Yusuf", "Zoe",
]  # fmt: skip
_LAST_NAMES = [
    "Adams", "Becker", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Haddad", "Ivanova",
    "Jensen", "Kowalski", "Larsen", "Moreau", "Nakamura", "Okafor", "Petrov", "Rossi",
    "Schmidt", "Tanaka", "Varga", "Wong",
]  # fmt: skip
_CHANNELS = [Channel.TELEGRAM, Channel.WHATSAPP, Channel.WEB, Channel.INSTAGRAM, Channel.SMS]
_TOPICS = [
    "booking", "prices", "opening hours", "a cancellation", "directions", "an invoice",
    "a follow-up", "a complaint", "a gift card", "parking",
]  # fmt: skip
_CUSTOMER_LINES = [
    "Hi! Do you have anything free on {day}?",
    "Can I move my appointment to {day}, please?",
    "How much does it cost?",
    "Is there parking nearby?",
    "Thanks, that works for me.",
    "What are your opening hours on {day}?",
    "I need to cancel, something came up.",
    "Could you send me the invoice again?",
    "Great, see you then!",
    "Do you take card payments?",
]
_ASSISTANT_LINES = [
    "Hello {name}! We have slots on {day} at 10:00 and 14:30. Which suits you?",
    "Done: you are booked for {day}. You will get a reminder the day before.",
    "The standard visit is 60 EUR; the first consultation is free.",
    "Yes, there is a public car park two minutes away.",
    "Of course, {name}. I have cancelled it; nothing to pay.",
    "On {day} we are open from 9:00 to 17:00.",
    "I have sent the invoice to your email address again.",
    "You're welcome! Anything else I can help with?",
    "We accept cards, cash and bank transfer.",
]
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def demo_uuid(rng: random.Random, at: datetime) -> UUID:
    """A version 7 UUID for ``at`` whose random bits come from ``rng``."""
    millis = int(at.timestamp() * 1000)
    bits = rng.getrandbits(74)
    value = (millis & (2**48 - 1)) << 80 | 0x7 << 76 | (bits >> 62) << 64
    value |= 0b10 << 62 | (bits & (2**62 - 1))
    return UUID(int=value)


class DemoDataset:
    """The rows of one seed and size. Iterate the tables in the order of :data:`TABLES`."""

    TABLES = ("users", "personas", "customers", "conversations", "messages", "appointments")

    def __init__(self, size: DemoSize, seed: int, hashed_password: str) -> None:
        self.size = size
        self.rng = random.Random(seed)
        self.hashed_password = hashed_password
        self._users: list[Row] = []
        self._personas: dict[UUID, list[Row]] = {}
        self._customers: dict[UUID, list[Row]] = {}
        self._conversations: list[Row] = []

    def rows(self, table: str) -> Iterator[Row]:
        produce = getattr(self, f"_{table}_rows")
        return iter(produce())

    def _share(self, total: int, index: int) -> int:
        """Operator ``index``'s share of ``total`` rows (spread as evenly as possible)."""
        operators = self.size.operators
        return total // operators + (1 if index < total % operators else 0)

    def _stamped(self, at: datetime, **values: Any) -> Row:
        return {"id": demo_uuid(self.rng, at), "created_at": at, "updated_at": at, **values}

    # -- tables ------------------------------------------------------------------

    def _users_rows(self) -> list[Row]:
        for index in range(self.size.operators):
            username, full_name = _OPERATORS[index % len(_OPERATORS)]
            if index >= len(_OPERATORS):
                username = f"{username}-{index}"
            at = ANCHOR - timedelta(days=400 - index)
            self._users.append(
                self._stamped(
                    at,
                    email=f"{username}@example.com",
                    username=username,
                    full_name=full_name,
                    hashed_password=self.hashed_password,
                    is_active=True,
                    role=Role.MEMBER,
                )
            )
        return self._users

    def _personas_rows(self) -> Iterator[Row]:
        for index, user in enumerate(self._users):
            owned = self._personas[user["id"]] = []
            for number in range(self._share(self.size.personas, index)):
                role, description = _PERSONA_ROLES[number % len(_PERSONA_ROLES)]
                name = role if number < len(_PERSONA_ROLES) else f"{role} {number}"
                ai = default_ai_settings() | {"temperature": self.rng.choice([0.2, 0.5, 0.7])}
                row = self._stamped(
                    user["created_at"] + timedelta(hours=number + 1),
                    owner_id=user["id"],
                    name=name,
                    description=description,
                    system_prompt=f"You are the {role.lower()} of {user['full_name']}. "
                    f"{description} Be brief and friendly.",
                    first_message=f"Hello! This is {user['full_name']}. How can I help?",
                    is_active=number % 7 != 6,
                    ai_settings=ai,
                    voice_settings=default_voice_settings(),
                )
                owned.append(row)
                yield row

    def _customers_rows(self) -> Iterator[Row]:
        rng = self.rng
        for index, user in enumerate(self._users):
            owned = self._customers[user["id"]] = []
            for number in range(self._share(self.size.customers, index)):
                first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
                channel = _CHANNELS[number % len(_CHANNELS)]
                row = self._stamped(
                    ANCHOR - timedelta(days=rng.uniform(30, 365)),
                    owner_id=user["id"],
                    channel=channel,
                    external_id=f"{channel.value}-{100_000 + number}",
                    username=f"{first.lower()}.{last.lower()}{number}",
                    first_name=first,
                    last_name=last,
                    phone=f"+49 30 {rng.randrange(1_000_000, 9_999_999)}",
                    email=f"{first.lower()}.{last.lower()}{number}@example.net",
                )
                owned.append(row)
                yield row

    def _conversations_rows(self) -> Iterator[Row]:
        rng = self.rng
        for index, user in enumerate(self._users):
            personas, customers = self._personas[user["id"]], self._customers[user["id"]]
            count = self._share(self.size.conversations, index)
            # Busy conversations are the recent ones: the longest threads get the
            # latest activity, which is what an inbox shows first.
            lengths = sorted(self._message_counts(index, count), reverse=True)
            latest = sorted(
                (ANCHOR - timedelta(minutes=rng.uniform(1, 90 * 24 * 60)) for _ in lengths),
                reverse=True,
            )
            for number, (length, last_at) in enumerate(zip(lengths, latest, strict=True)):
                persona = personas[number % len(personas)]
                customer = rng.choice(customers)
                gaps = [timedelta(seconds=rng.randint(20, 600)) for _ in range(length)]
                started = last_at - sum(gaps, timedelta())
                row = self._stamped(
                    started,
                    owner_id=user["id"],
                    persona_id=persona["id"],
                    customer_id=customer["id"],
                    title=f"{customer['first_name']} about {rng.choice(_TOPICS)}",
                    provider_type="openai",
                    provider_config={"channel": customer["channel"].value},
                    last_message_at=last_at,
                    message_count=length,  # the messages of _messages_rows: one per gap
                )
                row["updated_at"] = last_at
                self._conversations.append(row | {"_gaps": gaps, "_name": customer["first_name"]})
                yield row

    def _message_counts(self, index: int, conversations: int) -> list[int]:
        """Lengths between the size's bounds that add up to operator ``index``'s share."""
        size, rng = self.size, self.rng
        before = sum(self._share(size.conversations, i) for i in range(index))
        total = round(size.messages * (before + conversations) / size.conversations) - round(
            size.messages * before / size.conversations
        )
        average = total / conversations
        spread = min(average - size.min_messages, size.max_messages - average)
        counts = [round(average + rng.uniform(-spread, spread)) for _ in range(conversations)]
        while (difference := total - sum(counts)) != 0:
            index = rng.randrange(conversations)
            step = 1 if difference > 0 else -1
            if size.min_messages <= counts[index] + step <= size.max_messages:
                counts[index] += step
        return counts

    def _messages_rows(self) -> Iterator[Row]:
        rng = self.rng
        for conversation in self._conversations:
            at = conversation["created_at"]
            name = conversation["_name"]
            for turn, gap in enumerate(conversation.pop("_gaps")):
                at += gap
                day = rng.choice(_DAYS)
                assistant = turn % 2 == 1
                line = rng.choice(_ASSISTANT_LINES if assistant else _CUSTOMER_LINES)
                yield self._stamped(
                    at,
                    conversation_id=conversation["id"],
                    role=MessageRole.ASSISTANT if assistant else MessageRole.USER,
                    content=line.format(day=day, name=name),
                    thinking=None,
                    extra_data={},
                    input_tokens=rng.randint(200, 1200) if assistant else None,
                    output_tokens=rng.randint(20, 120) if assistant else None,
                )

    def _appointments_rows(self) -> Iterator[Row]:
        """Back-to-back working-day slots per operator: never two at once."""
        rng = self.rng
        for index, user in enumerate(self._users):
            personas, customers = self._personas[user["id"]], self._customers[user["id"]]
            wanted = self._share(self.size.appointments, index)
            day = (ANCHOR - timedelta(days=max(wanted // 12, 1))).replace(hour=9, minute=0)
            made = 0
            while made < wanted:
                if day.weekday() < 5:
                    slot = day
                    closing = day.replace(hour=17)
                    while made < wanted and slot < closing:
                        duration = rng.choice([30, 30, 45, 60])
                        if slot + timedelta(minutes=duration) > closing:
                            break
                        if rng.random() < 0.8:
                            yield self._appointment(user, slot, duration, personas, customers)
                            made += 1
                        slot += timedelta(minutes=duration + rng.choice([0, 0, 15]))
                day += timedelta(days=1)

    def _appointment(
        self,
        user: Row,
        starts_at: datetime,
        duration: int,
        personas: list[Row],
        customers: list[Row],
    ) -> Row:
        past = starts_at < ANCHOR
        statuses = (
            [AppointmentStatus.COMPLETED] * 8 + [AppointmentStatus.CANCELLED]
            if past
            else [AppointmentStatus.CONFIRMED, AppointmentStatus.PENDING]
        )
        booked = starts_at - timedelta(days=self.rng.uniform(1, 14))
        return self._stamped(
            min(booked, ANCHOR),
            owner_id=user["id"],
            customer_id=self.rng.choice(customers)["id"],
            persona_id=self.rng.choice(personas)["id"],
            starts_at=starts_at,
            duration_minutes=duration,
            ends_at=starts_at + timedelta(minutes=duration),
            status=self.rng.choice(statuses),
            notes=None,
        )
