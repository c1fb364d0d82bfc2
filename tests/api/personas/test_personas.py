"""Personas over HTTP: create, update, delete, list, and their conversations."""

from __future__ import annotations

import pytest

from persistence.models import new_id
from tests.api.wire import ERRORS, global_id, refusal, user_errors
from tests.factories import make_conversation, make_customer, make_persona

PERSONA = """id name description systemPrompt firstMessage isActive
  aiSettings { model temperature maxTokens } voiceSettings { voice language speed }"""
CREATE = f"""mutation($input: CreatePersonaInput!) {{
  createPersona(input: $input) {{ persona {{ {PERSONA} }} {ERRORS} }}
}}"""
UPDATE = f"""mutation($input: UpdatePersonaInput!) {{
  updatePersona(input: $input) {{ persona {{ {PERSONA} }} {ERRORS} }}
}}"""
DELETE = f"""mutation($id: ID!) {{
  deletePersona(input: {{id: $id}}) {{ deletedId {ERRORS} }}
}}"""


async def test_create_persona_with_default_settings(operator):
    data = await operator.api.data(CREATE, {"input": {"name": " Ada ", "systemPrompt": "Be kind."}})

    payload = data["createPersona"]
    assert payload["errors"] == []
    assert payload["persona"]["name"] == "Ada"
    assert payload["persona"]["isActive"] is True
    assert payload["persona"]["aiSettings"] == {
        "model": "gpt-4o-mini",
        "temperature": 0.7,
        "maxTokens": 1024,
    }
    assert payload["persona"]["voiceSettings"] == {"voice": "alloy", "language": "en", "speed": 1.0}


async def test_create_persona_with_typed_settings_round_trips_them(operator):
    settings = {
        "aiSettings": {"model": "claude", "temperature": 0.2, "maxTokens": 4000},
        "voiceSettings": {"voice": "nova", "language": "de", "speed": 1.5},
    }
    created = await operator.api.data(
        CREATE, {"input": {"name": "Ada", "systemPrompt": "Hi", "isActive": False, **settings}}
    )
    persona_id = created["createPersona"]["persona"]["id"]

    read = await operator.api.data(
        f"query($id: ID!) {{ node(id: $id) {{ ... on Persona {{ {PERSONA} }} }} }}",
        {"id": persona_id},
    )

    assert read["node"] == created["createPersona"]["persona"]
    assert read["node"]["aiSettings"] == settings["aiSettings"]
    assert read["node"]["isActive"] is False


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "input.name"),
        ({"name": "x" * 101}, "input.name"),
        ({"systemPrompt": ""}, "input.systemPrompt"),
        ({"systemPrompt": "x" * 20_001}, "input.systemPrompt"),
        ({"description": "x" * 2001}, "input.description"),
        ({"firstMessage": "x" * 4001}, "input.firstMessage"),
        ({"aiSettings": {"temperature": 2.5}}, "input.aiSettings.temperature"),
        ({"aiSettings": {"maxTokens": 0}}, "input.aiSettings.maxTokens"),
        ({"aiSettings": {"model": ""}}, "input.aiSettings.model"),
        ({"voiceSettings": {"speed": 9}}, "input.voiceSettings.speed"),
        ({"voiceSettings": {"language": ""}}, "input.voiceSettings.language"),
    ],
)
async def test_create_persona_refuses_invalid_input_naming_the_field(operator, db, fields, field):
    data = await operator.api.data(
        CREATE, {"input": {"name": "Ada", "systemPrompt": "Hi"} | fields}
    )

    assert user_errors(data["createPersona"]) == [("ValidationError", "VALIDATION", field)]
    assert data["createPersona"]["persona"] is None
    async with db.uow() as uow:
        assert await uow.personas.count() == 0


async def test_a_second_persona_of_the_same_name_is_a_conflict(operator, rival):
    await operator.api.data(CREATE, {"input": {"name": "Ada", "systemPrompt": "Hi"}})

    again = await operator.api.data(CREATE, {"input": {"name": "Ada", "systemPrompt": "Hi"}})
    rivals = await rival.api.data(CREATE, {"input": {"name": "Ada", "systemPrompt": "Hi"}})

    assert user_errors(again["createPersona"]) == [("ConflictError", "CONFLICT", "input.name")]
    assert rivals["createPersona"]["errors"] == []


async def test_create_persona_without_a_token_is_unauthenticated(api, db):
    data = await api.data(CREATE, {"input": {"name": "Ada", "systemPrompt": "Hi"}})

    assert user_errors(data["createPersona"]) == [("Unauthenticated", "UNAUTHENTICATED", None)]
    async with db.uow() as uow:
        assert await uow.personas.count() == 0


async def test_update_persona_changes_only_the_given_fields(operator, seed):
    async with seed() as uow:
        persona = await make_persona(
            uow, operator.user, name="Ada", description="Old", first_message="Hello"
        )

    data = await operator.api.data(
        UPDATE,
        {
            "input": {
                "id": global_id("Persona", persona.id),
                "name": "Bea",
                "firstMessage": None,
                "voiceSettings": {"voice": "echo"},
            }
        },
    )

    updated = data["updatePersona"]["persona"]
    assert data["updatePersona"]["errors"] == []
    assert updated["name"] == "Bea"
    assert updated["description"] == "Old"
    assert updated["firstMessage"] is None
    assert updated["systemPrompt"] == "You are helpful."
    assert updated["voiceSettings"] == {"voice": "echo", "language": "en", "speed": 1.0}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": None}, "input.name"),
        ({"systemPrompt": None}, "input.systemPrompt"),
        ({"isActive": None}, "input.isActive"),
        ({"name": ""}, "input.name"),
        ({"aiSettings": {"temperature": -1}}, "input.aiSettings.temperature"),
    ],
)
async def test_update_persona_refuses_invalid_input(operator, seed, db, fields, field):
    async with seed() as uow:
        persona = await make_persona(uow, operator.user, name="Ada")

    data = await operator.api.data(
        UPDATE, {"input": {"id": global_id("Persona", persona.id)} | fields}
    )

    assert user_errors(data["updatePersona"]) == [("ValidationError", "VALIDATION", field)]
    async with db.uow() as uow:
        (stored,) = await uow.personas.get_many([persona.id])
    assert stored.name == "Ada"
    assert stored.ai_settings["temperature"] == 0.7


async def test_renaming_a_persona_to_a_taken_name_is_a_conflict(operator, seed, db):
    async with seed() as uow:
        await make_persona(uow, operator.user, name="Ada")
        bea = await make_persona(uow, operator.user, name="Bea")

    data = await operator.api.data(
        UPDATE, {"input": {"id": global_id("Persona", bea.id), "name": "Ada"}}
    )

    assert user_errors(data["updatePersona"]) == [("ConflictError", "CONFLICT", "input.name")]
    async with db.uow() as uow:
        assert (await uow.personas.get(bea.id)).name == "Bea"


async def test_update_or_delete_of_a_missing_foreign_or_mistyped_id_is_not_found(
    operator, rival, seed
):
    async with seed() as uow:
        theirs = await make_persona(uow, rival.user)
        customer = await make_customer(uow, operator.user)
    ids = [
        global_id("Persona", new_id()),
        global_id("Persona", theirs.id),
        global_id("Customer", customer.id),
        global_id("Persona", "not-a-uuid"),
    ]

    for persona_id in ids:
        updated = await operator.api.data(UPDATE, {"input": {"id": persona_id, "name": "Mine"}})
        deleted = await operator.api.data(DELETE, {"id": persona_id})

        assert user_errors(updated["updatePersona"]) == [("NotFoundError", "NOT_FOUND", "input.id")]
        assert user_errors(deleted["deletePersona"]) == [("NotFoundError", "NOT_FOUND", "input.id")]
    read = await rival.api.data(
        "query($id: ID!) { node(id: $id) { ... on Persona { name } } }",
        {"id": global_id("Persona", theirs.id)},
    )
    assert read["node"] == {"name": theirs.name}


async def test_update_and_delete_need_a_token(api, operator, seed):
    async with seed() as uow:
        persona = await make_persona(uow, operator.user)
    persona_id = global_id("Persona", persona.id)

    updated = await api.data(UPDATE, {"input": {"id": persona_id, "name": "Mine"}})
    deleted = await api.data(DELETE, {"id": persona_id})

    assert user_errors(updated["updatePersona"]) == [("Unauthenticated", "UNAUTHENTICATED", None)]
    assert user_errors(deleted["deletePersona"]) == [("Unauthenticated", "UNAUTHENTICATED", None)]


async def test_deleting_a_persona_keeps_its_conversations_without_a_persona(operator, seed):
    async with seed() as uow:
        persona = await make_persona(uow, operator.user)
        conversation = await make_conversation(uow, operator.user, persona)
    persona_id = global_id("Persona", persona.id)

    data = await operator.api.data(DELETE, {"id": persona_id})
    after = await operator.api.data(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Conversation { persona { id } } } }",
        {"ids": [persona_id, global_id("Conversation", conversation.id)]},
    )

    assert data["deletePersona"] == {"deletedId": persona_id, "errors": []}
    assert after["nodes"] == [
        None,
        {"id": global_id("Conversation", conversation.id), "persona": None},
    ]


async def test_personas_lists_only_mine_filtered_and_ordered(operator, rival, seed):
    async with seed() as uow:
        for name, active in (("Cleo", True), ("Ada", True), ("Bea", False), ("Adam", True)):
            await make_persona(uow, operator.user, name=name, is_active=active)
        await make_persona(uow, rival.user, name="Adelaide")

    everything = await operator.api.data("{ personas { totalCount edges { node { name } } } }")
    filtered = await operator.api.data(
        """{ personas(filter: {isActive: true, nameContains: "aD"}, orderBy: CREATED_AT_DESC) {
             totalCount edges { node { name } } } }"""
    )

    assert everything["personas"]["totalCount"] == 4
    names = [edge["node"]["name"] for edge in everything["personas"]["edges"]]
    assert names == ["Ada", "Adam", "Bea", "Cleo"]
    assert filtered["personas"]["totalCount"] == 2
    assert [edge["node"]["name"] for edge in filtered["personas"]["edges"]] == ["Adam", "Ada"]


async def test_personas_without_a_token_is_unauthenticated(api):
    body = await api.query("{ personas { totalCount } }")

    code, _ = refusal(body)
    assert code == "UNAUTHENTICATED"


async def test_a_persona_lists_its_conversations_with_their_counts(operator, seed):
    async with seed() as uow:
        persona = await make_persona(uow, operator.user)
        other = await make_persona(uow, operator.user)
        for title in ("One", "Two"):
            await make_conversation(uow, operator.user, persona, title=title)
        await make_conversation(uow, operator.user, other, title="Elsewhere")

    data = await operator.api.data(
        """query($id: ID!) { node(id: $id) { ... on Persona {
             conversations(orderBy: CREATED_AT_DESC) {
               totalCount edges { node { title persona { id } } } } } } }""",
        {"id": global_id("Persona", persona.id)},
    )

    conversations = data["node"]["conversations"]
    assert conversations["totalCount"] == 2
    assert [edge["node"]["title"] for edge in conversations["edges"]] == ["Two", "One"]
    assert {edge["node"]["persona"]["id"] for edge in conversations["edges"]} == {
        global_id("Persona", persona.id)
    }
