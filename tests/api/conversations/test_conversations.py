"""Conversations and messages over HTTP: start, post, delete, list, nested fields."""

from __future__ import annotations

import pytest

from persistence.models import new_id
from tests.api.wire import ERRORS, global_id, refusal, user_errors
from tests.factories import make_conversation, make_customer, make_persona, post_messages

START = f"""mutation($input: StartConversationInput!) {{
  startConversation(input: $input) {{
    conversation {{ id title providerType providerConfig lastMessageAt
                    persona {{ id }} customer {{ id }} messageCount }}
    {ERRORS} }}
}}"""
POST = f"""mutation($input: PostMessagesInput!) {{
  postMessages(input: $input) {{
    conversation {{ id lastMessageAt messageCount lastMessage {{ content }} }}
    messages {{ id role content thinking extraData inputTokens outputTokens createdAt }}
    {ERRORS} }}
}}"""
DELETE = f"""mutation($id: ID!) {{
  deleteConversation(input: {{id: $id}}) {{ deletedId {ERRORS} }}
}}"""


def message(content: str, role: str = "USER", **fields: object) -> dict[str, object]:
    return {"role": role, "content": content, **fields}


async def message_count(db, conversation_id) -> int:
    async with db.uow() as uow:
        (count,) = await uow.messages.counts_by_conversation([conversation_id])
    return count


async def test_start_conversation_with_a_persona_and_a_customer(operator, seed):
    async with seed() as uow:
        persona = await make_persona(uow, operator.user)
        customer = await make_customer(uow, operator.user)

    data = await operator.api.data(
        START,
        {
            "input": {
                "title": " Support ",
                "personaId": global_id("Persona", persona.id),
                "customerId": global_id("Customer", customer.id),
                "providerType": "openai",
                "providerConfig": {"region": "eu", "retries": 2},
            }
        },
    )

    payload = data["startConversation"]
    assert payload["errors"] == []
    assert payload["conversation"] | {"id": None} == {
        "id": None,
        "title": "Support",
        "providerType": "openai",
        "providerConfig": {"region": "eu", "retries": 2},
        "lastMessageAt": None,
        "persona": {"id": global_id("Persona", persona.id)},
        "customer": {"id": global_id("Customer", customer.id)},
        "messageCount": 0,
    }


async def test_start_conversation_alone_needs_only_a_title(operator):
    data = await operator.api.data(START, {"input": {"title": "Notes"}})

    conversation = data["startConversation"]["conversation"]
    assert (conversation["persona"], conversation["customer"]) == (None, None)
    assert conversation["providerConfig"] == {}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": " "}, "input.title"),
        ({"title": "x" * 201}, "input.title"),
        ({"providerType": "x" * 51}, "input.providerType"),
        ({"providerConfig": [1, 2]}, "input.providerConfig"),
    ],
)
async def test_start_conversation_refuses_invalid_input(operator, db, fields, field):
    data = await operator.api.data(START, {"input": {"title": "Notes"} | fields})

    assert user_errors(data["startConversation"]) == [("ValidationError", "VALIDATION", field)]
    async with db.uow() as uow:
        assert await uow.conversations.count() == 0


@pytest.mark.parametrize("kind", ["Persona", "Customer"])
async def test_start_conversation_with_a_foreign_persona_or_customer_is_not_found(
    operator, rival, seed, db, kind
):
    async with seed() as uow:
        theirs = (
            await make_persona(uow, rival.user)
            if kind == "Persona"
            else await make_customer(uow, rival.user)
        )
    argument = f"{kind.lower()}Id"

    data = await operator.api.data(
        START, {"input": {"title": "Notes", argument: global_id(kind, theirs.id)}}
    )

    assert user_errors(data["startConversation"]) == [
        ("NotFoundError", "NOT_FOUND", f"input.{argument}")
    ]
    async with db.uow() as uow:
        assert await uow.conversations.count() == 0


async def test_post_messages_appends_them_in_order_and_moves_last_message_at(operator, seed):
    async with seed() as uow:
        conversation = await make_conversation(uow, operator.user)
    conversation_id = global_id("Conversation", conversation.id)

    data = await operator.api.data(
        POST,
        {
            "input": {
                "conversationId": conversation_id,
                "messages": [
                    message("Hi"),
                    message(
                        "Hello!",
                        "ASSISTANT",
                        thinking="greet",
                        extraData={"tool": None},
                        inputTokens=3,
                        outputTokens=5,
                    ),
                    message("Book me in", extraData={"intent": "booking"}),
                ],
            }
        },
    )

    payload = data["postMessages"]
    assert payload["errors"] == []
    messages = payload["messages"]
    assert [m["content"] for m in messages] == ["Hi", "Hello!", "Book me in"]
    assert messages[1] | {"id": None, "createdAt": None} == {
        "id": None,
        "role": "ASSISTANT",
        "content": "Hello!",
        "thinking": "greet",
        "extraData": {"tool": None},
        "inputTokens": 3,
        "outputTokens": 5,
        "createdAt": None,
    }
    assert messages[0]["extraData"] == {}
    assert [m["createdAt"] for m in messages] == sorted(m["createdAt"] for m in messages)
    assert payload["conversation"]["lastMessageAt"] == messages[-1]["createdAt"]
    assert payload["conversation"]["messageCount"] == 3
    assert payload["conversation"]["lastMessage"] == {"content": "Book me in"}


async def test_a_conversation_counts_every_post_wherever_it_is_read(operator, seed):
    async with seed() as uow:
        persona = await make_persona(uow, operator.user)
        conversation = await make_conversation(uow, operator.user, persona)
        await make_conversation(uow, operator.user, persona)

    async def post(*contents: str) -> int:
        messages = [message(content) for content in contents]
        variables = {"conversationId": global_id("Conversation", conversation.id)}
        data = await operator.api.data(POST, {"input": variables | {"messages": messages}})
        return data["postMessages"]["conversation"]["messageCount"]

    posted = [await post("one"), await post("two", "three")]
    listed = await operator.api.data(
        """{ personas(first: 5) { edges { node { conversations(first: 5) { edges { node {
               messageCount messages(first: 1) { totalCount } } } } } } }
             conversations(first: 5) { edges { node {
               messageCount messages(last: 1) { totalCount edges { node { content } } } } } } }"""
    )

    assert posted == [1, 3]
    (of_persona,) = listed["personas"]["edges"]
    assert [edge["node"] for edge in of_persona["node"]["conversations"]["edges"]] == [
        {"messageCount": 3, "messages": {"totalCount": 3}},
        {"messageCount": 0, "messages": {"totalCount": 0}},
    ]
    newest = {"totalCount": 3, "edges": [{"node": {"content": "three"}}]}
    assert [edge["node"] for edge in listed["conversations"]["edges"]] == [
        {"messageCount": 3, "messages": newest},
        {"messageCount": 0, "messages": {"totalCount": 0, "edges": []}},
    ]


@pytest.mark.parametrize(
    ("messages", "field"),
    [
        ([], "input.messages"),
        ([message("m")] * 101, "input.messages"),
        ([message("ok"), message("x" * 100_001)], "input.messages[1].content"),
        ([message("ok", thinking="x" * 100_001)], "input.messages[0].thinking"),
        ([message("ok"), message("ok", inputTokens=-1)], "input.messages[1].inputTokens"),
        ([message("ok", outputTokens=-2)], "input.messages[0].outputTokens"),
        (
            [message("ok"), message("ok"), message("ok", extraData="x")],
            "input.messages[2].extraData",
        ),
    ],
)
async def test_post_messages_refuses_invalid_messages_and_stores_none(
    operator, seed, db, messages, field
):
    async with seed() as uow:
        conversation = await make_conversation(uow, operator.user)

    data = await operator.api.data(
        POST,
        {
            "input": {
                "conversationId": global_id("Conversation", conversation.id),
                "messages": messages,
            }
        },
    )

    assert user_errors(data["postMessages"]) == [("ValidationError", "VALIDATION", field)]
    assert data["postMessages"]["messages"] == []
    assert await message_count(db, conversation.id) == 0


async def test_post_messages_to_a_missing_or_foreign_conversation_is_not_found(
    operator, rival, seed
):
    async with seed() as uow:
        theirs = await make_conversation(uow, rival.user)

    for conversation_id in (
        global_id("Conversation", new_id()),
        global_id("Conversation", theirs.id),
    ):
        data = await operator.api.data(
            POST, {"input": {"conversationId": conversation_id, "messages": [message("Hi")]}}
        )

        assert user_errors(data["postMessages"]) == [
            ("NotFoundError", "NOT_FOUND", "input.conversationId")
        ]


async def test_conversation_mutations_need_a_token(api, operator, seed):
    async with seed() as uow:
        conversation = await make_conversation(uow, operator.user)
    conversation_id = global_id("Conversation", conversation.id)
    unauthenticated = [("Unauthenticated", "UNAUTHENTICATED", None)]

    started = await api.data(START, {"input": {"title": "Notes"}})
    posted = await api.data(
        POST, {"input": {"conversationId": conversation_id, "messages": [message("Hi")]}}
    )
    deleted = await api.data(DELETE, {"id": conversation_id})

    assert user_errors(started["startConversation"]) == unauthenticated
    assert user_errors(posted["postMessages"]) == unauthenticated
    assert user_errors(deleted["deleteConversation"]) == unauthenticated


async def test_deleting_a_conversation_deletes_its_messages(operator, seed, db):
    async with seed() as uow:
        conversation = await make_conversation(uow, operator.user)
        (first, _) = await post_messages(uow, conversation, "Hi", "Hello")
    conversation_id = global_id("Conversation", conversation.id)

    data = await operator.api.data(DELETE, {"id": conversation_id})
    after = await operator.api.data(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": [conversation_id, global_id("Message", first.id)]},
    )

    assert data["deleteConversation"] == {"deletedId": conversation_id, "errors": []}
    assert after["nodes"] == [None, None]
    assert await message_count(db, conversation.id) == 0


async def test_deleting_a_missing_or_foreign_conversation_is_not_found(operator, rival, seed, db):
    async with seed() as uow:
        theirs = await make_conversation(uow, rival.user)

    for conversation_id in (
        global_id("Conversation", new_id()),
        global_id("Conversation", theirs.id),
    ):
        data = await operator.api.data(DELETE, {"id": conversation_id})

        assert user_errors(data["deleteConversation"]) == [
            ("NotFoundError", "NOT_FOUND", "input.id")
        ]
    async with db.uow() as uow:
        assert await uow.conversations.count() == 1


async def test_conversations_filter_by_persona_customer_and_update_time(operator, rival, seed):
    async with seed() as uow:
        persona = await make_persona(uow, operator.user)
        customer = await make_customer(uow, operator.user)
        with_persona = await make_conversation(uow, operator.user, persona, title="P")
        await make_conversation(uow, operator.user, customer=customer, title="C")
        both = await make_conversation(uow, operator.user, persona, customer, title="PC")
        await make_conversation(uow, rival.user, title="Theirs")
    query = """query($filter: ConversationFilterInput) {
      conversations(filter: $filter, orderBy: CREATED_AT_DESC) {
        totalCount edges { node { title } } } }"""

    async def titles(**filter_: object) -> list[str]:
        data = await operator.api.data(query, {"filter": filter_})
        conversations = data["conversations"]
        assert conversations["totalCount"] == len(conversations["edges"])
        return [edge["node"]["title"] for edge in conversations["edges"]]

    assert await titles() == ["PC", "C", "P"]
    assert await titles(personaId=global_id("Persona", persona.id)) == ["PC", "P"]
    assert await titles(customerId=global_id("Customer", customer.id)) == ["PC", "C"]
    assert await titles(
        personaId=global_id("Persona", persona.id), customerId=global_id("Customer", customer.id)
    ) == ["PC"]
    assert await titles(updatedAfter=with_persona.updated_at.isoformat()) == ["PC", "C"]
    assert await titles(updatedAfter=both.updated_at.isoformat()) == []


async def test_a_conversation_filter_with_an_id_of_another_type_is_a_clear_error(operator, seed):
    async with seed() as uow:
        customer = await make_customer(uow, operator.user)

    body = await operator.api.query(
        "query($id: ID!) { conversations(filter: {personaId: $id}) { totalCount } }",
        {"id": global_id("Customer", customer.id)},
    )

    assert refusal(body) == (
        "BAD_USER_INPUT",
        "`filter.personaId` is not the id of a Persona",
    )


async def test_conversations_by_last_message_put_the_latest_activity_first(operator, seed):
    async with seed() as uow:
        quiet = await make_conversation(uow, operator.user, title="quiet")
        busy = await make_conversation(uow, operator.user, title="busy")
        await post_messages(uow, busy, "old")
        await make_conversation(uow, operator.user, title="new")
    async with seed() as uow:
        await post_messages(uow, await uow.conversations.get(quiet.id), "latest")

    data = await operator.api.data(
        "{ conversations { edges { node { title lastMessage { content } } } } }"
    )

    assert [edge["node"]["title"] for edge in data["conversations"]["edges"]] == [
        "quiet",
        "new",
        "busy",
    ]
    assert data["conversations"]["edges"][0]["node"]["lastMessage"] == {"content": "latest"}


async def test_a_conversation_reads_its_messages_both_ways_and_a_message_its_conversation(
    operator, seed
):
    async with seed() as uow:
        conversation = await make_conversation(uow, operator.user, title="Thread")
        await post_messages(uow, conversation, "one", "two", "three")

    data = await operator.api.data(
        """query($id: ID!) { node(id: $id) { ... on Conversation {
             messageCount
             lastMessage { content conversation { title } }
             oldest: messages(first: 2) { totalCount edges { node { content role } } }
             newest: messages(first: 2, orderBy: CREATED_AT_DESC) {
               edges { node { content } } } } } }""",
        {"id": global_id("Conversation", conversation.id)},
    )

    node = data["node"]
    assert node["messageCount"] == 3
    assert node["lastMessage"] == {"content": "three", "conversation": {"title": "Thread"}}
    assert node["oldest"]["totalCount"] == 3
    assert [edge["node"] for edge in node["oldest"]["edges"]] == [
        {"content": "one", "role": "USER"},
        {"content": "two", "role": "ASSISTANT"},
    ]
    assert [edge["node"]["content"] for edge in node["newest"]["edges"]] == ["three", "two"]
