"""Recalling memories over HTTP: ranking by cosine similarity weighted with
importance and recency, the filters, access counting in the same transaction,
the refusals, tenancy, and the recall-before-reply flow in one document."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from persistence.models import Memory
from tests.api.memories.test_memories import memory, remember, use_dimensions
from tests.api.states.test_states import create_persona, set_state, start_conversation
from tests.api.wire import row_id

pytestmark = pytest.mark.pgvector

RECALL = """mutation($input: RecallMemoriesInput!) {
  recallMemories(input: $input) {
    results { similarity score memory { content accessCount lastAccessedAt } }
    errors { __typename code message field } } }"""
ONLY_SIMILARITY = {"similarity": 1.0, "importance": 0.0, "recency": 0.0}


async def recall(member, near, **input) -> dict:
    data = await member.data(RECALL, {"input": {"near": list(near), **input}})
    return data["recallMemories"]


def contents(result: dict) -> list[str]:
    assert result["errors"] == [], result
    return [r["memory"]["content"] for r in result["results"]]


async def given_memories(member, persona: str | None = None) -> str:
    await use_dimensions(member)
    conversation = await start_conversation(member, persona)
    await remember(
        member,
        conversation,
        memory("north", (1.0, 0.0, 0.0, 0.0), importance=0.1),
        memory("north-east", (1.0, 1.0, 0.0, 0.0), importance=0.9, memoryType="PREFERENCE"),
        memory("east", (0.0, 1.0, 0.0, 0.0), importance=0.5, memoryType="EVENT"),
        memory("south", (-1.0, 0.0, 0.0, 0.0), importance=1.0),
    )
    return conversation


async def test_memories_rank_by_cosine_similarity(operator):
    ada = operator.api
    conversation = await given_memories(ada)

    result = await recall(
        ada, (2.0, 0.1, 0.0, 0.0), conversationId=conversation, weights=ONLY_SIMILARITY
    )

    assert contents(result) == ["north", "north-east", "east", "south"]
    similarities = [r["similarity"] for r in result["results"]]
    assert similarities[0] == pytest.approx(0.99875, abs=1e-4)
    assert similarities[-1] == pytest.approx(-0.99875, abs=1e-4)
    assert [r["score"] for r in result["results"]] == pytest.approx(similarities, abs=1e-6)


async def test_the_default_weights_let_importance_lift_a_close_second(operator):
    ada = operator.api
    conversation = await given_memories(ada)

    result = await recall(ada, (1.0, 0.2, 0.0, 0.0), conversationId=conversation, k=2)

    # north: 0.98 + 0.2*0.1 + 0.1 = 1.10; north-east: 0.83 + 0.2*0.9 + 0.1 = 1.11
    assert contents(result) == ["north-east", "north"]
    top = result["results"][0]
    assert top["score"] == pytest.approx(0.8321 + 0.18 + 0.1, abs=1e-3)


async def test_k_min_score_and_memory_types_narrow_the_results(operator):
    ada = operator.api
    conversation = await given_memories(ada)
    near = (1.0, 0.0, 0.0, 0.0)

    top_one = await recall(ada, near, conversationId=conversation, k=1, weights=ONLY_SIMILARITY)
    above = await recall(
        ada, near, conversationId=conversation, minScore=0.5, weights=ONLY_SIMILARITY
    )
    typed = await recall(
        ada, near, conversationId=conversation, memoryTypes=["EVENT", "PREFERENCE"]
    )

    assert contents(top_one) == ["north"]
    assert contents(above) == ["north", "north-east"]
    assert sorted(contents(typed)) == ["east", "north-east"]


async def test_recency_fades_memories_unused_for_a_half_life(operator, db):
    ada = operator.api
    await use_dimensions(ada)
    conversation = await start_conversation(ada)
    _, old = (await remember(ada, conversation, memory("fresh"), memory("old")))["memories"]
    month_ago = datetime.now(UTC) - timedelta(days=30)
    async with db.engine.begin() as connection:
        await connection.execute(
            update(Memory).where(Memory.id == row_id(old["id"])).values(created_at=month_ago)
        )

    result = await recall(
        ada,
        (1.0, 0.0, 0.0, 0.0),
        conversationId=conversation,
        weights={"similarity": 0.0, "importance": 0.0, "recency": 1.0, "halfLifeDays": 30},
    )

    assert contents(result) == ["fresh", "old"]
    assert result["results"][0]["score"] == pytest.approx(1.0, abs=1e-3)
    assert result["results"][1]["score"] == pytest.approx(0.5, abs=1e-3)


LISTED = """query($id: ID!) { node(id: $id) { ... on Conversation {
  memories(first: 10) { edges { node { content accessCount updatedAt } } } } } }"""


async def test_each_recall_counts_an_access_of_what_it_returns(operator):
    ada = operator.api
    conversation = await given_memories(ada)
    near = (1.0, 0.0, 0.0, 0.0)
    unchanged = (await ada.data(LISTED, {"id": conversation}))["node"]["memories"]["edges"]
    before = datetime.now(UTC)

    await recall(ada, near, conversationId=conversation, k=1, weights=ONLY_SIMILARITY)
    second = await recall(ada, near, conversationId=conversation, k=2, weights=ONLY_SIMILARITY)

    north, north_east = (r["memory"] for r in second["results"])
    assert (north["content"], north["accessCount"]) == ("north", 2)
    assert (north_east["content"], north_east["accessCount"]) == ("north-east", 1)
    assert datetime.fromisoformat(north["lastAccessedAt"]) >= before
    edges = (await ada.data(LISTED, {"id": conversation}))["node"]["memories"]["edges"]
    counts = {e["node"]["content"]: e["node"]["accessCount"] for e in edges}
    assert counts == {"north": 2, "north-east": 1, "east": 0, "south": 0}
    # Being recalled is no change of the memory.
    updated = {e["node"]["content"]: e["node"]["updatedAt"] for e in edges}
    assert updated == {e["node"]["content"]: e["node"]["updatedAt"] for e in unchanged}


async def test_a_persona_recalls_across_its_conversations_only(operator, rival):
    ada = operator.api
    mia = await create_persona(ada)
    first = await given_memories(ada, mia)
    second = await start_conversation(ada, mia)
    other = await start_conversation(ada)
    await remember(ada, second, memory("from the second chat", personaId=mia))
    await remember(ada, first, memory("of mia", personaId=mia))
    await remember(ada, other, memory("of nobody"))

    result = await recall(ada, (1.0, 0.0, 0.0, 0.0), personaId=mia, weights=ONLY_SIMILARITY)
    by_rival = await recall(rival.api, (1.0, 0.0, 0.0, 0.0), personaId=mia)

    assert sorted(contents(result)) == ["from the second chat", "of mia"]
    assert by_rival["errors"][0]["field"] == "input.personaId"


async def test_recall_refuses_bad_requests_with_typed_errors(operator, rival):
    ada = operator.api
    conversation = await given_memories(ada)
    mia = await create_persona(ada)
    near = (1.0, 0.0, 0.0, 0.0)

    both = await recall(ada, near, conversationId=conversation, personaId=mia)
    neither = await recall(ada, near)
    wrong_length = await recall(ada, (1.0, 0.0), conversationId=conversation)
    zero_k = await recall(ada, near, conversationId=conversation, k=0)
    negative = await recall(ada, near, conversationId=conversation, weights={"recency": -1})
    foreign = await recall(rival.api, near, conversationId=conversation)

    assert both["errors"][0]["field"] == "input.conversationId"
    assert neither["errors"][0]["field"] == "input.conversationId"
    assert wrong_length["errors"][0]["__typename"] == "WrongEmbeddingLength"
    assert wrong_length["errors"][0]["field"] == "input.near"
    assert zero_k["errors"][0]["field"] == "input.k"
    assert negative["errors"][0]["field"] == "input.weights.recency"
    assert foreign["errors"][0]["__typename"] == "NotFoundError"
    # Nothing was counted by the refused recalls.
    again = await recall(ada, near, conversationId=conversation, weights=ONLY_SIMILARITY)
    assert {r["memory"]["accessCount"] for r in again["results"]} == {1}


async def test_recall_before_reply_is_one_document(operator):
    ada = operator.api
    mia = await create_persona(ada)
    await ada.data(
        """mutation($input: CreatePersonaModuleInput!) {
             createPersonaModule(input: $input) { errors { message } } }""",
        {"input": {"personaId": mia, "name": "booking", "type": "scheduler", "stagePriority": 10}},
    )
    conversation = await given_memories(ada, mia)
    await set_state(ada, conversation, {"step": "offer_slots"}, 0)

    data = await ada.data(
        """mutation($input: RecallMemoriesInput!) {
             recallMemories(input: $input) {
               results { score memory { content memoryType } }
               persona { name modules { name stagePriority } }
               conversation {
                 state(module: "booking") { key value version }
                 messages(last: 5) { edges { node { role content } } }
               }
               errors { message } } }""",
        {"input": {"near": [1.0, 0.0, 0.0, 0.0], "conversationId": conversation, "k": 2}},
    )

    answer = data["recallMemories"]
    assert answer["errors"] == []
    assert answer["results"][0]["memory"]["content"] in ("north", "north-east")
    assert answer["conversation"]["state"] == [
        {"key": "step", "value": {"step": "offer_slots"}, "version": 1}
    ]
    assert answer["conversation"]["messages"]["edges"] == []
    assert answer["persona"] == {
        "name": "Mia",
        "modules": [{"name": "booking", "stagePriority": 10}],
    }
