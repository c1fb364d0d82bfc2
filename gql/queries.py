"""Root query fields. Each delegates to a repository (lists) or a loader (lookups)."""

from __future__ import annotations

import enum
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from typing import TypeVar

import strawberry
from strawberry import relay
from strawberry.permission import BasePermission

from gql.calendar import CalendarQueries
from gql.context import Info
from gql.dashboard import DashboardQueries
from gql.errors import BadUserInput
from gql.ids import decode_optional_id
from gql.permissions import IsAdmin, IsAuthenticated
from gql.types.appointments import Appointment
from gql.types.connection import Connection, CursorCodec, paging, to_connection
from gql.types.conversations import ORDERINGS, Conversation, ConversationOrder
from gql.types.customers import Customer
from gql.types.files import File
from gql.types.health import Health
from gql.types.node import resolve_nodes
from gql.types.personas import Persona
from gql.types.users import User
from persistence.models import AppointmentStatus, Channel, utcnow
from persistence.pagination import Ordering, Page, PageRequest
from persistence.repositories import (
    AppointmentFilter,
    ConversationFilter,
    CustomerFilter,
    PersonaFilter,
)
from persistence.repositories.appointments import (
    APPOINTMENTS_BY_START,
    APPOINTMENTS_LATEST_START_FIRST,
)
from persistence.repositories.customers import CUSTOMERS_NEWEST_FIRST, CUSTOMERS_OLDEST_FIRST
from persistence.repositories.files import FILES_NEWEST_FIRST
from persistence.repositories.personas import PERSONAS_BY_NAME, PERSONAS_NEWEST_FIRST
from persistence.repositories.users import USERS_OLDEST_FIRST

Row = TypeVar("Row")
NodeType = TypeVar("NodeType", bound=relay.Node)

try:
    SERVER_VERSION = version("concierge")
except PackageNotFoundError:  # running from a checkout that was not installed
    SERVER_VERSION = "0+unknown"

AUTHENTICATED: list[type[BasePermission]] = [IsAuthenticated]
MAX_UPCOMING_HOURS = 24 * 31
UPCOMING = frozenset({AppointmentStatus.PENDING, AppointmentStatus.CONFIRMED})


async def root_connection(
    info: Info,
    *,
    ordering: Ordering[Row],
    filter_: object,
    fetch: Callable[[PageRequest], Awaitable[Page[Row]]],
    count: Callable[[], Awaitable[int]],
    node: Callable[[Row], NodeType],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[NodeType]:
    """A top-level list: one keyset query for the page, one count if asked for."""
    codec = CursorCodec(ordering, filter_)
    page = await fetch(paging(info, codec, first, after, last, before))
    return to_connection(page, codec, node, count)


@strawberry.enum(description="How personas are ordered.")
class PersonaOrder(enum.Enum):
    NAME_ASC = "NAME_ASC"
    CREATED_AT_DESC = "CREATED_AT_DESC"


PERSONA_ORDERINGS = {
    PersonaOrder.NAME_ASC: PERSONAS_BY_NAME,
    PersonaOrder.CREATED_AT_DESC: PERSONAS_NEWEST_FIRST,
}


@strawberry.enum(description="How customers are ordered.")
class CustomerOrder(enum.Enum):
    CREATED_AT_DESC = "CREATED_AT_DESC"
    CREATED_AT_ASC = "CREATED_AT_ASC"


CUSTOMER_ORDERINGS = {
    CustomerOrder.CREATED_AT_DESC: CUSTOMERS_NEWEST_FIRST,
    CustomerOrder.CREATED_AT_ASC: CUSTOMERS_OLDEST_FIRST,
}


@strawberry.enum(description="How appointments are ordered.")
class AppointmentOrder(enum.Enum):
    STARTS_AT_ASC = "STARTS_AT_ASC"
    STARTS_AT_DESC = "STARTS_AT_DESC"


APPOINTMENT_ORDERINGS = {
    AppointmentOrder.STARTS_AT_ASC: APPOINTMENTS_BY_START,
    AppointmentOrder.STARTS_AT_DESC: APPOINTMENTS_LATEST_START_FIRST,
}


@strawberry.input
class PersonaFilterInput:
    is_active: bool | None = None
    name_contains: str | None = strawberry.field(default=None, description="Case-insensitive.")


@strawberry.input
class CustomerFilterInput:
    channel: Channel | None = None
    search: str | None = strawberry.field(
        default=None, description="Matches username, names, email or external id."
    )


@strawberry.input
class ConversationFilterInput:
    persona_id: relay.GlobalID | None = None
    customer_id: relay.GlobalID | None = None
    updated_after: datetime | None = None


@strawberry.input
class AppointmentFilterInput:
    status: AppointmentStatus | None = None
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="Starts at or after."
    )
    to: datetime | None = strawberry.field(default=None, description="Starts before.")
    customer_id: relay.GlobalID | None = None


@strawberry.type
class Query(CalendarQueries, DashboardQueries):
    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="The object with this global id, or null if it is missing or not yours.",
    )
    async def node(self, info: Info, id: relay.GlobalID) -> relay.Node | None:
        (found,) = await resolve_nodes(info, [id])
        return found

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="The objects with these global ids, in order; null where missing or not yours. "
        "Ids of one type are loaded together.",
    )
    async def nodes(self, info: Info, ids: list[relay.GlobalID]) -> list[relay.Node | None]:
        return await resolve_nodes(info, ids)

    @strawberry.field(description="Whether the service and its database are usable.")
    async def health(self, info: Info) -> Health:
        services = info.context.services
        report = await services.health.report()
        return Health.from_report(report, SERVER_VERSION, time.monotonic() - services.started_at)

    @strawberry.field(description="The signed-in user, or null without a valid token.")
    def viewer(self, info: Info) -> User | None:
        viewer = info.context.viewer
        return User.from_row(viewer) if viewer else None

    @strawberry.field(
        # Anonymous callers are told to sign in, members that they may not.
        permission_classes=[IsAuthenticated, IsAdmin],
        description="Every user (admins only).",
    )
    async def users(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[User]:
        users = info.context.uow.users
        return await root_connection(
            info,
            ordering=USERS_OLDEST_FIRST,
            filter_=None,
            fetch=users.find,
            count=users.count,
            node=User.from_row,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(permission_classes=AUTHENTICATED, description="Your personas.")
    async def personas(
        self,
        info: Info,
        filter: PersonaFilterInput | None = None,
        order_by: PersonaOrder = PersonaOrder.NAME_ASC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Persona]:
        given = filter or PersonaFilterInput()
        filter_ = PersonaFilter(is_active=given.is_active, name_contains=given.name_contains)
        ordering = PERSONA_ORDERINGS[order_by]
        personas = info.context.uow.personas
        return await root_connection(
            info,
            ordering=ordering,
            filter_=filter_,
            fetch=lambda request: personas.find(filter_, ordering, request),
            count=lambda: personas.count_matching(filter_),
            node=Persona.from_row,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(permission_classes=AUTHENTICATED, description="Your customers.")
    async def customers(
        self,
        info: Info,
        filter: CustomerFilterInput | None = None,
        order_by: CustomerOrder = CustomerOrder.CREATED_AT_DESC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Customer]:
        given = filter or CustomerFilterInput()
        filter_ = CustomerFilter(channel=given.channel, search=given.search)
        ordering = CUSTOMER_ORDERINGS[order_by]
        customers = info.context.uow.customers
        return await root_connection(
            info,
            ordering=ordering,
            filter_=filter_,
            fetch=lambda request: customers.find(filter_, ordering, request),
            count=lambda: customers.count_matching(filter_),
            node=Customer.from_row,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="Your customer known by this id on this channel, or null.",
    )
    async def customer_by_external_id(
        self, info: Info, channel: Channel, external_id: str
    ) -> Customer | None:
        viewer = info.context.require_viewer()
        row = await info.context.uow.customers.find_by_external_id(viewer.id, channel, external_id)
        return Customer.from_row(row) if row else None

    @strawberry.field(permission_classes=AUTHENTICATED, description="Your conversations.")
    async def conversations(
        self,
        info: Info,
        filter: ConversationFilterInput | None = None,
        order_by: ConversationOrder = ConversationOrder.LAST_MESSAGE_AT_DESC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Conversation]:
        given = filter or ConversationFilterInput()
        filter_ = ConversationFilter(
            persona_id=decode_optional_id(given.persona_id, "Persona", "filter.personaId"),
            customer_id=decode_optional_id(given.customer_id, "Customer", "filter.customerId"),
            updated_after=given.updated_after,
        )
        ordering = ORDERINGS[order_by]
        conversations = info.context.uow.conversations
        return await root_connection(
            info,
            ordering=ordering,
            filter_=filter_,
            fetch=lambda request: conversations.find(filter_, ordering, request),
            count=lambda: conversations.count_matching(filter_),
            node=Conversation.from_row,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(permission_classes=AUTHENTICATED, description="Your appointments.")
    async def appointments(
        self,
        info: Info,
        filter: AppointmentFilterInput | None = None,
        order_by: AppointmentOrder = AppointmentOrder.STARTS_AT_ASC,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[Appointment]:
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
        appointments = info.context.uow.appointments
        return await root_connection(
            info,
            ordering=ordering,
            filter_=filter_,
            fetch=lambda request: appointments.find(filter_, ordering, request),
            count=lambda: appointments.count_matching(filter_),
            node=Appointment.from_row,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(permission_classes=AUTHENTICATED, description="Your files, newest first.")
    async def files(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Connection[File]:
        files = info.context.uow.files
        return await root_connection(
            info,
            ordering=FILES_NEWEST_FIRST,
            filter_=None,
            fetch=files.find,
            count=files.count,
            node=File.from_row,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="Your pending and confirmed appointments starting within the next "
        f"`withinHours` hours (at most {MAX_UPCOMING_HOURS}), soonest first; for reminders.",
    )
    async def upcoming_appointments(
        self,
        info: Info,
        within_hours: int,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Appointment]:
        if not 0 < within_hours <= MAX_UPCOMING_HOURS:
            raise BadUserInput(
                f"`withinHours` must be between 1 and {MAX_UPCOMING_HOURS}", "withinHours"
            )
        now = utcnow()
        filter_ = AppointmentFilter(
            statuses=UPCOMING,
            starts_from=now,
            starts_before=now + timedelta(hours=within_hours),
        )
        appointments = info.context.uow.appointments
        return await root_connection(
            info,
            ordering=APPOINTMENTS_BY_START,
            # The window moves with the clock; the list is "upcoming within N hours".
            filter_={"upcoming_within_hours": within_hours},
            fetch=lambda request: appointments.find(filter_, APPOINTMENTS_BY_START, request),
            count=lambda: appointments.count_matching(filter_),
            node=Appointment.from_row,
            first=first,
            after=after,
            last=None,
            before=None,
        )
