"""Inputs at the edges of their domain, over HTTP on both backends: each is a typed
payload error (mutations) or a ``BAD_USER_INPUT`` naming the argument, never an
"Unexpected error.", and what can be refused before the database is."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from persistence.models import Message, MessageRole
from tests.api.steps import add_customer, booked, days_ahead, set_schedule
from tests.api.wire import ERRORS, global_id, user_errors
from tests.factories import make_conversation

EAST, WEST = "Pacific/Kiritimati", "Pacific/Pago_Pago"  # UTC+14 and UTC-11


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def refused_argument(body: dict[str, Any]) -> str:
    """The argument a response's only error blames, checking it is a clean refusal."""
    assert body.get("data") is None or all(v is None for v in body["data"].values()), body
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert "Unexpected" not in error["message"]
    return str(error["extensions"]["argument"])


# -- cursors ---------------------------------------------------------------------


def garbled_cursors(real: str) -> dict[str, str]:
    name, tag, stamp, row = orjson.loads(base64.urlsafe_b64decode(real))
    forged = {
        "deeply nested arrays": b64("[" * 100_000 + "]" * 100_000),
        "nested arrays past the parser's limit": b64("[" * 2000 + "]" * 2000),
        "nested objects": b64('{"a":' * 900 + "1" + "}" * 900),
        "too few values": b64(json.dumps([name, tag, stamp])),
        "too many values": b64(json.dumps([name, tag, stamp, row, row])),
        "numbers for text": b64(json.dumps([name, tag, 1, 2])),
        "booleans": b64(json.dumps([name, tag, True, False])),
        "nulls": b64(json.dumps([name, tag, None, None])),
        "a nested list as a value": b64(json.dumps([name, tag, [stamp], row])),
        "an object": b64(json.dumps({"name": name})),
        "a timestamp tampered into text": b64(json.dumps([name, tag, "yesterday", row])),
        "a timestamp without an offset": b64(json.dumps([name, tag, stamp[:19], row])),
        "the calendar's first instant, east": b64(
            json.dumps([name, tag, "0001-01-01T00:00:00+14:00", row])
        ),
        "the calendar's last instant, west": b64(
            json.dumps([name, tag, "9999-12-31T23:59:59.999999-14:00", row])
        ),
        "a row id that is no uuid": b64(json.dumps([name, tag, stamp, "not-a-uuid"])),
        "not base64 at all": "%%%",
        "far too long": "A" * 100_000,
    }
    return forged


CURSOR_QUERIES = {
    "root": "query($c: String) { conversations(after: $c) { totalCount } }",
    "nested": """query($id: ID!, $c: String) { node(id: $id) { ... on Conversation {
                   messages(after: $c) { totalCount } } } }""",
}


@pytest.mark.parametrize("where", list(CURSOR_QUERIES))
async def test_garbled_cursors_are_refused_as_bad_input(operator, seed, db, where):
    async with seed() as uow:
        conversation = await make_conversation(uow, operator.user)
        await uow.messages.append(
            conversation, [Message(role=MessageRole.USER, content=f"m{n}") for n in range(3)]
        )
    conversation_id = global_id("Conversation", conversation.id)
    page = await operator.api.data(
        """query($id: ID!) { conversations(first: 1) { edges { cursor } }
             node(id: $id) { ... on Conversation { messages(first: 1) { edges { cursor } } } } }""",
        {"id": conversation_id},
    )
    real = (
        page["conversations"]["edges"][0]["cursor"]
        if where == "root"
        else page["node"]["messages"]["edges"][0]["cursor"]
    )

    for label, cursor in garbled_cursors(real).items():
        with db.statements() as log:
            body = await operator.api.query(
                CURSOR_QUERIES[where], {"c": cursor, "id": conversation_id}
            )
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT", (label, body)
        assert error["extensions"]["argument"] == "after", label
        # Refused while decoding: no page was read.
        assert not [s for s in log.statements if "FROM messages" in s], label
        if where == "root":
            assert not [s for s in log.statements if "FROM conversations" in s], label


# -- dates and instants at the ends of the calendar -----------------------------------

DATE_QUERIES = {
    "availableSlots": (
        "query($d: Date!) { availableSlots(date: $d, durationMinutes: 30) { startsAt } }",
        "date",
    ),
    "availableSlotsRange from": (
        'query($d: Date!) { availableSlotsRange(from: $d, to: "2027-01-01", '
        "durationMinutes: 30) { date } }",
        "from",
    ),
    "availableSlotsRange to": (
        'query($d: Date!) { availableSlotsRange(from: "2027-01-01", to: $d, '
        "durationMinutes: 30) { date } }",
        "to",
    ),
    "usage from": (
        'query($d: Date!) { usage(filter: {from: $d, to: "2027-01-01"}, groupBy: DAY) { key } }',
        "filter.from",
    ),
    "usage to": (
        'query($d: Date!) { usage(filter: {from: "2027-01-01", to: $d}, groupBy: WEEK) { key } }',
        "filter.to",
    ),
}


@pytest.mark.parametrize("zone", [EAST, WEST])
@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "10000-01-01", "2027-02-30"])
async def test_dates_beyond_the_calendar_are_refused_naming_the_argument(operator, zone, day):
    await set_schedule(operator.api, timezone=zone)

    for label, (query, argument) in DATE_QUERIES.items():
        body = await operator.api.query(query, {"d": day})

        assert refused_argument(body) == argument, label


@pytest.mark.parametrize("zone", [EAST, WEST])
@pytest.mark.parametrize("grouping", ["DAY", "WEEK", "MONTH"])
async def test_the_first_and_last_supported_dates_are_answered_in_any_zone(
    operator, zone, grouping
):
    await set_schedule(operator.api, timezone=zone)

    for first, last in (("0002-01-01", "0002-01-07"), ("9998-12-25", "9998-12-31")):
        data = await operator.api.data(
            f"""query($first: Date!, $last: Date!) {{
                  slots: availableSlotsRange(from: $first, to: $last, durationMinutes: 30) {{
                    date slots {{ startsAt }} }}
                  one: availableSlots(date: $last, durationMinutes: 30, timezone: "{EAST}") {{
                    startsAt }}
                  usage(filter: {{from: $first, to: $last}}, groupBy: {grouping}) {{ key }}
                }}""",
            {"first": first, "last": last},
        )

        assert [day["date"] for day in data["slots"]][-1] == last
        assert data["usage"]  # every bucket of the range, empty or not


INSTANTS = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59.999999-14:00",
    "0001-12-31T23:00:00+00:00",
    "2027-01-01T00:00:00",  # no offset
    "2027-01-01",  # no time at all
    "soon",
]


@pytest.mark.parametrize("instant", INSTANTS)
async def test_filter_instants_the_datetime_scalar_refuses_name_their_argument(operator, instant):
    as_variables = await operator.api.query(
        """query($t: DateTime) { appointments(filter: {from: $t}) { totalCount } }""",
        {"t": instant},
    )
    nested_variable = await operator.api.query(
        """query($f: ConversationFilterInput) { conversations(filter: $f) { totalCount } }""",
        {"f": {"updatedAfter": instant}},
    )
    literal = await operator.api.query(
        f'{{ appointments(filter: {{to: "{instant}"}}) {{ totalCount }} }}'
    )

    assert refused_argument(as_variables) == "filter.from"
    assert refused_argument(nested_variable) == "filter.updatedAfter"
    assert refused_argument(literal) == "filter.to"


@pytest.mark.parametrize("instant", INSTANTS[:4])
async def test_booking_and_moving_at_instants_the_scalar_refuses_name_the_field(
    operator, db, instant
):
    await set_schedule(operator.api)
    customer = await add_customer(operator.api)
    day = days_ahead(3)
    appointment = await booked(
        operator.api, customer, datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    )

    book = await operator.api.query(
        f"""mutation($t: DateTime!, $c: ID!) {{ bookAppointment(input: {{customerId: $c,
              startsAt: $t, durationMinutes: 30}}) {{ {ERRORS} }} }}""",
        {"t": instant, "c": customer},
    )
    move = await operator.api.query(
        f"""mutation($input: RescheduleAppointmentInput!) {{
              rescheduleAppointment(input: $input) {{ {ERRORS} }} }}""",
        {"input": {"id": appointment, "startsAt": instant}},
    )

    assert refused_argument(book) == "input.startsAt"
    assert refused_argument(move) == "input.startsAt"
    async with db.uow() as uow:
        assert await uow.appointments.count() == 1


async def test_booking_at_the_ends_of_the_supported_calendar_is_a_typed_refusal(operator):
    await set_schedule(operator.api, timezone=EAST)
    customer = await add_customer(operator.api)

    for instant in ("0002-01-01T00:00:00Z", "9998-12-31T23:59:00Z"):
        data = await operator.api.data(
            f"""mutation($t: DateTime!, $c: ID!) {{ bookAppointment(input: {{customerId: $c,
                  startsAt: $t, durationMinutes: 30}}) {{ {ERRORS} }} }}""",
            {"t": instant, "c": customer},
        )

        assert user_errors(data["bookAppointment"]) == [
            ("ValidationError", "VALIDATION", "input.startsAt")
        ]


# -- time zones ------------------------------------------------------------------

BAD_ZONES = ["Europe", "Etc", "America", "AAAAAAAAAAAAAAAAAAAA", "../../etc/passwd", "A" * 300, ""]


@pytest.mark.parametrize("zone", BAD_ZONES)
async def test_zone_names_that_are_folders_or_garbage_are_unknown_time_zones(operator, zone):
    stored = await operator.api.data(
        f"""mutation($z: String) {{ updateSchedule(input: {{timezone: $z}}) {{ {ERRORS} }} }}""",
        {"z": zone},
    )
    shown = await operator.api.query(
        """query($z: String) { availableSlots(date: "2027-01-04", durationMinutes: 30,
             timezone: $z) { startsAt } }""",
        {"z": zone},
    )

    assert user_errors(stored["updateSchedule"]) == [
        ("UnknownTimeZone", "UNKNOWN_TIME_ZONE", "input.timezone")
    ]
    assert refused_argument(shown) == "timezone"


# -- JSON values ------------------------------------------------------------------

START = f"""mutation($c: JSON) {{ startConversation(input: {{title: "t", providerConfig: $c}}) {{
  conversation {{ id }} {ERRORS} }} }}"""


def nested_json(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


async def post_raw(api, query: str, variables_json: str):
    body = '{"query": ' + json.dumps(query) + ', "variables": ' + variables_json + "}"
    return await api.http.post(
        "/graphql",
        content=body,
        headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"},
    )


@pytest.mark.parametrize("levels", [40, 100, 900, 5000])
async def test_deeply_nested_json_variables_are_refused_clearly(operator, db, levels):
    response = await post_raw(operator.api, START, '{"c": ' + nested_json(levels) + "}")

    body = response.json()
    assert "Unexpected" not in response.text
    if levels <= 40:  # deeper than a JSON value may be
        assert response.status_code == 200
        assert refused_argument(body) == "input.providerConfig"
        assert "32 levels" in body["errors"][0]["message"]
    else:  # beyond what a request may nest at all: refused before GraphQL runs
        assert response.status_code == 400
        assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
        assert "nest deeper than 64 levels" in body["errors"][0]["message"] or (
            "depth limit exceeded" in body["errors"][0]["message"]  # orjson stops at 1024
        )
    async with db.uow() as uow:
        assert await uow.conversations.count() == 0


async def test_json_nested_within_the_limit_is_stored_and_read_back(operator):
    value = {"a": json.loads(nested_json(30))}

    data = await operator.api.data(START, {"c": value})

    assert data["startConversation"]["errors"] == []


@pytest.mark.parametrize("levels", [40, 300, 1200])
async def test_deeply_nested_literals_in_the_document_are_refused_clearly(operator, db, levels):
    literal = "{a:" * levels + "1" + "}" * levels
    response = await operator.api.post(
        f'mutation {{ startConversation(input: {{title: "t", providerConfig: {literal}}}) '
        f"{{ {ERRORS} }} }}"
    )

    body = response.json()
    assert "Unexpected" not in response.text
    (error,) = body["errors"]
    if levels <= 40:
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "argument": "input.providerConfig"}
    else:
        assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
        assert "nests deeper than 64 levels" in error["message"]
    async with db.uow() as uow:
        assert await uow.conversations.count() == 0


async def test_json_larger_than_a_stored_document_may_be_is_a_validation_error(operator, seed):
    async with seed() as uow:
        conversation = await make_conversation(uow, operator.user)
    big = {"blob": "x" * 70_000}

    started = await operator.api.data(START, {"c": big})
    posted = await operator.api.data(
        f"""mutation($id: ID!, $extra: JSON) {{ postMessages(input: {{conversationId: $id,
              messages: [{{role: USER, content: "hi"}}, {{role: USER, content: "x",
              extraData: $extra}}]}}) {{ {ERRORS} }} }}""",
        {"id": global_id("Conversation", conversation.id), "extra": big},
    )

    assert user_errors(started["startConversation"]) == [
        ("ValidationError", "VALIDATION", "input.providerConfig")
    ]
    assert user_errors(posted["postMessages"]) == [
        ("ValidationError", "VALIDATION", "input.messages[1].extraData")
    ]


# -- token counts and their totals ---------------------------------------------------


@pytest.mark.parametrize("tokens", [2**31 - 1, 10_000_001, -1])
async def test_token_counts_beyond_what_a_message_may_carry_are_refused(operator, seed, tokens):
    async with seed() as uow:
        conversation = await make_conversation(uow, operator.user)

    data = await operator.api.data(
        f"""mutation($id: ID!, $n: Int) {{ postMessages(input: {{conversationId: $id,
              messages: [{{role: USER, content: "x", inputTokens: 5}},
                         {{role: ASSISTANT, content: "y", outputTokens: $n}}]}}) {{
              {ERRORS} }} }}""",
        {"id": global_id("Conversation", conversation.id), "n": tokens},
    )

    assert user_errors(data["postMessages"]) == [
        ("ValidationError", "VALIDATION", "input.messages[1].outputTokens")
    ]


async def test_token_totals_beyond_32_bits_are_reported_exactly(operator, seed):
    async with seed() as uow:
        conversation = await make_conversation(uow, operator.user)
        await uow.messages.append(
            conversation,
            [
                Message(role=MessageRole.ASSISTANT, content="x", input_tokens=2_000_000_000)
                for _ in range(3)
            ],
        )
    today = datetime.now(UTC).date()

    data = await operator.api.data(
        """query($from: Date!, $to: Date!) { usage(filter: {from: $from, to: $to}, groupBy: MONTH) {
             inputTokens } }""",
        {"from": (today - timedelta(days=1)).isoformat(), "to": today.isoformat()},
    )

    assert sum(bucket["inputTokens"] for bucket in data["usage"]) == 6_000_000_000


# -- one notation for every path ---------------------------------------------------


async def test_payload_fields_and_bad_input_arguments_use_one_path_notation(operator, seed):
    async with seed() as uow:
        conversation = await make_conversation(uow, operator.user)
    messages = [{"role": "USER", "content": "ok"}, {"role": "USER", "content": "x" * 100_001}]

    too_long = await operator.api.data(
        f"""mutation($input: PostMessagesInput!) {{
              postMessages(input: $input) {{ {ERRORS} }} }}""",
        {
            "input": {
                "conversationId": global_id("Conversation", conversation.id),
                "messages": messages,
            }
        },
    )
    wrong_role = await operator.api.query(
        """mutation($input: PostMessagesInput!) {
             postMessages(input: $input) { errors { field } } }""",
        {
            "input": {
                "conversationId": global_id("Conversation", conversation.id),
                "messages": [messages[0], {"role": "BOSS", "content": "hi"}],
            }
        },
    )
    hours = await operator.api.data(
        f"""mutation {{ updateSchedule(input: {{weeklyHours: [
              {{weekday: MONDAY, opens: "09:00", closes: "12:00"}},
              {{weekday: MONDAY, opens: "11:00", closes: "13:00"}}]}}) {{ {ERRORS} }} }}"""
    )

    assert [e["field"] for e in too_long["postMessages"]["errors"]] == ["input.messages[1].content"]
    assert refused_argument(wrong_role) == "input.messages[1].role"
    assert [e["field"] for e in hours["updateSchedule"]["errors"]] == ["input.weeklyHours[1]"]


# -- limits that depend on variables ---------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "query($n: Int = 500) { personas(first: $n) { totalCount } }",
        "query($n: Int = 500) { viewer { personas(last: $n) { totalCount } } }",
        "query($ids: [ID!]! = [" + ", ".join(['"x"'] * 101) + "]) { nodes(ids: $ids) { id } }",
    ],
)
async def test_limits_apply_to_variable_defaults_before_any_sql(operator, db, query):
    with db.statements() as log:
        body = await operator.api.query(query)

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert log.count == 0


# -- ids ----------------------------------------------------------------------------


@pytest.mark.parametrize("malformed", ["x", "", "%%%", b64("Persona"), b64("Persona:not-a-uuid")])
async def test_a_malformed_id_is_answered_like_a_missing_one(operator, malformed):
    missing = global_id("Persona", "01960a4e-2f7c-7d3a-9b1e-5c6d7e8f9a0b")
    update = f"""mutation($id: ID!) {{ updatePersona(input: {{id: $id, name: "N"}}) {{
      persona {{ id }} {ERRORS} }} }}"""

    bad = await operator.api.data(update, {"id": malformed})
    absent = await operator.api.data(update, {"id": missing})
    nodes = await operator.api.data(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": [malformed, missing]}
    )
    filtered = await operator.api.query(
        "query($id: ID) { conversations(filter: {personaId: $id}) { totalCount } }",
        {"id": malformed},
    )

    assert user_errors(bad["updatePersona"]) == user_errors(absent["updatePersona"])
    assert user_errors(bad["updatePersona"]) == [("NotFoundError", "NOT_FOUND", "input.id")]
    assert nodes["nodes"] == [None, None]
    assert refused_argument(filtered) == "filter.personaId"
