"""Persona modules and the persona fields the assistants use: create, change and
delete modules, `Persona.modules` in stage priority order, typed refusals,
tenancy."""

from __future__ import annotations

from tests.api.states.test_states import create_persona

ERRORS = "errors { __typename code message field }"
MODULE = """id name type triggerPattern content script executionContext requiresAiInference
  stagePriority isActive persona { name }"""
CREATE = f"""mutation($input: CreatePersonaModuleInput!) {{
  createPersonaModule(input: $input) {{ module {{ {MODULE} }} {ERRORS} }} }}"""
UPDATE = f"""mutation($input: UpdatePersonaModuleInput!) {{
  updatePersonaModule(input: $input) {{ module {{ {MODULE} }} {ERRORS} }} }}"""
DELETE = (
    f"""mutation($id: ID!) {{ deletePersonaModule(input: {{id: $id}}) {{ deletedId {ERRORS} }} }}"""
)
MODULES = """query($id: ID!) { node(id: $id) { ... on Persona {
  modules { name stagePriority executionContext } } } }"""


async def create_module(member, persona: str, **fields) -> dict:
    input = {"personaId": persona, "name": "booking", "type": "scheduler", **fields}
    return (await member.data(CREATE, {"input": input}))["createPersonaModule"]


async def modules_of(member, persona: str) -> list[dict]:
    return (await member.data(MODULES, {"id": persona}))["node"]["modules"]


async def test_a_module_is_created_with_its_defaults_and_listed_by_stage_priority(operator):
    ada = operator.api
    mia = await create_persona(ada)

    created = await create_module(
        ada,
        mia,
        triggerPattern="(?i)book|appointment",
        content="Offer three slots.",
        executionContext="POST_RESPONSE",
        requiresAiInference=True,
        stagePriority=20,
    )
    await create_module(ada, mia, name="greeting", type="prompt", stagePriority=5)
    await create_module(ada, mia, name="memory", type="extractor", executionContext="ON_DEMAND")

    assert created["errors"] == []
    assert {k: v for k, v in created["module"].items() if k != "id"} == {
        "name": "booking",
        "type": "scheduler",
        "triggerPattern": "(?i)book|appointment",
        "content": "Offer three slots.",
        "script": None,
        "executionContext": "POST_RESPONSE",
        "requiresAiInference": True,
        "stagePriority": 20,
        "isActive": True,
        "persona": {"name": "Mia"},
    }
    assert await modules_of(ada, mia) == [
        {"name": "greeting", "stagePriority": 5, "executionContext": "IMMEDIATE"},
        {"name": "booking", "stagePriority": 20, "executionContext": "POST_RESPONSE"},
        {"name": "memory", "stagePriority": 100, "executionContext": "ON_DEMAND"},
    ]


async def test_updating_a_module_reorders_the_list_and_delete_removes_it(operator):
    ada = operator.api
    mia = await create_persona(ada)
    first = (await create_module(ada, mia, name="a", stagePriority=1))["module"]
    await create_module(ada, mia, name="b", stagePriority=2)

    moved = await ada.data(
        UPDATE,
        {
            "input": {
                "id": first["id"],
                "stagePriority": 3,
                "isActive": False,
                "triggerPattern": None,
            }
        },
    )
    assert moved["updatePersonaModule"]["errors"] == []
    assert [m["name"] for m in await modules_of(ada, mia)] == ["b", "a"]

    deleted = await ada.data(DELETE, {"id": first["id"]})
    assert deleted["deletePersonaModule"] == {"deletedId": first["id"], "errors": []}
    assert [m["name"] for m in await modules_of(ada, mia)] == ["b"]


async def test_module_refusals_are_typed_and_write_nothing(operator):
    ada = operator.api
    mia = await create_persona(ada)
    await create_module(ada, mia)

    duplicate = await create_module(ada, mia)
    empty = await create_module(ada, mia, name=" ", type="")
    priority = await create_module(ada, mia, name="x", stagePriority=10_001)
    module_id = (await create_module(ada, mia, name="y"))["module"]["id"]
    null = await ada.data(UPDATE, {"input": {"id": module_id, "name": None}})

    assert duplicate["errors"][0]["__typename"] == "ConflictError"
    assert [e["field"] for e in empty["errors"]] == ["input.name", "input.type"]
    assert priority["errors"][0]["field"] == "input.stagePriority"
    assert null["updatePersonaModule"]["errors"][0]["field"] == "input.name"
    assert [m["name"] for m in await modules_of(ada, mia)] == ["booking", "y"]


async def test_another_owners_persona_and_modules_are_out_of_reach(operator, rival):
    mia = await create_persona(operator.api)
    module_id = (await create_module(operator.api, mia))["module"]["id"]

    added = await create_module(rival.api, mia, name="intruder")
    changed = await rival.api.data(UPDATE, {"input": {"id": module_id, "name": "x"}})
    deleted = await rival.api.data(DELETE, {"id": module_id})
    node = await rival.api.data("query($id: ID!) { node(id: $id) { id } }", {"id": module_id})

    assert added["errors"][0]["field"] == "input.personaId"
    assert changed["updatePersonaModule"]["errors"][0]["__typename"] == "NotFoundError"
    assert deleted["deletePersonaModule"]["errors"][0]["__typename"] == "NotFoundError"
    assert node == {"node": None}
    assert [m["name"] for m in await modules_of(operator.api, mia)] == ["booking"]


async def test_modules_go_with_their_persona(operator):
    ada = operator.api
    mia = await create_persona(ada)
    module_id = (await create_module(ada, mia))["module"]["id"]

    await ada.data(
        "mutation($id: ID!) { deletePersona(input: {id: $id}) { deletedId } }", {"id": mia}
    )

    assert (await ada.data("query($id: ID!) { node(id: $id) { id } }", {"id": module_id})) == {
        "node": None
    }


async def test_persona_mode_loop_frequency_and_relation_type(operator):
    ada = operator.api
    created = await ada.data(
        """mutation($input: CreatePersonaInput!) { createPersona(input: $input) {
             persona { id mode loopFrequency relationType } errors { field } } }""",
        {
            "input": {
                "name": "Sam",
                "systemPrompt": "Be a friend.",
                "mode": "companion",
                "loopFrequency": "daily",
                "relationType": "friend",
            }
        },
    )
    persona = created["createPersona"]["persona"]
    changed = await ada.data(
        """mutation($input: UpdatePersonaInput!) { updatePersona(input: $input) {
             persona { mode loopFrequency relationType } errors { field } } }""",
        {"input": {"id": persona["id"], "relationType": "mentor", "loopFrequency": None}},
    )
    too_long = await ada.data(
        """mutation($input: UpdatePersonaInput!) { updatePersona(input: $input) {
             errors { field } } }""",
        {"input": {"id": persona["id"], "mode": "m" * 51}},
    )
    listed = await ada.data("{ personas { edges { node { name mode relationType } } } }")

    assert {k: persona[k] for k in ("mode", "loopFrequency", "relationType")} == {
        "mode": "companion",
        "loopFrequency": "daily",
        "relationType": "friend",
    }
    assert changed["updatePersona"] == {
        "persona": {"mode": "companion", "loopFrequency": None, "relationType": "mentor"},
        "errors": [],
    }
    assert too_long["updatePersona"]["errors"] == [{"field": "input.mode"}]
    assert listed["personas"]["edges"] == [
        {"node": {"name": "Sam", "mode": "companion", "relationType": "mentor"}}
    ]
