"""Lost-update races over HTTP: many requests in flight on one row at once.

Each lifecycle change is a compare-and-set on the appointment's status, and a
conversation's ``lastMessageAt`` only ever moves forward: whatever order the
racers commit in, the row and its history agree.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta

from tests.api.appointments.test_lifecycle import change, given_an_appointment, reschedule
from tests.api.core.test_concurrency import connections_in_use

HISTORY = """query($id: ID!) { node(id: $id) { ... on Appointment {
  status startsAt history { change status startsAt } } } }"""


async def history_of(member, appointment_id: str) -> dict:
    return (await member.data(HISTORY, {"id": appointment_id}))["node"]


def outcome(result: dict) -> str:
    return "won" if result["errors"] == [] else result["errors"][0]["__typename"]


def assert_history_agrees(node: dict) -> None:
    """The last event says what the row says, and every event after the booking is
    a real change of status or time."""
    events = node["history"]
    assert events[0]["change"] == "BOOKED"
    assert (events[-1]["status"], events[-1]["startsAt"]) == (node["status"], node["startsAt"])
    for before, after in itertools.pairwise(events):
        assert (before["status"], before["startsAt"]) != (after["status"], after["startsAt"])


async def test_ten_parallel_confirms_let_exactly_one_win(api, db):
    ada, _, appointment, _ = await given_an_appointment(api)

    with connections_in_use(db.engine) as overlap:
        results = await asyncio.gather(*(change(ada, appointment, "confirmed") for _ in range(10)))

    assert sorted(map(outcome, results)) == ["InvalidTransition"] * 9 + ["won"]
    node = await history_of(ada, appointment)
    assert [e["change"] for e in node["history"]] == ["BOOKED", "CONFIRMED"]
    assert_history_agrees(node)
    assert overlap.peak > 1


async def test_confirms_racing_cancels_leave_status_and_history_agreeing(api):
    ada, _, appointment, _ = await given_an_appointment(api)
    targets = ["confirmed", "cancelled"] * 6

    results = await asyncio.gather(*(change(ada, appointment, target) for target in targets))

    won = [target for target, result in zip(targets, results, strict=True) if not result["errors"]]
    # Either cancelled straight away, or confirmed first and cancelled after.
    assert sorted(won) in (["cancelled"], ["cancelled", "confirmed"])
    refused = {outcome(r) for r in results if r["errors"]}
    assert refused == {"InvalidTransition"}
    node = await history_of(ada, appointment)
    assert node["status"] == "CANCELLED"
    assert len(node["history"]) == 1 + len(won)
    assert_history_agrees(node)


async def test_reschedules_racing_a_cancel_never_move_a_cancelled_appointment(api):
    ada, _, appointment, starts_at = await given_an_appointment(api)
    moves = [reschedule(ada, appointment, starts_at + timedelta(hours=h)) for h in range(1, 6)]

    results = await asyncio.gather(*moves, change(ada, appointment, "cancelled"))

    assert results[-1]["errors"] == []
    node = await history_of(ada, appointment)
    assert node["status"] == "CANCELLED"
    assert node["history"][-1]["change"] == "CANCELLED"
    moved = sum(1 for r in results[:-1] if not r["errors"])
    assert {outcome(r) for r in results[:-1] if r["errors"]} <= {"InvalidTransition"}
    assert [e["change"] for e in node["history"]].count("RESCHEDULED") == moved
    assert_history_agrees(node)


POST = """mutation($id: ID!, $n: String!) {
  postMessages(input: {conversationId: $id, messages: [{role: USER, content: $n}]}) {
    messages { createdAt } errors { message } } }"""


async def test_parallel_posts_leave_last_message_at_on_the_newest_message(operator, db):
    started = await operator.api.data(
        'mutation { startConversation(input: {title: "race"}) { conversation { id } } }'
    )
    conversation = started["startConversation"]["conversation"]["id"]

    with connections_in_use(db.engine) as overlap:
        results = await asyncio.gather(
            *(operator.api.data(POST, {"id": conversation, "n": str(n)}) for n in range(20))
        )

    assert all(r["postMessages"]["errors"] == [] for r in results)
    read = await operator.api.data(
        """query($id: ID!) { node(id: $id) { ... on Conversation { lastMessageAt messageCount
             messages(first: 100) { edges { node { createdAt } } } } } }""",
        {"id": conversation},
    )
    node = read["node"]
    created = [datetime.fromisoformat(e["node"]["createdAt"]) for e in node["messages"]["edges"]]
    assert node["messageCount"] == 20
    assert len(set(created)) == 20
    assert datetime.fromisoformat(node["lastMessageAt"]) == max(created)
    assert overlap.peak > 1
