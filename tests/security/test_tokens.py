"""Bearer tokens: only an unexpired HS256 token signed with the server's key and
naming an active user identifies anyone. Anything else leaves the request
anonymous, exactly as if no token had been sent."""

from __future__ import annotations

import asyncio
import base64
import json
import warnings
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import jwt
import pytest
from jwt.warnings import InsecureKeyLengthWarning
from sqlalchemy import delete, update

from gql.auth.tokens import issue_token
from gql.settings import Settings
from persistence.models import Role, User
from tests.conftest import Api, Database, serving
from tests.factories import make_user

VIEWER = "{ viewer { id } }"
PERSONAS = "{ personas { totalCount } }"
CREATE_PERSONA = """mutation { createPersona(input: {name: "Ada", systemPrompt: "Hi."}) {
  errors { __typename code } persona { id } } }"""


async def given_a_member(db: Database) -> User:
    async with db.uow(writes=True) as uow:
        user = await make_user(uow, username="alice")
        await uow.commit()
    return user


def claims(user: User, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"sub": str(user.id), "iat": now, "exp": now + timedelta(hours=1)} | changes


def sign(payload: dict[str, Any], key: str, algorithm: str = "HS256") -> str:
    with warnings.catch_warnings():
        # The test key is short for HS512; forging with it is the point.
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(payload, key, algorithm=algorithm)


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, default=lambda value: int(value.timestamp())).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def flip_a_character(token: str, part: int) -> str:
    """``token`` with one character of its header (0), payload (1) or signature (2) changed."""
    pieces = token.split(".")
    piece = pieces[part]
    index = len(piece) // 2
    pieces[part] = piece[:index] + ("A" if piece[index] != "A" else "B") + piece[index + 1 :]
    return ".".join(pieces)


Forge = Callable[[User, Settings], str]

FORGED: dict[str, Forge] = {
    "expired": lambda user, s: sign(
        claims(
            user,
            iat=datetime.now(UTC) - timedelta(hours=2),
            exp=datetime.now(UTC) - timedelta(seconds=1),
        ),
        s.signing_key,
    ),
    "signature changed": lambda user, s: flip_a_character(issue_token(user, s), 2),
    "payload changed": lambda user, s: flip_a_character(issue_token(user, s), 1),
    "signed with another key": lambda user, _s: sign(claims(user), "another-key-" + "x" * 32),
    "alg none": lambda user, _s: jwt.encode(claims(user), key=None, algorithm="none"),
    "alg none, signature kept": lambda user, s: ".".join(
        [_b64({"alg": "none", "typ": "JWT"}), *issue_token(user, s).split(".")[1:]]
    ),
    "HS512 with the right key": lambda user, s: sign(claims(user), s.signing_key, "HS512"),
    "no exp": lambda user, s: sign({"sub": str(user.id), "iat": datetime.now(UTC)}, s.signing_key),
    "sub not a uuid": lambda user, s: sign(claims(user, sub="alice"), s.signing_key),
    "sub of nobody": lambda user, s: sign(claims(user, sub=str(uuid4())), s.signing_key),
    "not a jwt": lambda _user, _s: "not-a-token",
}


async def assert_anonymous(api: Api) -> None:
    """``api`` is treated as no one: viewer null, queries and mutations refused."""
    assert (await api.data(VIEWER))["viewer"] is None
    refused = await api.query(PERSONAS)
    assert refused["data"] is None
    assert [error["extensions"]["code"] for error in refused["errors"]] == ["UNAUTHENTICATED"]
    created = (await api.data(CREATE_PERSONA))["createPersona"]
    assert created == {
        "errors": [{"__typename": "Unauthenticated", "code": "UNAUTHENTICATED"}],
        "persona": None,
    }


async def test_a_valid_token_identifies_its_user(api, db, settings):
    user = await given_a_member(db)

    member = api.as_(issue_token(user, settings))

    assert (await member.data(VIEWER))["viewer"] is not None
    assert (await member.data(PERSONAS))["personas"]["totalCount"] == 0
    assert (await member.data(CREATE_PERSONA))["createPersona"]["errors"] == []


@pytest.mark.parametrize("forgery", sorted(FORGED))
async def test_a_forged_or_expired_token_is_no_one(api, db, settings, forgery):
    user = await given_a_member(db)

    await assert_anonymous(api.as_(FORGED[forgery](user, settings)))

    async with db.uow() as uow:
        assert await uow.personas.count() == 0


async def test_a_token_rewritten_to_name_an_admin_is_no_one(api, db, settings):
    user = await given_a_member(db)
    async with db.uow(writes=True) as uow:
        admin = await make_user(uow, username="root", role=Role.ADMIN)
        await uow.commit()
    header, _, signature = issue_token(user, settings).split(".")

    forged = ".".join([header, _b64(claims(user, sub=str(admin.id))), signature])

    await assert_anonymous(api.as_(forged))


@asynccontextmanager
async def api_without_a_viewer_cache(db: Database, settings: Settings) -> AsyncIterator[Api]:
    """The real app with ``VIEWER_CACHE_SECONDS=0``: every request reads its viewer afresh.

    With the default cache a deactivated user keeps access for up to that many
    seconds; tests/api/test_viewer_cache.py proves that bound."""
    uncached = settings.model_copy(update={"viewer_cache_seconds": 0})
    async with serving(uncached, db.engine) as api:
        yield api


async def test_a_token_stops_working_at_once_when_its_user_is_deactivated(db, settings):
    user = await given_a_member(db)
    async with api_without_a_viewer_cache(db, settings) as api:
        member = api.as_(issue_token(user, settings))
        assert (await member.data(VIEWER))["viewer"] is not None
        assert (await member.data(PERSONAS))["personas"]["totalCount"] == 0

        async with db.engine.begin() as connection:
            await connection.execute(update(User).where(User.id == user.id).values(is_active=False))

        await assert_anonymous(member)

    async with db.uow() as uow:
        assert await uow.personas.count() == 0


async def test_a_token_of_a_deleted_user_is_no_one(api, db, settings):
    user = await given_a_member(db)
    token = issue_token(user, settings)

    async with db.engine.begin() as connection:
        await connection.execute(delete(User).where(User.id == user.id))

    await assert_anonymous(api.as_(token))


@pytest.mark.parametrize("header", ["Basic YWxpY2U6cHc=", "Bearer", "Bearer  ", "Token abc"])
async def test_an_authorization_header_without_a_bearer_token_is_no_one(api, db, header):
    await given_a_member(db)

    response = await api.http.post(
        "/graphql", json={"query": VIEWER}, headers={"Authorization": header}
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"viewer": None}}


async def test_a_token_that_worked_is_no_one_once_it_expires(api, db, settings):
    """Verified tokens are remembered for speed, never past their expiry."""
    user = await given_a_member(db)
    now = datetime.now(UTC)
    expires = (now + timedelta(seconds=2)).replace(microsecond=0) + timedelta(seconds=1)
    member = api.as_(sign(claims(user, iat=now, exp=expires), settings.signing_key))
    for _ in range(3):  # the first verifies the signature, the others are remembered
        assert (await member.data(VIEWER))["viewer"] is not None

    await asyncio.sleep((expires - datetime.now(UTC)).total_seconds() + 0.05)

    await assert_anonymous(member)
