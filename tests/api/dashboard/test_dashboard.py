"""The dashboard's usage query over HTTP on both backends: buckets in the
owner's zone, empty ones filled, one SQL statement for the numbers."""

from __future__ import annotations

from sqlalchemy import select

from persistence.models import User
from tests.activity import given_two_owners_with_activity

USAGE = """query($groupBy: UsageGroupBy!, $personaId: ID) {
  usage(filter: {from: "2027-01-09", to: "2027-01-13", personaId: $personaId},
        groupBy: $groupBy) {
    key date channel
    messages { user assistant system tool total }
    conversationsStarted inputTokens outputTokens
    appointments { pending confirmed cancelled completed total }
    activeCustomers } }"""


async def user_named(db, username: str) -> User:
    async with db.engine.connect() as connection:
        row = (await connection.execute(select(User).where(User.username == username))).one()
    return User(**row._asdict())


async def given_ada_and_bob_with_activity(api, db):
    ada = api.as_(await api.sign_up("ada"))
    await api.sign_up("bob")
    await given_two_owners_with_activity(
        db, await user_named(db, "ada"), await user_named(db, "bob")
    )
    return ada


def counts(bucket: dict) -> tuple:
    return (
        bucket["messages"]["user"],
        bucket["messages"]["assistant"],
        bucket["messages"]["tool"],
        bucket["conversationsStarted"],
        bucket["inputTokens"],
        bucket["outputTokens"],
        bucket["appointments"]["pending"],
        bucket["appointments"]["confirmed"],
        bucket["appointments"]["cancelled"],
        bucket["activeCustomers"],
    )


async def test_daily_usage_in_kathmandu_costs_one_statement_beyond_the_sign_in(api, db):
    ada = await given_ada_and_bob_with_activity(api, db)

    # Reading the viewer costs one statement, after which the process remembers it for
    # VIEWER_CACHE_SECONDS (5 s by default): the usage request right after pays only for usage.
    await ada.data("{ viewer { username } }")
    with db.statements() as log:
        data = await ada.data(USAGE, {"groupBy": "DAY"})

    assert len(log.statements) == 1, log.statements
    assert "GROUP BY events" in log.statements[0]
    buckets = data["usage"]
    assert [b["key"] for b in buckets] == [
        "2027-01-09", "2027-01-10", "2027-01-11", "2027-01-12", "2027-01-13",
    ]  # fmt: skip
    assert [counts(b) for b in buckets] == [
        # user assistant tool started in out pending confirmed cancelled customers
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        (1, 0, 0, 1, 0, 0, 0, 0, 0, 1),
        (1, 1, 1, 1, 15, 27, 0, 0, 0, 2),
        (0, 0, 0, 0, 0, 0, 1, 1, 0, 0),
        (0, 0, 0, 0, 0, 0, 0, 0, 1, 0),
    ]
    assert buckets[2]["messages"]["total"] == 3
    assert buckets[3]["appointments"]["total"] == 2


async def test_weekly_and_monthly_usage(api, db):
    ada = await given_ada_and_bob_with_activity(api, db)

    weeks = (await ada.data(USAGE, {"groupBy": "WEEK"}))["usage"]
    months = (await ada.data(USAGE, {"groupBy": "MONTH"}))["usage"]

    assert [(b["date"], counts(b)) for b in weeks] == [
        ("2027-01-04", (1, 0, 0, 1, 0, 0, 0, 0, 0, 1)),
        ("2027-01-11", (1, 1, 1, 1, 15, 27, 1, 1, 1, 2)),
    ]
    assert [(b["date"], counts(b)) for b in months] == [
        ("2027-01-01", (2, 1, 1, 2, 15, 27, 1, 1, 1, 2))
    ]


async def test_usage_per_persona_names_them_and_per_channel_lists_every_channel(api, db):
    ada = await given_ada_and_bob_with_activity(api, db)

    personas = await ada.data(
        """{ usage(filter: {from: "2027-01-09", to: "2027-01-13"}, groupBy: PERSONA) {
             key persona { name } messages { total } appointments { total } } }"""
    )
    channels = (await ada.data(USAGE, {"groupBy": "CHANNEL"}))["usage"]

    rows = personas["usage"]
    assert [(r["messages"]["total"], r["appointments"]["total"]) for r in rows] == [
        (2, 1), (2, 1), (0, 0), (0, 1),
    ]  # fmt: skip
    assert all(r["persona"]["name"].startswith("Persona") for r in rows[:3])
    assert (rows[3]["key"], rows[3]["persona"]) == (None, None)
    by_channel = {b["channel"]: counts(b) for b in channels}
    assert by_channel["TELEGRAM"] == (1, 1, 0, 1, 10, 20, 1, 0, 1, 1)
    assert by_channel["WHATSAPP"] == (1, 0, 1, 1, 5, 7, 0, 1, 0, 1)
    assert by_channel["SMS"] == (0,) * 10
    assert len(by_channel) == 8


async def test_a_reversed_range_is_bad_input(api):
    ada = api.as_(await api.sign_up("ada"))

    body = await ada.query(
        '{ usage(filter: {from: "2027-02-01", to: "2027-01-01"}, groupBy: DAY) { key } }'
    )

    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
