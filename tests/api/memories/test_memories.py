"""Memories over HTTP: remembering in bulk (all or none, within limits and the
owner's embedding length), listing, changing, forgetting, the owner's settings,
tenancy; on SQLite, PostgreSQL and PostgreSQL with pgvector."""

from __future__ import annotations

import pytest

from tests.api.states.test_states import create_persona, start_conversation

pytestmark = pytest.mark.pgvector

ERRORS = "errors { __typename code message field }"
FIELDS = """id content memoryType importance embedding metadata accessCount lastAccessedAt
  persona { name } firstMessage { content } conversation { title }"""
REMEMBER = f"""mutation($input: RememberMemoriesInput!) {{
  rememberMemories(input: $input) {{ memories {{ {FIELDS} }} {ERRORS} }} }}"""
SETTINGS = f"""mutation($input: UpdateOwnerSettingsInput!) {{
  updateOwnerSettings(input: $input) {{
    settings {{ embeddingDimensions messageRetentionDays }} {ERRORS} }} }}"""
LIST = f"""query($id: ID!, $order: MemoryOrder) {{ node(id: $id) {{ ... on Conversation {{
  memories(first: 10, orderBy: $order) {{ totalCount edges {{ node {{ {FIELDS} }} }} }} }} }} }}"""
UPDATE = f"""mutation($input: UpdateMemoryInput!) {{
  updateMemory(input: $input) {{ memory {{ {FIELDS} }} {ERRORS} }} }}"""
FORGET = f"""mutation($input: ForgetMemoriesInput!) {{
  forgetMemories(input: $input) {{ forgottenIds {ERRORS} }} }}"""
DIMENSIONS = 4


async def use_dimensions(member, dimensions: int = DIMENSIONS) -> dict:
    data = await member.data(SETTINGS, {"input": {"embeddingDimensions": dimensions}})
    return data["updateOwnerSettings"]


async def remember(member, conversation: str, *memories: dict) -> dict:
    data = await member.data(
        REMEMBER, {"input": {"conversationId": conversation, "memories": list(memories)}}
    )
    return data["rememberMemories"]


def memory(content: str, embedding=(1.0, 0.0, 0.0, 0.0), **fields) -> dict:
    return {"content": content, "embedding": list(embedding), **fields}


async def memories_of(member, conversation: str, order: str | None = None) -> dict:
    data = await member.data(LIST, {"id": conversation, "order": order})
    return data["node"]["memories"]


async def post_message(member, conversation: str, content: str) -> str:
    data = await member.data(
        """mutation($input: PostMessagesInput!) {
             postMessages(input: $input) { messages { id } errors { message } } }""",
        {
            "input": {
                "conversationId": conversation,
                "messages": [{"role": "USER", "content": content}],
            }
        },
    )
    return data["postMessages"]["messages"][0]["id"]


async def test_remembered_memories_are_listed_with_their_fields_newest_first(operator):
    ada = operator.api
    await use_dimensions(ada)
    mia = await create_persona(ada)
    conversation = await start_conversation(ada, mia)
    message = await post_message(ada, conversation, "I am vegetarian and live in Lyon.")

    result = await remember(
        ada,
        conversation,
        memory(
            "Is vegetarian",
            (0.5, 0.25, 0.0, -1.0),
            memoryType="PREFERENCE",
            importance=0.9,
            personaId=mia,
            firstMessageId=message,
            metadata={"source": "chat"},
        ),
        memory("Lives in Lyon"),
    )

    assert result["errors"] == []
    first, second = result["memories"]
    assert first == {
        "id": first["id"],
        "content": "Is vegetarian",
        "memoryType": "PREFERENCE",
        "importance": 0.9,
        "embedding": [0.5, 0.25, 0.0, -1.0],
        "metadata": {"source": "chat"},
        "accessCount": 0,
        "lastAccessedAt": None,
        "persona": {"name": "Mia"},
        "firstMessage": {"content": "I am vegetarian and live in Lyon."},
        "conversation": {"title": "Booking"},
    }
    assert (second["memoryType"], second["importance"], second["metadata"]) == ("FACT", 0.5, {})
    listed = await memories_of(ada, conversation)
    assert listed["totalCount"] == 2
    assert [e["node"]["content"] for e in listed["edges"]] == ["Lives in Lyon", "Is vegetarian"]
    oldest = await memories_of(ada, conversation, "CREATED_AT_ASC")
    assert [e["node"]["content"] for e in oldest["edges"]] == ["Is vegetarian", "Lives in Lyon"]


async def test_an_embedding_of_another_length_refuses_the_whole_call(operator):
    ada = operator.api
    await use_dimensions(ada)
    conversation = await start_conversation(ada)

    result = await remember(ada, conversation, memory("fine"), memory("too short", (1.0, 2.0, 3.0)))

    assert result["memories"] == []
    (error,) = result["errors"]
    assert error["__typename"] == "WrongEmbeddingLength"
    assert error["code"] == "WRONG_EMBEDDING_LENGTH"
    assert error["field"] == "input.memories[1].embedding"
    assert "4 dimensions" in error["message"]
    assert (await memories_of(ada, conversation))["totalCount"] == 0


async def test_the_default_embedding_length_is_1536(operator):
    ada = operator.api
    conversation = await start_conversation(ada)

    refused = await remember(ada, conversation, memory("short"))
    stored = await remember(ada, conversation, memory("full", [0.01] * 1536))
    settings = await ada.data("{ viewer { settings { embeddingDimensions } } }")

    assert refused["errors"][0]["__typename"] == "WrongEmbeddingLength"
    assert stored["errors"] == [] and len(stored["memories"][0]["embedding"]) == 1536
    assert settings["viewer"]["settings"] == {"embeddingDimensions": 1536}


async def test_limits_and_rules_of_a_call_are_refused_with_their_fields(operator):
    ada = operator.api
    await use_dimensions(ada)
    conversation = await start_conversation(ada)

    too_many = await remember(ada, conversation, *(memory(f"m{n}") for n in range(101)))
    none = await remember(ada, conversation)
    bad = await remember(
        ada,
        conversation,
        memory("", importance=0.5),
        memory("x", importance=1.5),
        memory("y", metadata=[1, 2]),
    )
    too_large = await remember(ada, conversation, *(memory("z" * 10_000) for _ in range(30)))

    assert too_many["errors"][0]["field"] == "input.memories"
    assert none["errors"][0]["field"] == "input.memories"
    assert [e["field"] for e in bad["errors"]] == [
        "input.memories[0].content",
        "input.memories[1].importance",
        "input.memories[2].metadata",
    ]
    assert too_large["errors"][0]["field"] == "input.memories"
    assert (await memories_of(ada, conversation))["totalCount"] == 0


async def test_a_persona_or_message_of_elsewhere_is_not_found(operator, rival):
    ada = operator.api
    await use_dimensions(ada)
    conversation = await start_conversation(ada)
    elsewhere = await start_conversation(ada)
    message = await post_message(ada, elsewhere, "other thread")
    rex = await create_persona(rival.api, "Rex")

    foreign_persona = await remember(ada, conversation, memory("a", personaId=rex))
    other_thread = await remember(ada, conversation, memory("a", firstMessageId=message))

    assert foreign_persona["errors"][0]["field"] == "input.memories[0].personaId"
    assert other_thread["errors"][0]["field"] == "input.memories[0].firstMessageId"
    assert (await memories_of(ada, conversation))["totalCount"] == 0


async def test_update_memory_changes_only_the_fields_given(operator):
    ada = operator.api
    await use_dimensions(ada)
    conversation = await start_conversation(ada)
    (stored,) = (await remember(ada, conversation, memory("Likes tea")))["memories"]

    changed = await ada.data(
        UPDATE,
        {
            "input": {
                "id": stored["id"],
                "content": "Likes green tea",
                "importance": 0.8,
                "embedding": [0.0, 1.0, 0.0, 0.0],
            }
        },
    )
    wrong = await ada.data(UPDATE, {"input": {"id": stored["id"], "embedding": [1.0]}})
    null = await ada.data(UPDATE, {"input": {"id": stored["id"], "content": None}})

    result = changed["updateMemory"]
    assert result["errors"] == []
    assert (result["memory"]["content"], result["memory"]["importance"]) == ("Likes green tea", 0.8)
    assert result["memory"]["embedding"] == [0.0, 1.0, 0.0, 0.0]
    assert result["memory"]["memoryType"] == "FACT"
    assert wrong["updateMemory"]["errors"][0]["__typename"] == "WrongEmbeddingLength"
    assert wrong["updateMemory"]["errors"][0]["field"] == "input.embedding"
    assert null["updateMemory"]["errors"][0]["field"] == "input.content"


async def test_forget_memories_is_all_or_none(operator, rival):
    ada = operator.api
    await use_dimensions(ada)
    conversation = await start_conversation(ada)
    a, b = (await remember(ada, conversation, memory("a"), memory("b")))["memories"]
    await use_dimensions(rival.api)
    theirs = await start_conversation(rival.api)
    (foreign,) = (await remember(rival.api, theirs, memory("theirs")))["memories"]

    mixed = await ada.data(FORGET, {"input": {"ids": [a["id"], foreign["id"]]}})
    done = await ada.data(FORGET, {"input": {"ids": [a["id"], b["id"]]}})

    assert mixed["forgetMemories"]["errors"][0]["field"] == "input.ids[1]"
    assert done["forgetMemories"] == {"forgottenIds": [a["id"], b["id"]], "errors": []}
    assert (await memories_of(ada, conversation))["totalCount"] == 0
    assert (await memories_of(rival.api, theirs))["totalCount"] == 1


async def test_another_owners_memories_cannot_be_seen_changed_or_added_to(operator, rival):
    ada = operator.api
    await use_dimensions(ada)
    await use_dimensions(rival.api)
    conversation = await start_conversation(ada)
    (stored,) = (await remember(ada, conversation, memory("secret")))["memories"]

    added = await remember(rival.api, conversation, memory("intruder"))
    changed = await rival.api.data(UPDATE, {"input": {"id": stored["id"], "content": "x"}})
    node = await rival.api.data("query($id: ID!) { node(id: $id) { id } }", {"id": stored["id"]})

    assert added["errors"][0]["field"] == "input.conversationId"
    assert changed["updateMemory"]["errors"][0]["__typename"] == "NotFoundError"
    assert node == {"node": None}
    assert [e["node"]["content"] for e in (await memories_of(ada, conversation))["edges"]] == [
        "secret"
    ]


async def test_the_embedding_length_cannot_change_while_memories_of_the_old_one_exist(operator):
    ada = operator.api
    await use_dimensions(ada)
    conversation = await start_conversation(ada)
    (stored,) = (await remember(ada, conversation, memory("kept")))["memories"]

    refused = await use_dimensions(ada, 8)
    out_of_range = await use_dimensions(ada, 2001)
    await ada.data(FORGET, {"input": {"ids": [stored["id"]]}})
    changed = await use_dimensions(ada, 8)
    retention = await ada.data(SETTINGS, {"input": {"messageRetentionDays": 30}})

    assert refused["errors"][0]["field"] == "input.embeddingDimensions"
    assert out_of_range["errors"][0]["field"] == "input.embeddingDimensions"
    assert changed["settings"] == {"embeddingDimensions": 8, "messageRetentionDays": None}
    assert retention["updateOwnerSettings"]["settings"] == {
        "embeddingDimensions": 8,
        "messageRetentionDays": 30,
    }


async def test_memories_go_with_their_conversation_and_outlive_their_persona(operator):
    ada = operator.api
    await use_dimensions(ada)
    mia = await create_persona(ada)
    conversation = await start_conversation(ada, mia)
    doomed = await start_conversation(ada)
    (kept,) = (await remember(ada, conversation, memory("kept", personaId=mia)))["memories"]
    (gone,) = (await remember(ada, doomed, memory("gone")))["memories"]

    await ada.data(
        "mutation($id: ID!) { deletePersona(input: {id: $id}) { errors { message } } }",
        {"id": mia},
    )
    await ada.data(
        "mutation($id: ID!) { deleteConversation(input: {id: $id}) { errors { message } } }",
        {"id": doomed},
    )

    found = await ada.data(
        "query($ids: [ID!]!) { nodes(ids: $ids) { ... on Memory { content persona { name } } } }",
        {"ids": [kept["id"], gone["id"]]},
    )
    assert found["nodes"] == [{"content": "kept", "persona": None}, None]
