"""Unexpected failures are masked for the client and logged, with one request id
tying the two together."""

from __future__ import annotations

import logging

import pytest

from persistence.reads import JsonReads
from persistence.repositories import PersonaRepository
from persistence.repositories.personas import PersonaFilter

SECRET = 'SELECT hashed_password FROM users -- asyncpg.exceptions sqlalchemy "personas"'


@pytest.fixture
def broken_personas(monkeypatch):
    async def fail(*_args, **_kwargs):
        raise RuntimeError(SECRET)

    # The page read, on the loader path and compiled: the error is at `personas` on both.
    monkeypatch.setattr(PersonaRepository, "find", fail)
    monkeypatch.setattr(JsonReads, "page", fail)


async def test_an_internal_error_is_masked_and_carries_the_request_id(api, broken_personas, caplog):
    member = api.as_(await api.sign_up("masked"))
    caplog.set_level(logging.ERROR, logger="concierge.graphql")

    response = await member.post("{ personas { totalCount } }")

    body = response.json()
    request_id = response.headers["x-request-id"]
    assert response.status_code == 200
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Unexpected error."
    assert body["errors"][0]["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": request_id,
    }
    assert "SELECT" not in response.text and "sqlalchemy" not in response.text
    # (on PostgreSQL the twin app of tests/conftest.py logs its own request too)
    [record] = [
        r for r in caplog.records if r.levelno == logging.ERROR and request_id in r.getMessage()
    ]
    assert record.exc_info is not None and SECRET in str(record.exc_info[1])


async def test_the_callers_request_id_is_the_one_reported(api, broken_personas):
    member = api.as_(await api.sign_up("traced"))

    response = await member.http.post(
        "/graphql",
        json={"query": "{ personas { totalCount } }"},
        headers={"Authorization": f"Bearer {member.token}", "X-Request-ID": "frontend-7"},
    )

    assert response.headers["x-request-id"] == "frontend-7"
    assert response.json()["errors"][0]["extensions"]["requestId"] == "frontend-7"


async def test_an_internal_error_in_a_mutation_rolls_back_and_is_masked(api, db, monkeypatch):
    member = api.as_(await api.sign_up("rollback"))

    async def fail(*_args, **_kwargs):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(PersonaRepository, "add", fail)

    body = await member.query(
        'mutation { createPersona(input: {name: "Ada", systemPrompt: "Hi"}) { persona { id } } }'
    )

    assert body["errors"][0]["message"] == "Unexpected error."
    async with db.uow() as uow:
        assert await uow.personas.count_matching(_all_personas()) == 0


async def test_expected_refusals_stay_readable(api):
    body = await api.query("{ personas { totalCount } }")

    assert body["errors"][0]["message"].startswith("authentication required")
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def _all_personas():

    return PersonaFilter()
