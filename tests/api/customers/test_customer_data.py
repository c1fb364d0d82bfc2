"""A customer's data over HTTP: the export holds everything of theirs, and
erasing removes all of it in one transaction, within the caller's tenancy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.api.memories.test_memories import memory, remember, use_dimensions
from tests.api.states.test_states import set_state

EXPORT = "query($id: ID!) { exportCustomerData(customerId: $id) }"
ERASE = """mutation($id: ID!) { eraseCustomer(input: {customerId: $id}) {
  erasedCustomerId conversations messages memories appointments
  errors { __typename field } } }"""


async def given_a_customer_with_data(member, external_id: str = "tg-1", day: int = 2) -> dict:
    customer = (
        await member.data(
            """mutation($input: UpsertCustomerInput!) {
                 upsertCustomer(input: $input) { customer { id } } }""",
            {"input": {"channel": "TELEGRAM", "externalId": external_id, "firstName": "Lea"}},
        )
    )["upsertCustomer"]["customer"]["id"]
    conversation = (
        await member.data(
            """mutation($input: StartConversationInput!) {
                 startConversation(input: $input) { conversation { id } } }""",
            {"input": {"title": "Hi", "customerId": customer}},
        )
    )["startConversation"]["conversation"]["id"]
    await member.data(
        """mutation($input: PostMessagesInput!) {
             postMessages(input: $input) { errors { message } } }""",
        {
            "input": {
                "conversationId": conversation,
                "messages": [
                    {"role": "USER", "content": "Hello"},
                    {"role": "ASSISTANT", "content": "Hi Lea"},
                ],
            }
        },
    )
    await use_dimensions(member)
    await remember(member, conversation, memory("Is called Lea"))
    await set_state(member, conversation, {"step": "greeted"}, 0)
    await member.data(
        """mutation($input: UpdateScheduleInput!) {
             updateSchedule(input: $input) { errors { message } } }""",
        {
            "input": {
                "timezone": "UTC",
                "minimumNoticeMinutes": 0,
                "horizonDays": 730,
                "weeklyHours": [
                    {"weekday": d, "opens": "00:00", "closes": "24:00"}
                    for d in (
                        "MONDAY",
                        "TUESDAY",
                        "WEDNESDAY",
                        "THURSDAY",
                        "FRIDAY",
                        "SATURDAY",
                        "SUNDAY",
                    )
                ],
            }
        },
    )
    starts = (datetime.now(UTC) + timedelta(days=day)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    booked = await member.data(
        """mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) {
             errors { message } } }""",
        {"input": {"customerId": customer, "startsAt": starts.isoformat(), "durationMinutes": 30}},
    )
    assert booked["bookAppointment"]["errors"] == []
    return {"customer": customer, "conversation": conversation}


async def test_the_export_holds_everything_of_the_customer(operator):
    given = await given_a_customer_with_data(operator.api)

    document = (await operator.api.data(EXPORT, {"id": given["customer"]}))["exportCustomerData"]

    assert document["format"] == 1
    assert document["customer"]["first_name"] == "Lea"
    (conversation,) = document["conversations"]
    assert [m["content"] for m in conversation["messages"]] == ["Hello", "Hi Lea"]
    assert [m["content"] for m in conversation["memories"]] == ["Is called Lea"]
    assert [(s["module_key"], s["value"]) for s in conversation["state"]] == [
        ("booking", {"step": "greeted"})
    ]
    (appointment,) = document["appointments"]
    assert appointment["status"] == "pending"
    assert [event["change"] for event in appointment["history"]] == ["booked"]
    assert document["files"] == []


async def test_another_owners_customer_exports_as_null_and_cannot_be_erased(operator, rival):
    given = await given_a_customer_with_data(operator.api)

    exported = await rival.api.data(EXPORT, {"id": given["customer"]})
    erased = await rival.api.data(ERASE, {"id": given["customer"]})
    malformed = await operator.api.query(EXPORT, {"id": "nope"})

    assert exported == {"exportCustomerData": None}
    assert erased["eraseCustomer"]["errors"] == [
        {"__typename": "NotFoundError", "field": "input.customerId"}
    ]
    assert malformed["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "argument": "customerId",
    }
    still = (await operator.api.data(EXPORT, {"id": given["customer"]}))["exportCustomerData"]
    assert len(still["conversations"]) == 1


async def test_erasing_a_customer_removes_all_of_theirs_and_nothing_else(operator):
    given = await given_a_customer_with_data(operator.api)
    other = await given_a_customer_with_data(operator.api, "tg-2", day=3)

    erased = await operator.api.data(ERASE, {"id": given["customer"]})

    assert erased["eraseCustomer"] == {
        "erasedCustomerId": given["customer"],
        "conversations": 1,
        "messages": 2,
        "memories": 1,
        "appointments": 1,
        "errors": [],
    }
    assert (await operator.api.data(EXPORT, {"id": given["customer"]})) == {
        "exportCustomerData": None
    }
    gone = await operator.api.data(
        "query($id: ID!) { node(id: $id) { id } }", {"id": given["conversation"]}
    )
    assert gone == {"node": None}
    kept = (await operator.api.data(EXPORT, {"id": other["customer"]}))["exportCustomerData"]
    assert len(kept["conversations"][0]["messages"]) == 2
