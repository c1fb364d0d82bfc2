"""A mutation's payload reflects its write, even where the request's loaders had
already cached the rows it changed."""

from __future__ import annotations

from tests.api.wire import global_id
from tests.factories import make_conversation, make_customer, make_persona


async def test_a_renamed_persona_reads_back_renamed_through_its_conversations(operator, seed):
    async with seed() as uow:
        persona = await make_persona(uow, operator.user, name="Ada")
    persona_id = global_id("Persona", persona.id)

    data = await operator.api.data(
        """mutation($persona: ID!) {
          started: startConversation(input: {title: "T", personaId: $persona}) {
            conversation { persona { name } } }
          renamed: updatePersona(input: {id: $persona, name: "Bea"}) {
            persona { name conversations { edges { node { persona { name } } } } } }
        }""",
        {"persona": persona_id},
    )

    # The first payload loaded the persona into the request's loader cache.
    assert data["started"]["conversation"]["persona"] == {"name": "Ada"}
    renamed = data["renamed"]["persona"]
    assert renamed["name"] == "Bea"
    assert renamed["conversations"]["edges"] == [{"node": {"persona": {"name": "Bea"}}}]


async def test_counts_and_last_message_follow_each_post_in_one_request(operator, seed):
    async with seed() as uow:
        conversation = await make_conversation(uow, operator.user)

    data = await operator.api.data(
        """mutation($id: ID!) {
          first: postMessages(input: {conversationId: $id,
                                      messages: [{role: USER, content: "a"}]}) {
            conversation { messageCount lastMessage { content }
                           messages { totalCount edges { node { content } } } } }
          second: postMessages(input: {conversationId: $id,
                                       messages: [{role: ASSISTANT, content: "b"}]}) {
            conversation { messageCount lastMessage { content }
                           messages { totalCount edges { node { content } } } } }
        }""",
        {"id": global_id("Conversation", conversation.id)},
    )

    first, second = data["first"]["conversation"], data["second"]["conversation"]
    assert (first["messageCount"], first["lastMessage"]) == (1, {"content": "a"})
    assert (second["messageCount"], second["lastMessage"]) == (2, {"content": "b"})
    assert second["messages"]["totalCount"] == 2
    assert [e["node"]["content"] for e in second["messages"]["edges"]] == ["a", "b"]


async def test_an_updated_customer_reads_back_updated_through_a_nested_loader(operator, seed):
    async with seed() as uow:
        customer = await make_customer(uow, operator.user, first_name="Ada")
        conversation = await make_conversation(uow, operator.user, customer=customer)

    data = await operator.api.data(
        """mutation($customer: ID!, $conversation: ID!) {
          before: postMessages(input: {conversationId: $conversation,
                                       messages: [{role: USER, content: "hi"}]}) {
            conversation { customer { firstName } } }
          update: updateCustomer(input: {id: $customer, firstName: "Bea"}) {
            customer { firstName conversations { edges { node { customer { firstName } } } } } }
        }""",
        {
            "customer": global_id("Customer", customer.id),
            "conversation": global_id("Conversation", conversation.id),
        },
    )

    assert data["before"]["conversation"]["customer"] == {"firstName": "Ada"}
    assert data["update"]["customer"]["firstName"] == "Bea"
    assert data["update"]["customer"]["conversations"]["edges"] == [
        {"node": {"customer": {"firstName": "Bea"}}}
    ]
