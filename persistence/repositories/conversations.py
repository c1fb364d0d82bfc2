from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import ColumnElement, func

from persistence.models import Conversation
from persistence.pagination import Ordering, Page, PageRequest, ordering_by
from persistence.records import ConversationRecord
from persistence.repositories.base import Filter, Repository, bound

# A conversation without messages yet sorts by when it was started.
_ACTIVITY = func.coalesce(Conversation.last_message_at, Conversation.created_at)

CONVERSATIONS_BY_ACTIVITY: Ordering[Conversation] = Ordering(
    name="LAST_MESSAGE_AT_DESC",
    columns=(_ACTIVITY, Conversation.id.expression),
    key=lambda row: (row.last_message_at or row.created_at, row.id),
    types=(datetime, UUID),
    descending=True,
)
CONVERSATIONS_NEWEST_FIRST: Ordering[Conversation] = ordering_by(
    "CREATED_AT_DESC", Conversation.created_at, Conversation.id, descending=True
)
CONVERSATIONS_RECENTLY_UPDATED: Ordering[Conversation] = ordering_by(
    "UPDATED_AT_DESC", Conversation.updated_at, Conversation.id, descending=True
)


@dataclass(frozen=True)
class ConversationFilter(Filter):
    persona_id: UUID | None = None
    customer_id: UUID | None = None
    updated_after: datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.persona_id is not None:
            found.append(
                Conversation.persona_id
                == bound(Conversation.persona_id, self.persona_id, "persona_id")
            )
        if self.customer_id is not None:
            found.append(
                Conversation.customer_id
                == bound(Conversation.customer_id, self.customer_id, "customer_id")
            )
        if self.updated_after is not None:
            found.append(
                Conversation.updated_at
                > bound(Conversation.updated_at, self.updated_after, "updated_after")
            )
        return found


class ConversationRepository(Repository[Conversation]):
    """Conversation threads of an operator's personas with customers."""

    model = Conversation
    record_type = ConversationRecord

    async def find(
        self,
        filter_: ConversationFilter,
        ordering: Ordering[Conversation],
        request: PageRequest,
    ) -> Page[ConversationRecord]:
        return await self.read_page(filter_, ordering, request)

    async def count_matching(self, filter_: ConversationFilter) -> int:
        return await self.count(*filter_.conditions())

    async def pages_by_persona(
        self,
        persona_ids: Sequence[UUID],
        ordering: Ordering[Conversation],
        request: PageRequest,
    ) -> list[Page[ConversationRecord]]:
        return await self._record_pages_by_parent(
            Conversation.persona_id, persona_ids, ordering, request
        )

    async def pages_by_customer(
        self,
        customer_ids: Sequence[UUID],
        ordering: Ordering[Conversation],
        request: PageRequest,
    ) -> list[Page[ConversationRecord]]:
        return await self._record_pages_by_parent(
            Conversation.customer_id, customer_ids, ordering, request
        )

    async def counts_by_persona(self, persona_ids: Sequence[UUID]) -> list[int]:
        return await self._counts_by_parent(Conversation.persona_id, persona_ids)

    async def counts_by_customer(self, customer_ids: Sequence[UUID]) -> list[int]:
        return await self._counts_by_parent(Conversation.customer_id, customer_ids)
