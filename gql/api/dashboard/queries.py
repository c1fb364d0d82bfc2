"""Dashboard numbers: usage per local day, week, month, persona or channel."""

from __future__ import annotations

from datetime import timedelta

import strawberry

from gql.api.core.context import Info
from gql.api.core.errors import BadUserInput
from gql.api.core.nodes import decode_optional_id
from gql.api.dashboard.types import UsageBucket, UsageFilterInput
from gql.auth.permissions import IsAuthenticated
from persistence.repositories.usage import UsageFilter, UsageGrouping

MAX_RANGE_DAYS = 3 * 366


@strawberry.type
class DashboardQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="Usage numbers of your assistants, bucketed in your schedule's time zone; "
        "empty buckets included. One SQL statement whatever the range.",
    )
    async def usage(
        self,
        info: Info,
        filter: UsageFilterInput,
        group_by: UsageGrouping,
    ) -> list[UsageBucket]:
        if filter.to < filter.from_:
            raise BadUserInput("`filter.to` must not be before `filter.from`", "filter.to")
        if filter.to - filter.from_ >= timedelta(days=MAX_RANGE_DAYS):
            raise BadUserInput(f"at most {MAX_RANGE_DAYS} days at a time", "filter.to")
        filter_ = UsageFilter(
            first=filter.from_,
            last=filter.to,
            persona_id=decode_optional_id(filter.persona_id, "Persona", "filter.personaId"),
            customer_id=decode_optional_id(filter.customer_id, "Customer", "filter.customerId"),
        )
        rows = await info.context.uow.usage.usage(filter_, group_by)
        return [UsageBucket.of(row, group_by) for row in rows]
