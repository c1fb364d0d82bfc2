from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.dialects import postgresql, sqlite

from persistence.models import Channel, Customer, new_id, utcnow
from persistence.pagination import Ordering, Page, PageRequest, ordering_by
from persistence.records import CustomerRecord
from persistence.repositories.base import Filter, Repository, bound, contains_pattern

CUSTOMERS_NEWEST_FIRST: Ordering[Customer] = ordering_by(
    "CREATED_AT_DESC", Customer.created_at, Customer.id, descending=True
)
CUSTOMERS_OLDEST_FIRST: Ordering[Customer] = ordering_by(
    "CREATED_AT_ASC", Customer.created_at, Customer.id
)

# What a customer search looks in.
SEARCHED = (
    Customer.username,
    Customer.first_name,
    Customer.last_name,
    Customer.email,
    Customer.external_id,
)
# The profile fields an upsert may fill in or refresh.
PROFILE_FIELDS = ("username", "first_name", "last_name", "phone", "email")


@dataclass(frozen=True)
class CustomerFilter(Filter):
    channel: Channel | None = None
    search: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.channel is not None:
            found.append(Customer.channel == bound(Customer.channel, self.channel, "channel"))
        if self.search:
            pattern = func.lower(bound(Customer.email, contains_pattern(self.search), "search"))
            found.append(
                or_(*(func.lower(column).like(pattern, escape="/") for column in SEARCHED))
            )
        return found


class CustomerRepository(Repository[Customer]):
    """People an operator's personas talk with, one row per (channel, external id)."""

    model = Customer
    record_type = CustomerRecord

    async def find(
        self, filter_: CustomerFilter, ordering: Ordering[Customer], request: PageRequest
    ) -> Page[CustomerRecord]:
        return await self.read_page(filter_, ordering, request)

    async def count_matching(self, filter_: CustomerFilter) -> int:
        return await self.count(*filter_.conditions())

    async def find_by_external_id(
        self, owner_id: UUID, channel: Channel, external_id: str
    ) -> Customer | None:
        rows = await self._gate.scalars(
            self._select(
                Customer.owner_id == owner_id,
                Customer.channel == channel,
                Customer.external_id == external_id,
            )
        )
        return rows[0] if rows else None

    async def upsert(
        self, owner_id: UUID, channel: Channel, external_id: str, profile: dict[str, Any]
    ) -> tuple[Customer, bool]:
        """Get or create the customer of ``(owner, channel, external_id)`` in one
        statement, refreshing the given profile fields; safe under concurrency.

        Returns the customer and whether it was created.
        """
        self._check_owner(owner_id)
        unknown = set(profile) - set(PROFILE_FIELDS)
        if unknown:
            raise ValueError(f"not profile fields: {', '.join(sorted(unknown))}")
        now = utcnow()
        candidate_id = new_id()
        insert = postgresql.insert if self._gate.dialect == "postgresql" else sqlite.insert
        statement = (
            insert(Customer)
            .values(
                id=candidate_id,
                owner_id=owner_id,
                channel=channel,
                external_id=external_id,
                created_at=now,
                updated_at=now,
                **profile,
            )
            .on_conflict_do_update(
                index_elements=[Customer.owner_id, Customer.channel, Customer.external_id],
                set_={"updated_at": now, **profile},
            )
            .returning(Customer)
            .execution_options(populate_existing=True)
        )
        (customer,) = await self._gate.scalars(statement)
        return customer, customer.id == candidate_id
