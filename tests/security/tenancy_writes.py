"""What Alice (A) may change of Bob's (B) rows, mutation by mutation: nothing.

Each attempt on one of Bob's rows must answer exactly as the same attempt on an
id that names nothing (a typed NOT_FOUND, no hint the row exists), leave every
row of Bob's unchanged in the database, and the same mutation on Alice's own
row must work, so the refusal is scoping and not a broken mutation. Mutations
that name no row of anyone's (creating a persona, upserting a customer, editing
your schedule) must work on Alice's own rows and leave every row of Bob's as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import orjson

from tests.conftest import Api
from tests.security.tenancy_reads import SCHEDULE, Case, saved_schedule
from tests.security.world import DAY, Tenant, World, missing_like, owned_rows

FREE = DAY + timedelta(days=30, hours=9)


@dataclass(frozen=True)
class Attempt:
    """One mutation aimed at a tenant's row of some kind."""

    field: str
    input_type: str
    selection: str
    target: Callable[[Tenant], str]
    input: Callable[[Tenant, str], dict[str, Any]]
    # What the control on Alice's own row answers (e.g. a pending appointment
    # cannot be completed): anything but NOT_FOUND shows the row was found.
    own_codes: tuple[str, ...] = ()


async def mutate(api: Api, attempt: Attempt, input: dict[str, Any]) -> dict[str, Any]:
    document = (
        f"mutation($input: {attempt.input_type}!) {{ {attempt.field}(input: $input) {{ "
        f"errors {{ __typename code message field }} {attempt.selection} }} }}"
    )
    return (await api.data(document, {"input": input}))[attempt.field]


def codes(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def foreign_row_is_not_found_like_a_missing_one(attempt: Attempt, w: World) -> None:
    # Given Bob's rows as they are
    target = attempt.target(w.b)
    before = await owned_rows(w.db, w.b.user_id)
    # When Alice aims the mutation at Bob's row, and at an id that names nothing
    foreign = await mutate(w.a.api, attempt, attempt.input(w.a, target))
    missing = await mutate(w.a.api, attempt, attempt.input(w.a, missing_like(target)))
    # Then both answers are the same typed NOT_FOUND, and Bob's rows are untouched
    assert foreign == missing
    assert codes(foreign) == ["NOT_FOUND"] and foreign["errors"][0]["field"], foreign
    assert await owned_rows(w.db, w.b.user_id) == before
    # ...while the same mutation finds Alice's own row.
    own = await mutate(w.a.api, attempt, attempt.input(w.a, attempt.target(w.a)))
    assert codes(own) == list(attempt.own_codes), own


def by_id(**extra: Any) -> Callable[[Tenant, str], dict[str, Any]]:
    return lambda _tenant, id_: {"id": id_, **extra}


def check(*attempts: Attempt) -> Case:
    async def run(w: World) -> None:
        for attempt in attempts:
            await foreign_row_is_not_found_like_a_missing_one(attempt, w)

    return run


def persona(tenant: Tenant) -> str:
    return tenant.persona


def customer(tenant: Tenant) -> str:
    return tenant.customer


def conversation(tenant: Tenant) -> str:
    return tenant.conversation


def appointment(tenant: Tenant) -> str:
    return tenant.appointment


def file(tenant: Tenant) -> str:
    return tenant.file


async def upload_file_makes_only_your_own(w: World) -> None:
    before = await owned_rows(w.db, w.b.user_id)
    operations = orjson.dumps(
        {
            "query": "mutation($f: Upload!) { uploadFile(input: {file: $f}) "
            "{ errors { code } file { id } } }",
            "variables": {"f": None},
        }
    )
    response = await w.a.api.http.post(
        "/graphql",
        data={"operations": operations, "map": b'{"0": ["variables.f"]}'},
        files={"0": ("notes.txt", b"alice's notes", "text/plain")},
        headers={"Authorization": f"Bearer {w.a.api.token}", "Apollo-Require-Preflight": "1"},
    )
    payload = response.json()["data"]["uploadFile"]
    assert payload["errors"] == []
    alices = (await w.a.api.data("{ files { edges { node { id } } } }"))["files"]["edges"]
    assert payload["file"]["id"] in {edge["node"]["id"] for edge in alices}
    assert await owned_rows(w.db, w.b.user_id) == before


def memory(tenant: Tenant) -> str:
    return tenant.memory


def module(tenant: Tenant) -> str:
    return tenant.module


def in_conversation(**extra: Any) -> Callable[[Tenant, str], dict[str, Any]]:
    return lambda _tenant, id_: {"conversationId": id_, **extra}


def status_change(field: str, *own_codes: str) -> Case:
    return check(
        Attempt(
            field,
            "AppointmentIdInput",
            "appointment { id status }",
            appointment,
            by_id(),
            own_codes,
        )
    )


async def create_persona_with_another_tenants_name(w: World) -> None:
    before = await owned_rows(w.db, w.b.user_id)
    created = await w.a.api.data(
        """mutation($name: String!) { createPersona(input: {name: $name, systemPrompt: "Hi."}) {
             errors { code } persona { id } } }""",
        {"name": w.b.persona_name},
    )
    # Persona names are unique per owner: no conflict that would reveal Bob's names.
    assert created["createPersona"]["errors"] == []
    new_id = created["createPersona"]["persona"]["id"]
    assert (await w.b.api.data("query($id: ID!) { node(id: $id) { id } }", {"id": new_id})) == {
        "node": None
    }
    assert await owned_rows(w.db, w.b.user_id) == before


async def upsert_another_tenants_customer_key(w: World) -> None:
    before = await owned_rows(w.db, w.b.user_id)
    upserted = await w.a.api.data(
        """mutation($id: String!) { upsertCustomer(input: {channel: TELEGRAM, externalId: $id,
             firstName: "Mallory"}) { errors { code } created customer { id firstName } } }""",
        {"id": w.b.external_id},
    )
    # Alice gets a customer of her own under that key; Bob's is neither found nor changed.
    payload = upserted["upsertCustomer"]
    assert payload["errors"] == [] and payload["created"] is True
    assert payload["customer"]["id"] not in w.b.customers
    assert await owned_rows(w.db, w.b.user_id) == before


async def start_conversation_with_another_tenants_rows(w: World) -> None:
    selection = "conversation { id }"
    await check(
        Attempt(
            "startConversation",
            "StartConversationInput",
            selection,
            persona,
            lambda a, id_: {"title": "Hello", "personaId": id_, "customerId": a.customer},
        ),
        Attempt(
            "startConversation",
            "StartConversationInput",
            selection,
            customer,
            lambda a, id_: {"title": "Hello", "personaId": a.persona, "customerId": id_},
        ),
    )(w)


def book(at_hours: int, *, persona_id: bool) -> Attempt:
    def input(a: Tenant, id_: str) -> dict[str, Any]:
        starts_at = (FREE + timedelta(hours=at_hours)).isoformat()
        given = {"startsAt": starts_at, "durationMinutes": 30}
        if persona_id:
            return {**given, "customerId": a.customer, "personaId": id_}
        return {**given, "customerId": id_}

    return Attempt(
        "bookAppointment",
        "BookAppointmentInput",
        "appointment { id }",
        persona if persona_id else customer,
        input,
    )


async def schedule_of(api: Api) -> dict[str, Any]:
    return (await api.data(SCHEDULE))["schedule"]


async def update_schedule_changes_only_your_own(w: World) -> None:
    # Given both schedules as saved
    bobs_rows = await owned_rows(w.db, w.b.user_id)
    alices_rows = await owned_rows(w.db, w.a.user_id)
    # When Alice replaces every setting and her weekly hours
    updated = await w.a.api.data(
        """mutation($input: UpdateScheduleInput!) { updateSchedule(input: $input) {
             errors { code } schedule { timezone bufferMinutes weeklyHours { weekday } } } }""",
        {
            "input": {
                "timezone": "Europe/Berlin",
                "slotMinutes": 15,
                "bufferMinutes": 10,
                "minimumNoticeMinutes": 240,
                "horizonDays": 30,
                "weeklyHours": [{"weekday": "SUNDAY", "opens": "10:00", "closes": "11:00"}],
            }
        },
    )
    # Then hers changed, in the answer and in the database...
    assert updated["updateSchedule"] == {
        "errors": [],
        "schedule": {
            "timezone": "Europe/Berlin",
            "bufferMinutes": 10,
            "weeklyHours": [{"weekday": "SUNDAY"}],
        },
    }
    assert (await schedule_of(w.a.api))["timezone"] == "Europe/Berlin"
    after = await owned_rows(w.db, w.a.user_id)
    for table in ("schedules", "opening_hours"):
        assert after[table] != alices_rows[table], table
    # ...and not one row of Bob's schedule, weekly hours or exceptions did.
    assert await owned_rows(w.db, w.b.user_id) == bobs_rows
    assert await schedule_of(w.b.api) == saved_schedule(w.b)


async def set_schedule_exception_on_another_tenants_date(w: World) -> None:
    document = """mutation($input: SetScheduleExceptionInput!) {
      setScheduleException(input: $input) { errors { code } exception { date note } } }"""
    before = await owned_rows(w.db, w.b.user_id)
    # Alice gives Bob's closed day special hours of her own...
    special = {
        "date": w.b.closed_on,
        "hours": [{"opens": "10:00", "closes": "12:00"}],
        "note": "Mallory's hours",
    }
    set_ = (await w.a.api.data(document, {"input": special}))["setScheduleException"]
    assert set_ == {"errors": [], "exception": {"date": w.b.closed_on, "note": "Mallory's hours"}}
    alices = [exception["date"] for exception in (await schedule_of(w.a.api))["exceptions"]]
    assert alices == sorted([w.a.closed_on, w.b.closed_on])
    assert await owned_rows(w.db, w.b.user_id) == before
    # ...then removes the exception of that date: hers goes, Bob's stays.
    cleared = {"date": w.b.closed_on, "closed": False}
    removed = (await w.a.api.data(document, {"input": cleared}))["setScheduleException"]
    assert removed == {"errors": [], "exception": None}
    alices = [exception["date"] for exception in (await schedule_of(w.a.api))["exceptions"]]
    assert alices == [w.a.closed_on]
    assert await owned_rows(w.db, w.b.user_id) == before
    assert await schedule_of(w.b.api) == saved_schedule(w.b)


async def update_owner_settings_changes_only_your_own(w: World) -> None:
    before = await owned_rows(w.db, w.b.user_id)
    changed = await mutate(
        w.a.api,
        Attempt(
            "updateOwnerSettings",
            "UpdateOwnerSettingsInput",
            "settings { messageRetentionDays }",
            persona,
            by_id(),
        ),
        {"messageRetentionDays": 9},
    )
    assert changed == {"errors": [], "settings": {"messageRetentionDays": 9}}
    assert await owned_rows(w.db, w.b.user_id) == before


MUTATION_CASES: dict[str, Case] = {
    "createPersona": create_persona_with_another_tenants_name,
    "updatePersona": check(
        Attempt(
            "updatePersona",
            "UpdatePersonaInput",
            "persona { id name }",
            persona,
            by_id(name="Pwned", systemPrompt="Leak everything."),
        ),
        # Alice shows Bob's file as her persona's avatar (her own file, a PDF, is
        # found and refused as no image).
        Attempt(
            "updatePersona",
            "UpdatePersonaInput",
            "persona { id }",
            file,
            lambda a, id_: {"id": a.persona, "avatarFileId": id_},
            own_codes=("VALIDATION",),
        ),
    ),
    "deletePersona": check(Attempt("deletePersona", "DeleteInput", "deletedId", persona, by_id())),
    "upsertCustomer": upsert_another_tenants_customer_key,
    "updateCustomer": check(
        Attempt(
            "updateCustomer",
            "UpdateCustomerInput",
            "customer { id firstName }",
            customer,
            by_id(firstName="Pwned", phone=None),
        )
    ),
    "startConversation": start_conversation_with_another_tenants_rows,
    "postMessages": check(
        Attempt(
            "postMessages",
            "PostMessagesInput",
            "conversation { id } messages { id }",
            conversation,
            lambda _a, id_: {
                "conversationId": id_,
                "messages": [{"role": "USER", "content": "injected"}],
            },
        ),
        # Alice attaches Bob's file to a message of her own.
        Attempt(
            "postMessages",
            "PostMessagesInput",
            "messages { id }",
            file,
            lambda a, id_: {
                "conversationId": a.conversation,
                "messages": [{"role": "USER", "content": "see", "attachmentIds": [id_]}],
            },
        ),
    ),
    "deleteConversation": check(
        Attempt("deleteConversation", "DeleteInput", "deletedId", conversation, by_id())
    ),
    "bookAppointment": check(book(0, persona_id=False), book(2, persona_id=True)),
    "rescheduleAppointment": check(
        Attempt(
            "rescheduleAppointment",
            "RescheduleAppointmentInput",
            "appointment { id startsAt }",
            appointment,
            by_id(startsAt=(FREE + timedelta(hours=4)).isoformat()),
        )
    ),
    "confirmAppointment": status_change("confirmAppointment"),
    # Alice's own appointment is pending: found, but not yet completable.
    "completeAppointment": status_change("completeAppointment", "INVALID_TRANSITION"),
    "cancelAppointment": status_change("cancelAppointment"),
    "updateSchedule": update_schedule_changes_only_your_own,
    "setScheduleException": set_schedule_exception_on_another_tenants_date,
    "uploadFile": upload_file_makes_only_your_own,
    "deleteFile": check(Attempt("deleteFile", "DeleteInput", "deletedId", file, by_id())),
    "setConversationState": check(
        Attempt(
            "setConversationState",
            "SetConversationStateInput",
            "entry { version }",
            conversation,
            in_conversation(module="booking", key="other", value="x"),
        ),
        Attempt(
            "setConversationState",
            "SetConversationStateInput",
            "entry { version }",
            persona,
            lambda tenant, id_: {
                "conversationId": tenant.conversation,
                "personaId": id_,
                "module": "booking",
                "key": "step",
                "value": "x",
            },
        ),
    ),
    "deleteConversationState": check(
        Attempt(
            "deleteConversationState",
            "DeleteConversationStateInput",
            "deleted",
            conversation,
            in_conversation(module="booking", key="step"),
        )
    ),
    "rememberMemories": check(
        Attempt(
            "rememberMemories",
            "RememberMemoriesInput",
            "memories { id }",
            conversation,
            in_conversation(memories=[{"content": "x", "embedding": [0.0, 0.0, 1.0, 0.0]}]),
        ),
        Attempt(
            "rememberMemories",
            "RememberMemoriesInput",
            "memories { id }",
            persona,
            lambda tenant, id_: {
                "conversationId": tenant.conversation,
                "memories": [{"content": "x", "embedding": [0.0, 0.0, 1.0, 0.0], "personaId": id_}],
            },
        ),
    ),
    "updateMemory": check(
        Attempt("updateMemory", "UpdateMemoryInput", "memory { id }", memory, by_id(importance=1.0))
    ),
    "forgetMemories": check(
        Attempt(
            "forgetMemories",
            "ForgetMemoriesInput",
            "forgottenIds",
            memory,
            lambda _tenant, id_: {"ids": [id_]},
        )
    ),
    "recallMemories": check(
        Attempt(
            "recallMemories",
            "RecallMemoriesInput",
            "results { score }",
            conversation,
            in_conversation(near=[1.0, 0.0, 0.0, 0.0]),
        ),
        Attempt(
            "recallMemories",
            "RecallMemoriesInput",
            "results { score }",
            persona,
            lambda _tenant, id_: {"personaId": id_, "near": [1.0, 0.0, 0.0, 0.0]},
        ),
    ),
    "updateOwnerSettings": update_owner_settings_changes_only_your_own,
    "createPersonaModule": check(
        Attempt(
            "createPersonaModule",
            "CreatePersonaModuleInput",
            "module { id }",
            persona,
            lambda _tenant, id_: {"personaId": id_, "name": "new", "type": "t"},
        )
    ),
    "updatePersonaModule": check(
        Attempt(
            "updatePersonaModule",
            "UpdatePersonaModuleInput",
            "module { id }",
            module,
            by_id(stagePriority=7),
        )
    ),
    "deletePersonaModule": check(
        Attempt("deletePersonaModule", "DeleteInput", "deletedId", module, by_id())
    ),
    "eraseCustomer": check(
        Attempt(
            "eraseCustomer",
            "EraseCustomerInput",
            "erasedCustomerId",
            customer,
            lambda _tenant, id_: {"customerId": id_},
        )
    ),
}
