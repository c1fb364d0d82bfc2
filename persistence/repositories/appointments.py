from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import ColumnElement

from persistence.models import Appointment, AppointmentStatus
from persistence.pagination import Ordering, Page, PageRequest, ordering_by
from persistence.repositories.base import Repository

APPOINTMENTS_BY_START: Ordering[Appointment] = ordering_by(
    "STARTS_AT_ASC", Appointment.starts_at, Appointment.id
)
APPOINTMENTS_LATEST_START_FIRST: Ordering[Appointment] = ordering_by(
    "STARTS_AT_DESC", Appointment.starts_at, Appointment.id, descending=True
)


@dataclass(frozen=True)
class AppointmentFilter:
    status: AppointmentStatus | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None
    customer_id: UUID | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.status is not None:
            found.append(Appointment.status == self.status)
        if self.starts_from is not None:
            found.append(Appointment.starts_at >= self.starts_from)
        if self.starts_before is not None:
            found.append(Appointment.starts_at < self.starts_before)
        if self.customer_id is not None:
            found.append(Appointment.customer_id == self.customer_id)
        return found


class AppointmentRepository(Repository[Appointment]):
    """Booked times. The database refuses overlapping non-cancelled ones per owner
    (raised as :class:`persistence.errors.Overlap` when written)."""

    model = Appointment

    async def list(
        self,
        filter_: AppointmentFilter,
        ordering: Ordering[Appointment],
        request: PageRequest,
    ) -> Page[Appointment]:
        return await self.page(ordering, request, *filter_.conditions())

    async def count_matching(self, filter_: AppointmentFilter) -> int:
        return await self.count(*filter_.conditions())

    async def pages_by_customer(
        self,
        customer_ids: Sequence[UUID],
        ordering: Ordering[Appointment],
        request: PageRequest,
    ) -> list[Page[Appointment]]:
        return await self._pages_by_parent(Appointment.customer_id, customer_ids, ordering, request)

    async def counts_by_customer(self, customer_ids: Sequence[UUID]) -> list[int]:
        return await self._counts_by_parent(Appointment.customer_id, customer_ids)

    async def busy_between(
        self, owner_id: UUID, start: datetime, end: datetime
    ) -> list[Appointment]:
        """The owner's non-cancelled appointments that overlap ``[start, end)``."""
        return await self._gate.scalars(
            self._select(
                Appointment.owner_id == owner_id,
                Appointment.status != AppointmentStatus.CANCELLED,
                Appointment.starts_at < end,
                Appointment.ends_at > start,
            ).order_by(Appointment.starts_at)
        )
