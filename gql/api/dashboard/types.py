"""Dashboard numbers as GraphQL sees them: buckets of usage and their counts."""

from __future__ import annotations

from datetime import date
from typing import Any, Self
from uuid import UUID

import strawberry
from strawberry import relay

from gql.api.core.context import Info
from gql.api.core.scalars import BigInt
from gql.api.personas.types import Persona
from persistence.models import Channel
from persistence.repositories.usage import UsageBucket as UsageRow
from persistence.repositories.usage import UsageGrouping

strawberry.enum(UsageGrouping, name="UsageGroupBy", description="What one usage bucket stands for.")


@strawberry.input(description="Local dates in each owner's schedule zone, both included.")
class UsageFilterInput:
    from_: date = strawberry.field(name="from")
    to: date
    persona_id: strawberry.ID | None = None
    customer_id: strawberry.ID | None = None


@strawberry.type(description="Messages by the role of their author.")
class MessageCounts:
    user: int
    assistant: int
    system: int
    tool: int

    @strawberry.field
    def total(self) -> int:
        return self.user + self.assistant + self.system + self.tool


@strawberry.type(description="Appointments (by start time) by status.")
class AppointmentCounts:
    pending: int
    confirmed: int
    cancelled: int
    completed: int

    @strawberry.field
    def total(self) -> int:
        return self.pending + self.confirmed + self.cancelled + self.completed


@strawberry.type(description="The numbers of one bucket.")
class UsageBucket:
    key: str | None = strawberry.field(
        description="The bucket's first local date, persona id or channel; "
        "null for activity without a persona or a channel."
    )
    date: date | None = strawberry.field(description="First local date of a time bucket.")
    channel: Channel | None
    persona_id: strawberry.Private[UUID | None]
    messages: MessageCounts
    conversations_started: int
    input_tokens: BigInt = strawberry.field(
        description="Tokens sent to the models; may exceed 2^31."
    )
    output_tokens: BigInt = strawberry.field(
        description="Tokens the models answered with; may exceed 2^31."
    )
    appointments: AppointmentCounts
    active_customers: int = strawberry.field(
        description="Distinct customers who wrote or were written to."
    )

    @strawberry.field(description="The persona of a PERSONA bucket.")
    async def persona(self, info: Info) -> Persona | None:
        return await Persona.load(info, self.persona_id)

    @classmethod
    def of(cls, row: UsageRow, grouping: UsageGrouping) -> Self:
        key: Any = row.key
        day = key if isinstance(key, date) else None
        channel = Channel(key) if grouping is UsageGrouping.CHANNEL and key is not None else None
        persona_id = key if grouping is UsageGrouping.PERSONA else None
        if day is not None:
            label: str | None = day.isoformat()
        elif persona_id is not None:
            label = str(relay.GlobalID("Persona", str(persona_id)))
        else:
            label = channel.value if channel else None
        return cls(
            key=label,
            date=day,
            channel=channel,
            persona_id=persona_id,
            messages=MessageCounts(
                user=row.user_messages,
                assistant=row.assistant_messages,
                system=row.system_messages,
                tool=row.tool_messages,
            ),
            conversations_started=row.conversations_started,
            input_tokens=BigInt(row.input_tokens),
            output_tokens=BigInt(row.output_tokens),
            appointments=AppointmentCounts(
                pending=row.pending_appointments,
                confirmed=row.confirmed_appointments,
                cancelled=row.cancelled_appointments,
                completed=row.completed_appointments,
            ),
            active_customers=row.active_customers,
        )
