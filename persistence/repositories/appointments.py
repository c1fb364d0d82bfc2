from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import ColumnElement, select

from persistence.models import Appointment, AppointmentEvent, AppointmentStatus, User
from persistence.pagination import Ordering, Page, PageRequest, ordering_by
from persistence.repositories.base import Filter, Repository, bound

APPOINTMENTS_BY_START: Ordering[Appointment] = ordering_by(
    "STARTS_AT_ASC", Appointment.starts_at, Appointment.id
)
APPOINTMENTS_LATEST_START_FIRST: Ordering[Appointment] = ordering_by(
    "STARTS_AT_DESC", Appointment.starts_at, Appointment.id, descending=True
)


@dataclass(frozen=True)
class AppointmentFilter(Filter):
    status: AppointmentStatus | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None
    customer_id: UUID | None = None
    statuses: frozenset[AppointmentStatus] | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.status is not None:
            found.append(Appointment.status == bound(Appointment.status, self.status, "status"))
        if self.statuses is not None:
            statuses = bound(Appointment.status, sorted(self.statuses), "statuses", expanding=True)
            found.append(Appointment.status.in_(statuses))
        if self.starts_from is not None:
            starts_from = bound(Appointment.starts_at, self.starts_from, "starts_from")
            found.append(Appointment.starts_at >= starts_from)
        if self.starts_before is not None:
            starts_before = bound(Appointment.starts_at, self.starts_before, "starts_before")
            found.append(Appointment.starts_at < starts_before)
        if self.customer_id is not None:
            customer = bound(Appointment.customer_id, self.customer_id, "customer_id")
            found.append(Appointment.customer_id == customer)
        return found


class AppointmentRepository(Repository[Appointment]):
    """Booked times. The database refuses overlapping non-cancelled ones per owner
    (raised as :class:`persistence.errors.Overlap` when written)."""

    model = Appointment

    async def find(
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
        self, owner_id: UUID, start: datetime, end: datetime, *, ignoring: UUID | None = None
    ) -> Sequence[Appointment]:
        """The owner's non-cancelled appointments that overlap ``[start, end)``
        (except the one with id ``ignoring``, e.g. the one being moved)."""
        return await self._gate.scalars(
            self._select(
                Appointment.owner_id == owner_id,
                Appointment.status != AppointmentStatus.CANCELLED,
                Appointment.starts_at < end,
                Appointment.ends_at > start,
                Appointment.id != ignoring if ignoring is not None else None,
            ).order_by(Appointment.starts_at)
        )

    async def lock_calendar(self, owner_id: UUID) -> None:
        """Serialise bookings of one owner until the unit of work ends.

        The database refuses overlaps by itself; buffers and opening hours are
        checked by reading first, which is only race-free if no other booking of
        the owner runs meanwhile. PostgreSQL locks the owner's row; SQLite
        already holds its single write lock (``UnitOfWork(writes=True)``).
        """
        self._check_owner(owner_id)
        if self._gate.dialect == "postgresql":
            await self._gate.scalar(select(User.id).where(User.id == owner_id).with_for_update())

    # -- history ---------------------------------------------------------------

    async def record(self, appointment: Appointment, event: AppointmentEvent) -> None:
        """Add ``event`` to the history of ``appointment``."""
        self._check_owner(appointment.owner_id)
        event.appointment_id = appointment.id
        self._gate.add(event)
        await self._gate.flush()

    def _visible_events(self) -> ColumnElement[bool] | None:
        owner = self._scope.condition(Appointment.owner_id)
        if owner is None:
            return None
        return AppointmentEvent.appointment_id.in_(select(Appointment.id).where(owner))

    async def history_by_appointment(
        self, appointment_ids: Sequence[UUID]
    ) -> builtins.list[builtins.list[AppointmentEvent]]:
        """Each appointment's events, oldest first, aligned to ``appointment_ids``."""
        if not appointment_ids:
            return []
        visible = self._visible_events()
        statement = (
            select(AppointmentEvent)
            .where(self._among(AppointmentEvent.appointment_id, appointment_ids))
            .order_by(AppointmentEvent.created_at, AppointmentEvent.id)
        )
        if visible is not None:
            statement = statement.where(visible)
        grouped: dict[UUID, list[AppointmentEvent]] = {id_: [] for id_ in appointment_ids}
        for event in await self._gate.scalars(statement):
            grouped[event.appointment_id].append(event)
        return [grouped[id_] for id_ in appointment_ids]
