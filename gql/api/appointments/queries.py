from __future__ import annotations

from datetime import timedelta

import strawberry

from gql.api.appointments.types import (
    APPOINTMENT_ORDERINGS,
    Appointment,
    AppointmentFilterInput,
    AppointmentOrder,
)
from gql.api.core.compiled import Source
from gql.api.core.connections import Connection, Keyset, keyset_connection
from gql.api.core.context import Info
from gql.api.core.errors import BadUserInput
from gql.api.core.nodes import decode_optional_id
from gql.auth.permissions import AUTHENTICATED
from persistence.models import Appointment as AppointmentRow
from persistence.models import utcnow
from persistence.repositories import AppointmentFilter
from persistence.repositories.appointments import APPOINTMENTS_BY_START
from persistence.rules.lifecycle import ACTIVE

MAX_UPCOMING_HOURS = 24 * 31


@strawberry.type
class AppointmentQueries:
    @keyset_connection(
        Connection[Appointment], permission_classes=AUTHENTICATED, description="Your appointments."
    )
    def appointments(
        self,
        info: Info,
        filter: AppointmentFilterInput | None = None,
        order_by: AppointmentOrder = AppointmentOrder.STARTS_AT_ASC,
    ) -> Keyset[AppointmentRow]:
        given = filter or AppointmentFilterInput()
        if given.from_ and given.to and given.to <= given.from_:
            raise BadUserInput("`filter.to` must be after `filter.from`", "filter.to")
        filter_ = AppointmentFilter(
            status=given.status,
            starts_from=given.from_,
            starts_before=given.to,
            customer_id=decode_optional_id(given.customer_id, "Customer", "filter.customerId"),
        )
        ordering = APPOINTMENT_ORDERINGS[order_by]
        return Keyset.of_filter(
            info.context.uow.appointments, filter_, ordering, Appointment.from_row
        )


@strawberry.type
class ReminderQueries:
    @keyset_connection(
        Connection[Appointment],
        backward=False,
        permission_classes=AUTHENTICATED,
        description="Your pending and confirmed appointments starting within the next "
        f"`withinHours` hours (at most {MAX_UPCOMING_HOURS}), soonest first; for reminders.",
    )
    def upcoming_appointments(self, info: Info, within_hours: int) -> Keyset[AppointmentRow]:
        if not 0 < within_hours <= MAX_UPCOMING_HOURS:
            raise BadUserInput(
                f"`withinHours` must be between 1 and {MAX_UPCOMING_HOURS}", "withinHours"
            )
        now = utcnow()
        filter_ = AppointmentFilter(
            statuses=ACTIVE, starts_from=now, starts_before=now + timedelta(hours=within_hours)
        )
        appointments = info.context.uow.appointments
        return Keyset(
            APPOINTMENTS_BY_START,
            # The window moves with the clock; the list is "upcoming within N hours".
            {"upcoming_within_hours": within_hours},
            lambda request: appointments.find(filter_, APPOINTMENTS_BY_START, request),
            lambda: appointments.count_matching(filter_),
            Appointment.from_row,
            Source("appointment", filter_),
        )
