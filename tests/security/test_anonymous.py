"""Without a token: ``health`` and ``viewer`` answer, every other query is a GraphQL
error with ``extensions.code == "UNAUTHENTICATED"``, every mutation but ``signUp``
and ``logIn`` returns a typed ``Unauthenticated``. The schema's fields are
enumerated, so a new field needs a line here."""

from __future__ import annotations

import json

import graphql
import pytest
from sqlalchemy import func, select

from gql.schema import build_schema
from gql.settings import Settings
from persistence.models import Base
from tests.security.world import gid

ANY_ID = gid("Persona", "0190b1f0-0000-7000-8000-000000000000")

QUERIES = {
    "node": f'{{ node(id: "{ANY_ID}") {{ id }} }}',
    "nodes": f'{{ nodes(ids: ["{ANY_ID}"]) {{ id }} }}',
    "users": "{ users { totalCount } }",
    "personas": "{ personas { totalCount } }",
    "customers": "{ customers { totalCount } }",
    "customerByExternalId": '{ customerByExternalId(channel: WEB, externalId: "x") { id } }',
    "conversations": "{ conversations { totalCount } }",
    "appointments": "{ appointments { totalCount } }",
    "files": "{ files { totalCount } }",
    "availableSlots": '{ availableSlots(date: "2030-01-07", durationMinutes: 30) { startsAt } }',
    "availableSlotsRange": '{ availableSlotsRange(from: "2030-01-07", to: "2030-01-13", '
    "durationMinutes: 30) { date } }",
    "schedule": "{ schedule { timezone } }",
    "usage": '{ usage(filter: {from: "2030-01-01", to: "2030-01-31"}, groupBy: DAY) { key } }',
    "upcomingAppointments": "{ upcomingAppointments(withinHours: 24) { totalCount } }",
    "exportCustomerData": f'{{ exportCustomerData(customerId: "{ANY_ID}") }}',
}
PUBLIC_QUERIES = {"health", "viewer"}

MUTATIONS = {
    "createPersona": 'createPersona(input: {name: "Ada", systemPrompt: "Hi."})',
    "updatePersona": f'updatePersona(input: {{id: "{ANY_ID}", name: "Ada"}})',
    "deletePersona": f'deletePersona(input: {{id: "{ANY_ID}"}})',
    "upsertCustomer": 'upsertCustomer(input: {channel: WEB, externalId: "x"})',
    "updateCustomer": f'updateCustomer(input: {{id: "{ANY_ID}"}})',
    "startConversation": 'startConversation(input: {title: "Hi"})',
    "postMessages": f'postMessages(input: {{conversationId: "{ANY_ID}", '
    'messages: [{role: USER, content: "hi"}]})',
    "deleteConversation": f'deleteConversation(input: {{id: "{ANY_ID}"}})',
    "bookAppointment": f'bookAppointment(input: {{customerId: "{ANY_ID}", '
    'startsAt: "2030-01-07T10:00:00+00:00", durationMinutes: 30})',
    "rescheduleAppointment": f'rescheduleAppointment(input: {{id: "{ANY_ID}", '
    'startsAt: "2030-01-07T10:00:00+00:00"})',
    "confirmAppointment": f'confirmAppointment(input: {{id: "{ANY_ID}"}})',
    "completeAppointment": f'completeAppointment(input: {{id: "{ANY_ID}"}})',
    "cancelAppointment": f'cancelAppointment(input: {{id: "{ANY_ID}"}})',
    "updateSchedule": 'updateSchedule(input: {timezone: "Europe/Berlin", '
    'weeklyHours: [{weekday: MONDAY, opens: "09:00", closes: "12:00"}]})',
    "setScheduleException": 'setScheduleException(input: {date: "2030-01-07", closed: true})',
    "uploadFile": 'uploadFile(input: {file: "not a multipart part"})',
    "deleteFile": f'deleteFile(input: {{id: "{ANY_ID}"}})',
    "setConversationState": f'setConversationState(input: {{conversationId: "{ANY_ID}", '
    'module: "m", key: "k", value: 1})',
    "deleteConversationState": f'deleteConversationState(input: {{conversationId: "{ANY_ID}", '
    'module: "m", key: "k"})',
    "rememberMemories": f'rememberMemories(input: {{conversationId: "{ANY_ID}", '
    'memories: [{content: "x", embedding: [1.0]}]})',
    "updateMemory": f'updateMemory(input: {{id: "{ANY_ID}", content: "x"}})',
    "forgetMemories": f'forgetMemories(input: {{ids: ["{ANY_ID}"]}})',
    "recallMemories": f'recallMemories(input: {{near: [1.0], conversationId: "{ANY_ID}"}})',
    "updateOwnerSettings": "updateOwnerSettings(input: {embeddingDimensions: 8})",
    "createPersonaModule": f'createPersonaModule(input: {{personaId: "{ANY_ID}", '
    'name: "m", type: "t"})',
    "updatePersonaModule": f'updatePersonaModule(input: {{id: "{ANY_ID}", name: "m"}})',
    "deletePersonaModule": f'deletePersonaModule(input: {{id: "{ANY_ID}"}})',
    "eraseCustomer": f'eraseCustomer(input: {{customerId: "{ANY_ID}"}})',
}
PUBLIC_MUTATIONS = {"signUp", "logIn"}


def test_every_root_field_has_an_anonymous_case():
    schema = graphql.build_schema(str(build_schema(Settings(CONCIERGE_ENV="test"))))
    assert set(schema.query_type.fields) == set(QUERIES) | PUBLIC_QUERIES
    assert set(schema.mutation_type.fields) == set(MUTATIONS) | PUBLIC_MUTATIONS


@pytest.mark.parametrize("field", sorted(QUERIES))
async def test_a_query_without_a_token_is_unauthenticated(api, db, field):
    with db.statements() as log:
        body = await api.query(QUERIES[field])

    # A nullable field is null beside its error; a non-null one nulls ``data``.
    assert body["data"] in (None, {field: None})
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
    assert [error["path"] for error in body["errors"]] == [[field]]
    assert log.count == 0, log.statements


@pytest.mark.parametrize("field", sorted(MUTATIONS))
async def test_a_mutation_without_a_token_is_a_typed_unauthenticated(api, db, field):
    body = await api.data(f"mutation {{ {MUTATIONS[field]} {{ errors {{ __typename code }} }} }}")

    assert body[field]["errors"] == [{"__typename": "Unauthenticated", "code": "UNAUTHENTICATED"}]
    async with db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = await connection.scalar(select(func.count()).select_from(table))
            assert rows == 0, table.name


async def test_viewer_without_a_token_is_null(api):
    assert await api.query("{ viewer { id } }") == {"data": {"viewer": None}}


async def test_health_answers_without_a_token(api):
    health = (await api.data("{ health { status database { ok } } }"))["health"]

    assert health["status"] in {"OK", "DEGRADED"} and health["database"]["ok"] is True
    assert "password" not in json.dumps(health).lower()
