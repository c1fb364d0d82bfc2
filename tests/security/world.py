"""Two members, Alice (A) and Bob (B), each with one of everything, and an admin.

Rows are made through the API as their owner wherever a mutation exists
(each member saves a schedule of their own, with a closed day, before booking);
files (no mutation) and deliberately cross-linked rows (which no mutation
would allow) are written straight to the database. The cross links check that
scoping lives in the repositories: a row of one tenant that points at another
tenant's row must not make that row visible.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import event, select
from strawberry import relay

from gql.auth.tokens import issue_token
from gql.settings import Settings
from persistence.engine import create_engine, create_session_factory
from persistence.models import (
    Appointment,
    AppointmentEvent,
    Base,
    Channel,
    Conversation,
    File,
    Memory,
    MemoryType,
    Message,
    Role,
    User,
)
from persistence.models import Persona as PersonaRow
from tests.conftest import Api, Database
from tests.factories import make_appointment, make_conversation, make_customer, make_user


def _next_monday(at_least_days: int) -> datetime:
    """Midnight UTC of the first Monday at least ``at_least_days`` from today."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    day = today + timedelta(days=at_least_days)
    return day + timedelta(days=-day.weekday() % 7)


# Alice's and Bob's appointments fall on this day (both open 9 to 17 UTC on weekdays):
# a Monday within the booking horizon and `upcomingAppointments`' reach.
DAY = _next_monday(3)
ALICE_AT = DAY.replace(hour=14)
BOB_AT = DAY.replace(hour=10)
# Cross-linked appointments fall on other days so they never block the day above.
STRAY_AT = DAY + timedelta(days=1, hours=10)
# Each closes one weekday of that week by an exception.
ALICE_CLOSED = (DAY + timedelta(days=2)).date()
BOB_CLOSED = (DAY + timedelta(days=3)).date()

WEEKDAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
NINE_TO_FIVE = [{"weekday": day, "opens": "09:00", "closes": "17:00"} for day in WEEKDAYS]
# Schedules that differ in every setting, yet give both the same slots on DAY:
# Reykjavik keeps UTC all year, and Bob's Saturday and notice never touch DAY.
SCHEDULES: dict[str, dict[str, Any]] = {
    "alice": {
        "timezone": "UTC",
        "slotMinutes": 30,
        "bufferMinutes": 0,
        "minimumNoticeMinutes": 0,
        "horizonDays": 90,
        "weeklyHours": NINE_TO_FIVE,
    },
    "bob": {
        "timezone": "Atlantic/Reykjavik",
        "slotMinutes": 60,
        "bufferMinutes": 0,
        "minimumNoticeMinutes": 60,
        "horizonDays": 120,
        "weeklyHours": [
            *NINE_TO_FIVE,
            {"weekday": "SATURDAY", "opens": "10:00", "closes": "12:00"},
        ],
    },
}


def gid(type_name: str, row_id: UUID | str) -> str:
    return relay.to_base64(type_name, str(row_id))


def pk(global_id: str) -> UUID:
    return UUID(relay.from_base64(global_id)[1])


def missing_like(global_id: str) -> str:
    """A well-formed id of the same type that names no row."""
    return gid(relay.from_base64(global_id)[0], uuid4())


@dataclass
class Tenant:
    """A member, the API as them, and the global ids of their rows."""

    name: str
    api: Api
    user: str
    persona: str
    customer: str
    external_id: str
    conversation: str
    messages: list[str]
    appointment: str
    file: str
    persona_name: str
    schedule: dict[str, Any]
    closed_on: str
    # Rows of this tenant that point at another tenant's rows (see the module doc).
    stray_conversation: str = ""
    stray_appointment: str = ""
    spare_persona: str = ""
    spare_customer: str = ""
    memory: str = ""
    module: str = ""
    stray_memory: str = ""

    @property
    def user_id(self) -> UUID:
        return pk(self.user)

    @property
    def conversations(self) -> set[str]:
        return {self.conversation, self.stray_conversation}

    @property
    def appointments(self) -> set[str]:
        return {self.appointment, self.stray_appointment}

    @property
    def personas(self) -> set[str]:
        return {self.persona} | ({self.spare_persona} if self.spare_persona else set())

    @property
    def customers(self) -> set[str]:
        return {self.customer} | ({self.spare_customer} if self.spare_customer else set())

    def every_id(self) -> list[str]:
        """Every global id of this tenant, one per row, user included."""
        ids = [
            self.user,
            *sorted(self.personas),
            *sorted(self.customers),
            *sorted(self.conversations),
            *self.messages,
            *sorted(self.appointments),
            self.file,
            self.memory,
            self.stray_memory,
            self.module,
        ]
        return [id_ for id_ in ids if id_]


@dataclass
class World:
    a: Tenant
    b: Tenant
    admin: Api
    db: Database


async def _member(db: Database, settings: Settings, name: str, role: Role) -> tuple[User, str]:
    async with db.uow(writes=True) as uow:
        user = await make_user(uow, username=name, email=f"{name}@example.com", role=role)
        await uow.commit()
    # A signed token of the real kind; signing up through the API is tested in test_accounts.
    return user, issue_token(user, settings)


async def _mutate(api: Api, field: str, input_type: str, selection: str, input: Any) -> Any:
    data = await api.data(
        f"mutation($input: {input_type}!) {{ {field}(input: $input) {{ "
        f"errors {{ code message field }} {selection} }} }}",
        {"input": input},
    )
    assert data[field]["errors"] == [], data
    return data[field]


async def _populate(
    api: Api, db: Database, user: User, name: str, starts_at: datetime, closed_on: date
) -> Tenant:
    await _mutate(api, "updateSchedule", "UpdateScheduleInput", "", SCHEDULES[name])
    await _mutate(
        api,
        "setScheduleException",
        "SetScheduleExceptionInput",
        "exception { date }",
        {"date": closed_on.isoformat(), "closed": True, "note": f"{name}'s day off"},
    )
    persona_name = f"{name.title()}'s receptionist"
    persona = await _mutate(
        api,
        "createPersona",
        "CreatePersonaInput",
        "persona { id }",
        {"name": persona_name, "systemPrompt": f"You answer for {name}."},
    )
    external_id = f"tg-{name}"
    customer = await _mutate(
        api,
        "upsertCustomer",
        "UpsertCustomerInput",
        "customer { id }",
        {"channel": "TELEGRAM", "externalId": external_id, "firstName": f"{name}'s client"},
    )
    persona_id, customer_id = persona["persona"]["id"], customer["customer"]["id"]
    conversation = await _mutate(
        api,
        "startConversation",
        "StartConversationInput",
        "conversation { id }",
        {"title": f"{name} talks", "personaId": persona_id, "customerId": customer_id},
    )
    conversation_id = conversation["conversation"]["id"]
    posted = await _mutate(
        api,
        "postMessages",
        "PostMessagesInput",
        "messages { id }",
        {
            "conversationId": conversation_id,
            "messages": [
                {"role": "USER", "content": f"hello from {name}'s client"},
                {"role": "ASSISTANT", "content": f"{name}'s secret answer"},
            ],
        },
    )
    await _mutate(
        api,
        "updateOwnerSettings",
        "UpdateOwnerSettingsInput",
        "settings { embeddingDimensions }",
        {"embeddingDimensions": 4},
    )
    remembered = await _mutate(
        api,
        "rememberMemories",
        "RememberMemoriesInput",
        "memories { id }",
        {
            "conversationId": conversation_id,
            "memories": [
                {
                    "content": f"{name}'s client likes tea",
                    "embedding": [1.0, 0.0, 0.0, 0.0],
                    "personaId": persona_id,
                    "firstMessageId": posted["messages"][0]["id"],
                }
            ],
        },
    )
    module = await _mutate(
        api,
        "createPersonaModule",
        "CreatePersonaModuleInput",
        "module { id }",
        {"personaId": persona_id, "name": "booking", "type": "scheduler"},
    )
    await _mutate(
        api,
        "setConversationState",
        "SetConversationStateInput",
        "entry { version }",
        {
            "conversationId": conversation_id,
            "module": "booking",
            "key": "step",
            "value": f"{name}'s step",
        },
    )
    appointment = await _mutate(
        api,
        "bookAppointment",
        "BookAppointmentInput",
        "appointment { id }",
        {
            "customerId": customer_id,
            "personaId": persona_id,
            "startsAt": starts_at.isoformat(),
            "durationMinutes": 60,
        },
    )
    async with db.uow(writes=True) as uow:
        file = await uow.files.add(
            File(
                owner_id=user.id,
                filename=f"{name}-contract.pdf",
                content_type="application/pdf",
                size_bytes=1024,
                sha256="0" * 64,
                storage_key=f"{name}/{uuid4()}.pdf",
            )
        )
        # The file is attached to the first message and shows as the persona's avatar.
        first_message = UUID(relay.from_base64(posted["messages"][0]["id"])[1])
        await uow.files.attach(user.id, first_message, [file.id])
        persona_row = await uow.personas.get(UUID(relay.from_base64(persona_id)[1]))
        persona_row.avatar_file_id = file.id
        await uow.personas.save(persona_row)
        await uow.commit()
    return Tenant(
        name=name,
        api=api,
        user=gid("User", user.id),
        persona=persona_id,
        customer=customer_id,
        external_id=external_id,
        conversation=conversation_id,
        messages=[message["id"] for message in posted["messages"]],
        appointment=appointment["appointment"]["id"],
        file=gid("File", file.id),
        memory=remembered["memories"][0]["id"],
        module=module["module"]["id"],
        persona_name=persona_name,
        schedule=SCHEDULES[name],
        closed_on=closed_on.isoformat(),
    )


@asynccontextmanager
async def unchecked_references(db: Database) -> AsyncIterator[Database]:
    """The same database with its reference checks off, as only someone with the
    server's superuser could have it: the way to write rows that point across
    tenants, which neither the database nor any mutation allows otherwise."""
    engine = create_engine(Settings(DATABASE_URL=db.url, CONCIERGE_ENV="test"))
    statement = (
        "PRAGMA foreign_keys=OFF"
        if engine.dialect.name == "sqlite"
        else "SET session_replication_role = replica"
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _unchecked(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(statement)
        cursor.close()

    try:
        yield Database(engine, create_session_factory(engine), db.url)
    finally:
        await engine.dispose()


async def _cross_link(db: Database, a: Tenant, b: Tenant) -> None:
    """Rows that point across tenants, which no mutation lets anyone create and the
    database refuses (see tests/api/test_cross_owner_links.py): written with
    its reference checks off, they prove scoping holds even for such rows."""
    async with unchecked_references(db) as unchecked, unchecked.uow(writes=True) as uow:
        alice, bob = await uow.users.get_many([a.user_id, b.user_id])
        assert alice is not None and bob is not None
        # Bob's rows that Alice's stray rows point at, away from Bob's main rows.
        spare_persona = await uow.personas.add(
            PersonaRow(owner_id=bob.id, name="Bob's spare", system_prompt="Spare.")
        )
        # On a channel none of Alice's customers use, so a leak of it would show.
        spare_customer = await make_customer(
            uow, bob, channel=Channel.WEB, external_id="tg-bob-spare"
        )
        (alice_customer,) = await uow.customers.get_many([pk(a.customer)])
        (alice_persona,) = await uow.personas.get_many([pk(a.persona)])
        # Alice's conversation and appointment with Bob's persona and customer...
        a_stray = await make_conversation(uow, alice, spare_persona, spare_customer)
        a_stray_at = await make_appointment(
            uow, alice, spare_customer, STRAY_AT, persona_id=spare_persona.id
        )
        # ...and Bob's with Alice's.
        b_stray = await make_conversation(uow, bob, alice_persona, alice_customer)
        b_stray_at = await make_appointment(uow, bob, alice_customer, STRAY_AT)
        # Alice's memory (in her stray conversation) of Bob's spare persona.
        a_stray_memory = Memory(
            owner_id=alice.id,
            conversation_id=a_stray.id,
            persona_id=spare_persona.id,
            content="alice's stray memory",
            memory_type=MemoryType.FACT,
            importance=0.5,
            dimensions=4,
            embedding=[0.0, 1.0, 0.0, 0.0],
            metadata_={},
            access_count=0,
        )
        await uow.memories.add(a_stray_memory)
        await uow.commit()
    a.stray_conversation = gid("Conversation", a_stray.id)
    a.stray_appointment = gid("Appointment", a_stray_at.id)
    a.stray_memory = gid("Memory", a_stray_memory.id)
    b.stray_conversation = gid("Conversation", b_stray.id)
    b.stray_appointment = gid("Appointment", b_stray_at.id)
    b.spare_persona = gid("Persona", spare_persona.id)
    b.spare_customer = gid("Customer", spare_customer.id)


async def build_world(api: Api, db: Database, settings: Settings) -> World:
    _, admin_token = await _member(db, settings, "root", Role.ADMIN)
    alice, alice_token = await _member(db, settings, "alice", Role.MEMBER)
    bob, bob_token = await _member(db, settings, "bob", Role.MEMBER)
    a = await _populate(api.as_(alice_token), db, alice, "alice", ALICE_AT, ALICE_CLOSED)
    b = await _populate(api.as_(bob_token), db, bob, "bob", BOB_AT, BOB_CLOSED)
    await _cross_link(db, a, b)
    return World(a=a, b=b, admin=api.as_(admin_token), db=db)


async def owned_rows(db: Database, user_id: UUID) -> dict[str, list[tuple[Any, ...]]]:
    """Every column of every row the user owns (their account, messages and appointment
    histories included), to compare before and after another tenant's attempts."""
    conversations = select(Conversation.id).where(Conversation.owner_id == user_id)
    appointments = select(Appointment.id).where(Appointment.owner_id == user_id)
    snapshot: dict[str, list[tuple[Any, ...]]] = {}
    async with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            if "owner_id" in table.c:
                where = table.c.owner_id == user_id
            elif table.name == Message.__tablename__:
                where = table.c.conversation_id.in_(conversations)
            elif table.name == AppointmentEvent.__tablename__:
                where = table.c.appointment_id.in_(appointments)
            elif table.name == User.__tablename__:
                where = table.c.id == user_id
            else:
                raise AssertionError(f"no tenancy rule for table {table.name}")
            rows = (await connection.execute(select(table).where(where))).all()
            snapshot[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return snapshot
