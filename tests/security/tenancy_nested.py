"""Nested fields that reach other rows: from Alice's (A) own rows she reaches none
of Bob's (B), even where one of the tenants' rows points at the other's
(the world's stray rows). The admin, asking the same, sees the other rows, so
their absence for Alice is scoping and not a broken resolver."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.conftest import Api
from tests.security.tenancy_reads import CONNECTION, Case, id_set, node
from tests.security.world import ALICE_AT, BOB_AT, World

PERSONA_CONVERSATIONS = f"... on Persona {{ conversations {{ {CONNECTION} }} }}"
CUSTOMER_CONVERSATIONS = f"... on Customer {{ conversations {{ {CONNECTION} }} }}"
CUSTOMER_APPOINTMENTS = f"... on Customer {{ appointments {{ {CONNECTION} }} }}"
STRAY_CONVERSATION = "... on Conversation { persona { id } customer { id } }"
STRAY_APPOINTMENT = "... on Appointment { persona { id } customer { id } }"


async def user_personas_are_the_users_own(w: World) -> None:
    query = f"{{ viewer {{ personas {{ {CONNECTION} }} }} }}"
    assert id_set((await w.a.api.data(query))["viewer"]["personas"]) == w.a.personas
    admin_query = f"{{ users {{ edges {{ node {{ id personas {{ {CONNECTION} }} }} }} }} }}"
    users = (await w.admin.data(admin_query))["users"]["edges"]
    personas = {edge["node"]["id"]: id_set(edge["node"]["personas"]) for edge in users}
    assert personas[w.a.user] == w.a.personas
    assert personas[w.b.user] == w.b.personas


async def persona_conversations_hide_other_tenants(w: World) -> None:
    # Bob's stray conversation is with Alice's persona.
    seen = await node(w.a.api, w.a.persona, PERSONA_CONVERSATIONS)
    assert id_set(seen["conversations"]) == {w.a.conversation}
    everyone = await node(w.admin, w.a.persona, PERSONA_CONVERSATIONS)
    assert id_set(everyone["conversations"]) == {w.a.conversation, w.b.stray_conversation}


async def conversation_links_to_other_tenants_read_null(w: World) -> None:
    # Alice's stray conversation points at Bob's spare persona and customer.
    seen = await node(w.a.api, w.a.stray_conversation, STRAY_CONVERSATION)
    assert seen == {"id": w.a.stray_conversation, "persona": None, "customer": None}
    everyone = await node(w.admin, w.a.stray_conversation, STRAY_CONVERSATION)
    assert everyone["persona"] == {"id": w.b.spare_persona}
    assert everyone["customer"] == {"id": w.b.spare_customer}
    own = await node(w.a.api, w.a.conversation, STRAY_CONVERSATION)
    assert own["persona"] == {"id": w.a.persona} and own["customer"] == {"id": w.a.customer}


async def conversation_messages_are_the_conversations_own(w: World) -> None:
    query = f"""{{ conversations {{ edges {{ node {{ id
      messages {{ {CONNECTION} }} messageCount lastMessage {{ id }} }} }} }} }}"""

    async def seen_by(api: Api) -> dict[str, Any]:
        edges = (await api.data(query))["conversations"]["edges"]
        return {edge["node"]["id"]: edge["node"] for edge in edges}

    alices = await seen_by(w.a.api)
    assert set(alices) == w.a.conversations
    assert id_set(alices[w.a.conversation]["messages"]) == set(w.a.messages)
    everyone = await seen_by(w.admin)
    assert id_set(everyone[w.b.conversation]["messages"]) == set(w.b.messages)


async def message_counts_count_only_the_conversations_own(w: World) -> None:
    query = "{ conversations { edges { node { id messageCount } } } }"
    counts = {
        edge["node"]["id"]: edge["node"]["messageCount"]
        for edge in (await w.a.api.data(query))["conversations"]["edges"]
    }
    assert counts == {w.a.conversation: 2, w.a.stray_conversation: 0}
    everyone = (await w.admin.data(query))["conversations"]["edges"]
    assert sum(edge["node"]["messageCount"] for edge in everyone) == 4


async def last_message_is_the_conversations_own(w: World) -> None:
    selection = "... on Conversation { lastMessage { id content } }"
    seen = await node(w.a.api, w.a.conversation, selection)
    assert seen["lastMessage"] == {"id": w.a.messages[-1], "content": "alice's secret answer"}
    assert (await node(w.a.api, w.a.stray_conversation, selection))["lastMessage"] is None


async def message_conversation_is_the_messages_own(w: World) -> None:
    selection = "... on Message { conversation { id } }"
    for message in w.a.messages:
        seen = await node(w.a.api, message, selection)
        assert seen["conversation"] == {"id": w.a.conversation}
    bobs = await node(w.admin, w.b.messages[0], selection)
    assert bobs["conversation"] == {"id": w.b.conversation}


async def customer_conversations_hide_other_tenants(w: World) -> None:
    # Bob's stray conversation is with Alice's customer.
    seen = await node(w.a.api, w.a.customer, CUSTOMER_CONVERSATIONS)
    assert id_set(seen["conversations"]) == {w.a.conversation}
    everyone = await node(w.admin, w.a.customer, CUSTOMER_CONVERSATIONS)
    assert id_set(everyone["conversations"]) == {w.a.conversation, w.b.stray_conversation}


async def customer_appointments_hide_other_tenants(w: World) -> None:
    # Bob's stray appointment is with Alice's customer.
    seen = await node(w.a.api, w.a.customer, CUSTOMER_APPOINTMENTS)
    assert id_set(seen["appointments"]) == {w.a.appointment}
    everyone = await node(w.admin, w.a.customer, CUSTOMER_APPOINTMENTS)
    assert id_set(everyone["appointments"]) == {w.a.appointment, w.b.stray_appointment}


async def appointment_links_to_other_tenants_read_null(w: World) -> None:
    # Alice's stray appointment is with Bob's spare customer and persona.
    seen = await node(w.a.api, w.a.stray_appointment, STRAY_APPOINTMENT)
    assert seen == {"id": w.a.stray_appointment, "persona": None, "customer": None}
    everyone = await node(w.admin, w.a.stray_appointment, STRAY_APPOINTMENT)
    assert everyone["persona"] == {"id": w.b.spare_persona}
    assert everyone["customer"] == {"id": w.b.spare_customer}
    own = await node(w.a.api, w.a.appointment, STRAY_APPOINTMENT)
    assert own["persona"] == {"id": w.a.persona} and own["customer"] == {"id": w.a.customer}


async def appointment_history_is_the_appointments_own(w: World) -> None:
    query = """query($ids: [ID!]!) { nodes(ids: $ids) {
      ... on Appointment { history { change status startsAt } } } }"""

    def booked(at: datetime) -> list[dict[str, str]]:
        return [{"change": "BOOKED", "status": "PENDING", "startsAt": at.isoformat()}]

    def histories(nodes: list[Any]) -> list[Any]:
        return [None if node_ is None else node_["history"] for node_ in nodes]

    # Her appointment's history is its booking; Bob's appointment is not hers to read;
    # her stray one, written straight to the database, has no history.
    ids = [w.a.appointment, w.b.appointment, w.a.stray_appointment]
    alices = histories((await w.a.api.data(query, {"ids": ids}))["nodes"])
    assert alices == [booked(ALICE_AT), None, []]
    everyone = histories((await w.admin.data(query, {"ids": ids}))["nodes"])
    assert everyone == [booked(ALICE_AT), booked(BOB_AT), []]


async def message_attachments_are_the_messages_own(w: World) -> None:
    # Each tenant's file is attached to their first message.
    selection = "... on Message { attachments { id } }"
    seen = await node(w.a.api, w.a.messages[0], selection)
    assert seen["attachments"] == [{"id": w.a.file}]
    assert (await node(w.a.api, w.a.messages[1], selection))["attachments"] == []
    query = "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Message { attachments { id } } } }"
    nodes = (await w.a.api.data(query, {"ids": [w.b.messages[0]]}))["nodes"]
    assert nodes == [None]
    bobs = await node(w.admin, w.b.messages[0], selection)
    assert bobs["attachments"] == [{"id": w.b.file}]


async def persona_avatar_is_the_personas_own(w: World) -> None:
    # Each tenant's file is their persona's avatar.
    selection = "... on Persona { avatar { id } }"
    assert (await node(w.a.api, w.a.persona, selection))["avatar"] == {"id": w.a.file}
    assert (await node(w.admin, w.b.persona, selection))["avatar"] == {"id": w.b.file}
    query = "{ personas { edges { node { avatar { id } } } } }"
    avatars = [e["node"]["avatar"] for e in (await w.a.api.data(query))["personas"]["edges"]]
    assert {"id": w.b.file} not in avatars


MEMORY_LINKS = "... on Memory { conversation { id } persona { id } firstMessage { id } }"
CONVERSATION_MEMORIES = f"... on Conversation {{ memories {{ {CONNECTION} }} }}"


async def conversation_memories_are_the_conversations_own(w: World) -> None:
    seen = await node(w.a.api, w.a.conversation, CONVERSATION_MEMORIES)
    assert id_set(seen["memories"]) == {w.a.memory}
    stray = await node(w.a.api, w.a.stray_conversation, CONVERSATION_MEMORIES)
    assert id_set(stray["memories"]) == {w.a.stray_memory}
    assert await node(w.a.api, w.b.conversation, CONVERSATION_MEMORIES) is None
    everyone = await node(w.admin, w.b.conversation, CONVERSATION_MEMORIES)
    assert id_set(everyone["memories"]) == {w.b.memory}


async def memory_links_to_other_tenants_read_null(w: World) -> None:
    # Alice's stray memory is of Bob's spare persona.
    seen = await node(w.a.api, w.a.stray_memory, MEMORY_LINKS)
    assert seen == {
        "id": w.a.stray_memory,
        "conversation": {"id": w.a.stray_conversation},
        "persona": None,
        "firstMessage": None,
    }
    everyone = await node(w.admin, w.a.stray_memory, MEMORY_LINKS)
    assert everyone["persona"] == {"id": w.b.spare_persona}
    own = await node(w.a.api, w.a.memory, MEMORY_LINKS)
    assert own == {
        "id": w.a.memory,
        "conversation": {"id": w.a.conversation},
        "persona": {"id": w.a.persona},
        "firstMessage": {"id": w.a.messages[0]},
    }


async def access_counts_count_only_the_callers_recalls(w: World) -> None:
    # `accessCount` counts recalls of one memory, not rows: Alice's recall leaves
    # Bob's count where it was.
    selection = "... on Memory { accessCount }"
    bobs_before = (await node(w.b.api, w.b.memory, selection))["accessCount"]
    alices_before = (await node(w.a.api, w.a.memory, selection))["accessCount"]
    await w.a.api.data(
        """mutation($input: RecallMemoriesInput!) { recallMemories(input: $input) {
             errors { code } } }""",
        {"input": {"near": [1.0, 0.0, 0.0, 0.0], "conversationId": w.a.conversation}},
    )
    assert (await node(w.a.api, w.a.memory, selection))["accessCount"] == alices_before + 1
    assert (await node(w.b.api, w.b.memory, selection))["accessCount"] == bobs_before


async def conversation_state_is_the_conversations_own(w: World) -> None:
    selection = "... on Conversation { state { module key value } }"
    seen = await node(w.a.api, w.a.conversation, selection)
    assert seen["state"] == [{"module": "booking", "key": "step", "value": "alice's step"}]
    assert (await node(w.a.api, w.a.stray_conversation, selection))["state"] == []
    by_bobs_persona = await w.a.api.data(
        "query($id: ID!, $p: ID) { node(id: $id) { ... on Conversation { state(personaId: $p) "
        "{ key } } } }",
        {"id": w.a.conversation, "p": w.b.persona},
    )
    assert by_bobs_persona["node"]["state"] == []
    everyone = await node(w.admin, w.b.conversation, selection)
    assert everyone["state"] == [{"module": "booking", "key": "step", "value": "bob's step"}]


async def persona_modules_are_the_personas_own(w: World) -> None:
    selection = "... on Persona { modules { id persona { id } } }"
    seen = await node(w.a.api, w.a.persona, selection)
    assert seen["modules"] == [{"id": w.a.module, "persona": {"id": w.a.persona}}]
    assert await node(w.a.api, w.b.module, "... on PersonaModule { persona { id } }") is None
    everyone = await node(w.admin, w.b.persona, selection)
    assert everyone["modules"] == [{"id": w.b.module, "persona": {"id": w.b.persona}}]


NESTED_CASES: dict[str, Case] = {
    "User.personas": user_personas_are_the_users_own,
    "Persona.conversations": persona_conversations_hide_other_tenants,
    "Conversation.persona": conversation_links_to_other_tenants_read_null,
    "Conversation.customer": conversation_links_to_other_tenants_read_null,
    "Conversation.messages": conversation_messages_are_the_conversations_own,
    "Conversation.messageCount": message_counts_count_only_the_conversations_own,
    "Conversation.lastMessage": last_message_is_the_conversations_own,
    "Message.conversation": message_conversation_is_the_messages_own,
    "Customer.conversations": customer_conversations_hide_other_tenants,
    "Customer.appointments": customer_appointments_hide_other_tenants,
    "Appointment.customer": appointment_links_to_other_tenants_read_null,
    "Appointment.persona": appointment_links_to_other_tenants_read_null,
    "Appointment.history": appointment_history_is_the_appointments_own,
    "Message.attachments": message_attachments_are_the_messages_own,
    "Persona.avatar": persona_avatar_is_the_personas_own,
    "Conversation.memories": conversation_memories_are_the_conversations_own,
    "Conversation.state": conversation_state_is_the_conversations_own,
    "Memory.accessCount": access_counts_count_only_the_callers_recalls,
    "Memory.conversation": memory_links_to_other_tenants_read_null,
    "Memory.persona": memory_links_to_other_tenants_read_null,
    "Memory.firstMessage": memory_links_to_other_tenants_read_null,
    "Persona.modules": persona_modules_are_the_personas_own,
    "PersonaModule.persona": persona_modules_are_the_personas_own,
}
