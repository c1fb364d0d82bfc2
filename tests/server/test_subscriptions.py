"""Subscriptions over WebSocket (graphql-transport-ws), through the real app in
process, on both backends: authentication, the three fields, tenancy, limits."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import Any

import httpx
import pytest
from httpx_ws.transport import ASGIWebSocketTransport
from sqlalchemy import text

from gql.auth.tokens import issue_token
from gql.settings import Settings
from tests.api.steps import booked, days_ahead, set_schedule
from tests.api.wire import global_id
from tests.conftest import Api, Database
from tests.factories import make_conversation, make_customer, make_user
from tests.ws import Socket, connect

MESSAGE_ADDED = """subscription($id: ID!) {
  messageAdded(conversationId: $id) {
    message { id role content conversation { id title } }
  }
}"""
INBOX = """subscription {
  inboxChanged { change conversationId conversation { title messageCount lastMessage { content } } }
}"""
APPOINTMENTS = """subscription {
  appointmentChanged { change appointment { id status customer { id } } }
}"""
POST = """mutation($id: ID!, $messages: [MessageInput!]!) {
  postMessages(input: {conversationId: $id, messages: $messages}) { errors { code message } }
}"""


@dataclass
class Live:
    """The app, served in process over HTTP and WebSocket alike."""

    app: Any
    http: httpx.AsyncClient
    settings: Settings

    def api(self, token: str) -> Api:
        return Api(self.http, token, app=self.app)

    @contextlib.asynccontextmanager
    async def socket(self) -> AsyncIterator[Socket]:
        async with connect(self.http) as socket:
            yield socket

    async def subscribers(self, count: int) -> None:
        """Wait until the process's bus has ``count`` subscribers."""
        bus = self.app.state.services.events
        async with asyncio.timeout(5):
            while bus.subscriber_count != count:  # noqa: ASYNC110 (a count, not an event)
                await asyncio.sleep(0.01)


@pytest.fixture
def live(db: Database, settings: Settings) -> Callable[..., Any]:
    """``async with live(**settings) as app``: the app over this backend's database."""
    from gql.server.app import create_app

    @contextlib.asynccontextmanager
    async def serve(**overrides: Any) -> AsyncIterator[Live]:
        tuned = settings.model_copy(update=overrides)
        app = create_app(tuned, engine=db.engine)
        try:
            async with httpx.AsyncClient(
                transport=ASGIWebSocketTransport(app=app), base_url="http://test"
            ) as http:
                yield Live(app, http, tuned)
        finally:
            await app.state.services.events.close()

    return serve


@dataclass
class Member:
    token: str
    user: Any
    conversation: str  # the global id of a conversation of theirs


@pytest.fixture
def member(seed, settings: Settings) -> Callable[..., Any]:
    async def make(**fields: Any) -> Member:
        async with seed() as uow:
            user = await make_user(uow, **fields)
            conversation = await make_conversation(uow, user, title="Support")
        token = issue_token(user, settings)
        return Member(token, user, global_id("Conversation", conversation.id))

    return make


async def post(api: Api, conversation: str, *contents: str) -> None:
    messages = [{"role": "USER", "content": content} for content in contents]
    data = await api.data(POST, {"id": conversation, "messages": messages})
    assert data["postMessages"]["errors"] == [], data


# -- authentication -----------------------------------------------------------------


async def test_a_valid_token_in_connection_init_is_acknowledged(live, member):
    ada = await member()
    async with live() as app, app.socket() as socket:
        assert await socket.init(ada.token) == {"type": "connection_ack"}


async def test_the_lower_case_authorization_key_is_accepted_too(live, member):
    ada = await member()
    async with live() as app, app.socket() as socket:
        answer = await socket.init(authorization=f"Bearer {ada.token}")
        assert answer == {"type": "connection_ack"}


@pytest.mark.parametrize(
    "payload",
    [{}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic abc"}],
    ids=["missing", "malformed", "not-bearer"],
)
async def test_missing_or_bad_credentials_close_with_4401(live, payload):
    async with live() as app, app.socket() as socket:
        await socket.send({"type": "connection_init", "payload": payload})
        assert await socket.closed() == (4401, "Unauthorized")


async def test_an_expired_token_closes_with_4401(live, member, settings):
    ada = await member()
    expired = issue_token(ada.user, settings.model_copy(update={"token_ttl_minutes": -1}))
    async with live() as app, app.socket() as socket:
        await socket.send(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {expired}"}}
        )
        assert await socket.closed() == (4401, "Unauthorized")


async def test_a_token_of_a_deactivated_user_closes_with_4403(live, member):
    ada = await member(is_active=False)
    async with live() as app, app.socket() as socket:
        await socket.send(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {ada.token}"}}
        )
        assert await socket.closed() == (4403, "Forbidden")


async def test_subscribing_before_connection_init_closes_with_4401(live):
    async with live() as app, app.socket() as socket:
        await socket.subscribe("1", INBOX)
        assert await socket.closed() == (4401, "Unauthorized")


async def test_a_connection_that_never_initialises_is_closed_after_the_timeout(live):
    async with live(ws_init_timeout_s=0.2) as app, app.socket() as socket:
        assert await socket.closed() == (4408, "Connection initialisation timeout")


# -- the fields ---------------------------------------------------------------------


async def test_message_added_sends_each_new_message_through_the_loaders(live, member):
    ada = await member()
    async with live() as app, app.socket() as socket:
        await socket.init(ada.token)
        await socket.subscribe("m", MESSAGE_ADDED, {"id": ada.conversation})
        await app.subscribers(1)

        await post(app.api(ada.token), ada.conversation, "hello", "are you there?")

        first, second = await socket.receive(), await socket.receive()
        assert first["id"] == second["id"] == "m"
        assert first["type"] == second["type"] == "next"
        added = [m["payload"]["data"]["messageAdded"]["message"] for m in (first, second)]
        assert [m["content"] for m in added] == ["hello", "are you there?"]
        assert added[0]["conversation"] == {"id": ada.conversation, "title": "Support"}


async def test_message_added_on_a_conversation_not_yours_is_refused_at_subscribe(live, member):
    ada, rival = await member(), await member()
    async with live() as app, app.socket() as socket:
        await socket.init(ada.token)
        await socket.subscribe("m", MESSAGE_ADDED, {"id": rival.conversation})

        error = await socket.receive()
        assert error["type"] == "error"
        assert error["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        await app.subscribers(0)


async def test_message_added_with_a_malformed_id_names_the_argument(live, member):
    ada = await member()
    async with live() as app, app.socket() as socket:
        await socket.init(ada.token)
        await socket.subscribe("m", MESSAGE_ADDED, {"id": "nope"})

        error = await socket.receive()
        assert error["type"] == "error"
        assert error["payload"][0]["extensions"]["argument"] == "conversationId"


async def test_inbox_changed_follows_starts_messages_and_deletions(live, member):
    ada = await member()
    async with live() as app, app.socket() as socket:
        api = app.api(ada.token)
        await socket.init(ada.token)
        await socket.subscribe("inbox", INBOX)
        await app.subscribers(1)

        async def change() -> dict[str, Any]:
            return (await socket.receive())["payload"]["data"]["inboxChanged"]

        started = await api.data(
            'mutation { startConversation(input: {title: "New lead"}) { conversation { id } } }'
        )
        conversation = started["startConversation"]["conversation"]["id"]
        changes = [await change()]
        await post(api, conversation, "hi", "hello again")
        changes.append(await change())
        await api.data(
            "mutation($id: ID!) { deleteConversation(input: {id: $id}) { deletedId } }",
            {"id": conversation},
        )
        changes.append(await change())

        assert [c["change"] for c in changes] == ["STARTED", "MESSAGES_ADDED", "DELETED"]
        assert {c["conversationId"] for c in changes} == {conversation}
        assert changes[0]["conversation"] == {
            "title": "New lead",
            "messageCount": 0,
            "lastMessage": None,
        }
        assert changes[1]["conversation"]["messageCount"] == 2
        assert changes[1]["conversation"]["lastMessage"] == {"content": "hello again"}
        assert changes[2]["conversation"] is None


async def test_appointment_changed_follows_the_lifecycle(live, member, seed):
    ada = await member()
    async with seed() as uow:
        customer = await make_customer(uow, ada.user)
    customer_id = global_id("Customer", customer.id)
    starts_at = datetime.combine(days_ahead(3, weekday=0), time(10), UTC)
    async with live() as app, app.socket() as socket:
        api = app.api(ada.token)
        await set_schedule(api)
        await socket.init(ada.token)
        await socket.subscribe("a", APPOINTMENTS)
        await app.subscribers(1)

        appointment = await booked(api, customer_id, starts_at)
        for mutation in ("rescheduleAppointment", "confirmAppointment", "cancelAppointment"):
            extra = f', startsAt: "{starts_at.replace(hour=11).isoformat()}"'
            arguments = extra if mutation == "rescheduleAppointment" else ""
            data = await api.data(
                f"mutation($id: ID!) {{ {mutation}(input: {{id: $id{arguments}}}) "
                "{ errors { message } } }",
                {"id": appointment},
            )
            assert data[mutation]["errors"] == [], data

        events = [(await socket.receive())["payload"]["data"] for _ in range(4)]
        changes = [e["appointmentChanged"]["change"] for e in events]
        assert changes == ["BOOKED", "RESCHEDULED", "CONFIRMED", "CANCELLED"]
        assert {e["appointmentChanged"]["appointment"]["id"] for e in events} == {appointment}
        assert events[0]["appointmentChanged"]["appointment"]["customer"] == {"id": customer_id}


async def test_complete_message_ends_a_subscription(live, member):
    ada = await member()
    async with live() as app, app.socket() as socket:
        await socket.init(ada.token)
        await socket.subscribe("inbox", INBOX)
        await app.subscribers(1)
        await socket.send({"id": "inbox", "type": "complete"})
        await app.subscribers(0)


async def test_queries_over_the_socket_get_a_context_of_their_own(live, member):
    ada = await member(username="ada-ws")
    async with live() as app, app.socket() as socket:
        await socket.init(ada.token)
        await socket.subscribe("q1", "{ viewer { username } }")
        await socket.subscribe("q2", "{ conversations { totalCount } }")
        answers = {}
        for _ in range(4):
            message = await socket.receive()
            if message["type"] == "next":
                answers[message["id"]] = message["payload"]["data"]
        assert answers == {
            "q1": {"viewer": {"username": "ada-ws"}},
            "q2": {"conversations": {"totalCount": 1}},
        }


# -- tenancy ------------------------------------------------------------------------


async def test_a_subscriber_never_receives_another_tenants_events(live, member):
    ada, rival = await member(), await member()
    async with live() as app, app.socket() as mine, app.socket() as theirs:
        await mine.init(ada.token)
        await theirs.init(rival.token)
        await mine.subscribe("inbox", INBOX)
        await theirs.subscribe("inbox", INBOX)
        await app.subscribers(2)

        await post(app.api(rival.token), rival.conversation, "rival's secret")
        await post(app.api(ada.token), ada.conversation, "mine")

        # Events arrive in order: ada's first event is her own message.
        own = (await mine.receive())["payload"]["data"]["inboxChanged"]
        assert own["conversationId"] == ada.conversation
        assert own["conversation"]["lastMessage"] == {"content": "mine"}
        theirs_first = (await theirs.receive())["payload"]["data"]["inboxChanged"]
        assert theirs_first["conversationId"] == rival.conversation
        await theirs.nothing_within(0.3)


async def test_an_admin_sees_every_tenants_events_as_in_queries(live, member):
    ada, boss = await member(), await member(role="admin")
    async with live() as app, app.socket() as socket:
        await socket.init(boss.token)
        await socket.subscribe("inbox", INBOX)
        await app.subscribers(1)
        await post(app.api(ada.token), ada.conversation, "hi")
        event = (await socket.receive())["payload"]["data"]["inboxChanged"]
        assert event["conversationId"] == ada.conversation


# -- limits -------------------------------------------------------------------------


async def test_subscriptions_per_connection_are_limited(live, member):
    ada = await member()
    async with live(max_subscriptions_per_connection=2) as app, app.socket() as socket:
        await socket.init(ada.token)
        await socket.subscribe("1", INBOX)
        await socket.subscribe("2", APPOINTMENTS)
        await app.subscribers(2)
        await socket.subscribe("3", INBOX)
        refused = await socket.receive()
        assert refused["id"] == "3"
        assert refused["type"] == "error"
        assert refused["payload"][0]["message"] == "Subscription limit reached"


async def test_a_slow_consumer_is_ended_with_an_error_not_buffered(live, member):
    ada = await member()
    async with live(subscription_queue_size=3) as app, app.socket() as socket:
        await socket.init(ada.token)
        await socket.subscribe("m", MESSAGE_ADDED, {"id": ada.conversation})
        await app.subscribers(1)

        # Thirty events at once, far more than the three the subscriber may hold.
        await post(app.api(ada.token), ada.conversation, *(f"burst {i}" for i in range(30)))

        delivered, ending = 0, None
        while ending is None:
            message = await socket.receive()
            if message["type"] == "next" and "errors" not in message["payload"]:
                delivered += 1
            else:
                ending = message
        assert delivered <= 3
        assert ending["payload"]["errors"][0]["extensions"]["code"] == "SUBSCRIBER_TOO_SLOW"
        assert (await socket.receive())["type"] == "complete"
        await app.subscribers(0)


async def test_subscriptions_that_may_have_missed_events_end_with_a_retryable_error(
    live, member, db
):
    ada = await member()
    async with live() as app, app.socket() as socket:
        await socket.init(ada.token)
        await socket.subscribe("i", INBOX)
        await app.subscribers(1)
        bus = app.app.state.services.events
        if db.backend == "postgresql":  # the listener's connection goes away
            async with db.engine.connect() as connection:
                await connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = 'concierge-events' "
                        "AND datname = current_database()"
                    )
                )
        else:  # events are in process on SQLite: the bus is told directly
            bus.missed()

        ending = await socket.receive(timeout=10)
        assert ending["id"] == "i" and ending["type"] == "next"
        (error,) = ending["payload"]["errors"]
        assert error["extensions"] == {"code": "EVENTS_MISSED", "retryable": True}
        assert (await socket.receive())["type"] == "complete"
        await app.subscribers(0)


async def test_an_idle_connection_is_closed_but_not_one_with_a_subscription(live, member):
    ada = await member()
    async with (
        live(ws_idle_timeout_s=0.4, ws_ping_interval_s=0) as app,
        app.socket() as idle,
        app.socket() as busy,
    ):
        await idle.init(ada.token)
        await busy.init(ada.token)
        await busy.subscribe("1", INBOX)
        await app.subscribers(1)
        assert await idle.closed() == (1000, "Idle")
        # Subscribed well past the timeout: still open, and still subscribed.
        await asyncio.sleep(0.8)
        await app.subscribers(1)
        await busy.send({"id": "1", "type": "complete"})
        await app.subscribers(0)
        assert await busy.closed() == (1000, "Idle")


async def test_the_server_pings_and_closes_a_client_that_does_not_answer(live, member):
    ada = await member()
    async with live(ws_ping_interval_s=0.2, ws_ping_timeout_s=0.3) as app, app.socket() as silent:
        await silent.init(ada.token)
        assert await silent.ws.receive_json(timeout=2) == {"type": "ping"}
        assert await silent.closed() == (4408, "No pong in time")
