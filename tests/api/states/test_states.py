"""Conversation state over HTTP: compare-and-set writes on a version, typed
conflicts carrying what is stored, reads by module and key, tenancy, and
twenty racing writers of which exactly one wins."""

from __future__ import annotations

import asyncio

import pytest

from tests.api.core.test_concurrency import connections_in_use

pytestmark = pytest.mark.pgvector

ERRORS = """errors { __typename code message field
  ... on VersionConflict { currentVersion currentValue } }"""
SET = f"""mutation($input: SetConversationStateInput!) {{
  setConversationState(input: $input) {{
    entry {{ module key value version persona {{ name }} }} {ERRORS} }} }}"""
DELETE = f"""mutation($input: DeleteConversationStateInput!) {{
  deleteConversationState(input: $input) {{ deleted {ERRORS} }} }}"""
STATE = """query($id: ID!, $module: String, $keys: [String!], $personaId: ID) {
  node(id: $id) { ... on Conversation {
    state(module: $module, keys: $keys, personaId: $personaId) {
      module key value version persona { name } } } } }"""


async def start_conversation(member, persona_id: str | None = None) -> str:
    data = await member.data(
        """mutation($input: StartConversationInput!) {
             startConversation(input: $input) { conversation { id } errors { message } } }""",
        {"input": {"title": "Booking", "personaId": persona_id}},
    )
    return data["startConversation"]["conversation"]["id"]


async def create_persona(member, name: str = "Mia") -> str:
    data = await member.data(
        """mutation($input: CreatePersonaInput!) {
             createPersona(input: $input) { persona { id } errors { message } } }""",
        {"input": {"name": name, "systemPrompt": "Be kind."}},
    )
    return data["createPersona"]["persona"]["id"]


async def set_state(member, conversation: str, value, expected, **extra) -> dict:
    input = {
        "conversationId": conversation,
        "module": "booking",
        "key": "step",
        "value": value,
        "expectedVersion": expected,
        **extra,
    }
    return (await member.data(SET, {"input": input}))["setConversationState"]


async def state_of(member, conversation: str, **arguments) -> list[dict]:
    data = await member.data(STATE, {"id": conversation, **arguments})
    return data["node"]["state"]


async def test_a_first_write_creates_version_one_and_each_write_moves_it_on(operator):
    ada = operator.api
    conversation = await start_conversation(ada)

    first = await set_state(ada, conversation, {"step": "pick_slot"}, 0)
    second = await set_state(ada, conversation, {"step": "confirm", "slot": "10:00"}, 1)

    assert first["errors"] == [] and first["entry"]["version"] == 1
    assert second["errors"] == []
    assert second["entry"] == {
        "module": "booking",
        "key": "step",
        "value": {"step": "confirm", "slot": "10:00"},
        "version": 2,
        "persona": None,
    }
    assert await state_of(ada, conversation) == [second["entry"]]


async def test_a_stale_expected_version_is_a_version_conflict_with_what_is_stored(operator):
    ada = operator.api
    conversation = await start_conversation(ada)
    await set_state(ada, conversation, "offered", None)
    await set_state(ada, conversation, "chosen", 1)

    stale = await set_state(ada, conversation, "lost update", 1)
    again = await set_state(ada, conversation, "duplicate create", 0)

    for refused in (stale, again):
        assert refused["entry"] is None
        (error,) = refused["errors"]
        assert error["__typename"] == "VersionConflict"
        assert error["code"] == "VERSION_CONFLICT"
        assert error["field"] == "input.expectedVersion"
        assert (error["currentVersion"], error["currentValue"]) == (2, "chosen")
    assert [(e["value"], e["version"]) for e in await state_of(ada, conversation)] == [
        ("chosen", 2)
    ]


async def test_updating_a_key_that_does_not_exist_conflicts_with_version_zero(operator):
    ada = operator.api
    conversation = await start_conversation(ada)

    result = await set_state(ada, conversation, "x", 3)

    (error,) = result["errors"]
    assert (error["__typename"], error["currentVersion"], error["currentValue"]) == (
        "VersionConflict",
        0,
        None,
    )


async def test_keys_are_separate_per_persona_module_and_key_and_reads_select_them(operator):
    ada = operator.api
    mia = await create_persona(ada)
    conversation = await start_conversation(ada, mia)

    await set_state(ada, conversation, "without persona", 0)
    await set_state(ada, conversation, "with persona", 0, personaId=mia)
    slots = {"conversationId": conversation, "module": "booking", "key": "slots"}
    await ada.data(SET, {"input": {**slots, "value": ["10:00", "11:00"]}})
    other = {"conversationId": conversation, "module": "greeting", "key": "step"}
    await ada.data(SET, {"input": {**other, "value": "done"}})

    everything = await state_of(ada, conversation)
    keys = await state_of(ada, conversation, module="booking", keys=["step"])
    of_mia = await state_of(ada, conversation, personaId=mia)

    assert [(e["module"], e["key"], e["value"]) for e in everything] == [
        ("booking", "slots", ["10:00", "11:00"]),
        ("booking", "step", "without persona"),
        ("booking", "step", "with persona"),
        ("greeting", "step", "done"),
    ]
    assert sorted(e["value"] for e in keys) == ["with persona", "without persona"]
    assert [(e["value"], e["persona"]) for e in of_mia] == [("with persona", {"name": "Mia"})]


async def test_delete_removes_a_key_at_its_version_only(operator):
    ada = operator.api
    conversation = await start_conversation(ada)
    await set_state(ada, conversation, "a", 0)
    where = {"conversationId": conversation, "module": "booking", "key": "step"}

    stale = await ada.data(DELETE, {"input": {**where, "expectedVersion": 7}})
    done = await ada.data(DELETE, {"input": {**where, "expectedVersion": 1}})
    gone = await ada.data(DELETE, {"input": where})

    assert stale["deleteConversationState"]["errors"][0]["__typename"] == "VersionConflict"
    assert done["deleteConversationState"] == {"deleted": True, "errors": []}
    assert gone["deleteConversationState"]["errors"][0]["__typename"] == "NotFoundError"
    assert await state_of(ada, conversation) == []


async def test_another_owners_conversation_or_persona_is_not_found(operator, rival):
    conversation = await start_conversation(operator.api)
    foreign_persona = await create_persona(rival.api, "Rex")
    await set_state(operator.api, conversation, "mine", 0)

    by_rival = await set_state(rival.api, conversation, "theirs", 0)
    with_foreign_persona = await set_state(
        operator.api, conversation, "x", 0, personaId=foreign_persona
    )
    deleted = await rival.api.data(
        DELETE, {"input": {"conversationId": conversation, "module": "booking", "key": "step"}}
    )

    assert by_rival["errors"][0]["__typename"] == "NotFoundError"
    assert by_rival["errors"][0]["field"] == "input.conversationId"
    assert with_foreign_persona["errors"][0]["field"] == "input.personaId"
    assert deleted["deleteConversationState"]["errors"][0]["__typename"] == "NotFoundError"
    assert [e["value"] for e in await state_of(operator.api, conversation)] == ["mine"]


async def test_bad_input_is_refused_and_nothing_is_written(operator):
    ada = operator.api
    conversation = await start_conversation(ada)

    long_key = await ada.data(
        SET,
        {"input": {"conversationId": conversation, "module": "m", "key": "k" * 201, "value": 1}},
    )
    empty_module = await ada.data(
        SET, {"input": {"conversationId": conversation, "module": " ", "key": "k", "value": 1}}
    )
    too_big = await set_state(ada, conversation, "x" * 70_000, 0)
    negative = await set_state(ada, conversation, 1, -1)

    assert long_key["setConversationState"]["errors"][0]["field"] == "input.key"
    assert empty_module["setConversationState"]["errors"][0]["field"] == "input.module"
    assert too_big["errors"][0]["field"] == "input.value"
    assert negative["errors"][0]["field"] == "input.expectedVersion"
    assert await state_of(ada, conversation) == []


async def test_state_reads_refuse_a_malformed_persona_id_and_too_many_keys(operator):
    conversation = await start_conversation(operator.api)

    bad_id = await operator.api.query(STATE, {"id": conversation, "personaId": "nope"})
    many = await operator.api.query(STATE, {"id": conversation, "keys": ["k"] * 101})

    assert bad_id["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "personaId"}
    assert many["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "argument": "keys"}


@pytest.mark.parametrize("expected", [0, 1])
async def test_twenty_concurrent_writers_with_the_same_expected_version_one_wins(
    operator, db, expected
):
    ada = operator.api
    conversation = await start_conversation(ada)
    if expected:
        await set_state(ada, conversation, "start", 0)

    with connections_in_use(db.engine) as overlap:
        results = await asyncio.gather(
            *(set_state(ada, conversation, f"writer {n}", expected) for n in range(20))
        )

    won = [r for r in results if r["errors"] == []]
    assert len(won) == 1
    winner = won[0]["entry"]
    assert winner["version"] == expected + 1
    conflicts = [r["errors"][0] for r in results if r["errors"]]
    assert len(conflicts) == 19
    assert {e["__typename"] for e in conflicts} == {"VersionConflict"}
    assert {(e["currentVersion"], e["currentValue"]) for e in conflicts} == {
        (winner["version"], winner["value"])
    }
    (stored,) = await state_of(ada, conversation)
    assert (stored["value"], stored["version"]) == (winner["value"], winner["version"])
    assert overlap.peak > 1
