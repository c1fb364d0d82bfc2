"""Accounts over HTTP: signing up, logging in, one generic answer for wrong
credentials, inactive accounts, rehashing on login, and the first admin."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from gql.settings import Settings
from persistence.models import User
from persistence.services.credentials import Passwords
from tests.conftest import Api, Database
from tests.factories import make_user

PASSWORD = "correct-horse-1"
ERRORS = "errors { __typename code message field }"
SIGN_UP = f"""mutation($input: SignUpInput!) {{ signUp(input: $input) {{
  {ERRORS} token user {{ id email username fullName role }} }} }}"""
LOG_IN = f"""mutation($login: String!, $password: String!) {{
  logIn(input: {{login: $login, password: $password}}) {{ {ERRORS} token user {{ id }} }} }}"""
VIEWER = "{ viewer { id email username role } }"


async def sign_up(api: Api, **fields: Any) -> dict[str, Any]:
    given = {"email": "alice@example.com", "username": "alice", "password": PASSWORD}
    return (await api.data(SIGN_UP, {"input": given | fields}))["signUp"]


async def log_in(api: Api, login: str, password: str = PASSWORD) -> dict[str, Any]:
    return (await api.data(LOG_IN, {"login": login, "password": password}))["logIn"]


async def stored_hash(db: Database, username: str) -> str:
    async with db.engine.connect() as connection:
        query = select(User.hashed_password).where(User.username == username)
        return (await connection.execute(query)).scalar_one()


async def test_signing_up_returns_a_working_token_for_a_member(api):
    signed_up = await sign_up(api, fullName="Alice Liddell")

    assert signed_up["errors"] == []
    viewer = (await api.as_(signed_up["token"]).data(VIEWER))["viewer"]
    assert viewer == {
        "id": signed_up["user"]["id"],
        "email": "alice@example.com",
        "username": "alice",
        "role": "MEMBER",
    }


async def test_the_email_is_stored_lower_case_and_logs_in_in_any_case(api):
    signed_up = await sign_up(api, email="  Alice@Example.COM ")

    logged_in = await log_in(api, "ALICE@example.com")

    assert signed_up["user"]["email"] == "alice@example.com"
    assert logged_in["errors"] == [] and logged_in["user"] == {"id": signed_up["user"]["id"]}


@pytest.mark.parametrize(
    ("taken", "field"),
    [
        ({"email": "ALICE@example.com", "username": "alice2"}, "input.email"),
        ({"email": "alice2@example.com", "username": "alice"}, "input.username"),
    ],
)
async def test_a_taken_email_or_username_is_a_typed_conflict(api, taken, field):
    await sign_up(api)

    again = await sign_up(api, **taken)

    assert again["token"] is None and again["user"] is None
    assert [(e["__typename"], e["code"], e["field"]) for e in again["errors"]] == [
        ("ConflictError", "CONFLICT", field)
    ]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"password": "short1"}, "input.password"),
        ({"password": "onlyletterslong"}, "input.password"),
        ({"password": "12345678901234"}, "input.password"),
        ({"password": "x1" * 129}, "input.password"),
        ({"email": "not-an-email"}, "input.email"),
        ({"email": "   "}, "input.email"),
        ({"email": "a@b.c" + "c" * 320}, "input.email"),
        ({"username": "al"}, "input.username"),
        ({"username": "alice smith"}, "input.username"),
        ({"username": "a" * 51}, "input.username"),
        ({"fullName": "A" * 201}, "input.fullName"),
    ],
)
async def test_invalid_sign_up_input_is_a_typed_validation_error(api, db, fields, field):
    rejected = await sign_up(api, **fields)

    assert rejected["token"] is None
    assert [(e["__typename"], e["code"], e["field"]) for e in rejected["errors"]] == [
        ("ValidationError", "VALIDATION", field)
    ]
    async with db.uow() as uow:
        assert await uow.users.count() == 0


async def test_logging_in_by_email_or_username_gives_a_working_token(api):
    user_id = (await sign_up(api))["user"]["id"]

    for login in ("alice@example.com", "alice"):
        logged_in = await log_in(api, login)

        assert logged_in["errors"] == []
        viewer = (await api.as_(logged_in["token"]).data(VIEWER))["viewer"]
        assert viewer["id"] == user_id


async def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(api):
    await sign_up(api)

    wrong_password = await log_in(api, "alice", "correct-horse-2")
    unknown_user = await log_in(api, "nobody@example.com")
    empty = await log_in(api, "", "")

    assert wrong_password == unknown_user == empty
    assert wrong_password["token"] is None and wrong_password["user"] is None
    assert [(e["__typename"], e["code"]) for e in wrong_password["errors"]] == [
        ("InvalidCredentials", "INVALID_CREDENTIALS")
    ]


async def test_an_inactive_user_cannot_log_in(api, db):
    await sign_up(api)
    unknown_user = await log_in(api, "nobody@example.com")
    async with db.engine.begin() as connection:
        await connection.execute(update(User).values(is_active=False))

    refused = await log_in(api, "alice")

    assert refused == unknown_user


async def test_logging_in_rehashes_a_password_hashed_with_older_parameters(api, db, settings):
    # Other parameters than the configured ones (the tests configure the cheapest).
    weak = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(PASSWORD)
    async with db.uow(writes=True) as uow:
        await make_user(uow, username="alice", hashed_password=weak)
        await uow.commit()

    first = await log_in(api, "alice")

    rehashed = await stored_hash(db, "alice")
    assert first["errors"] == [] and first["token"]
    assert rehashed != weak and rehashed.startswith("$argon2id$")
    assert not Passwords(settings).needs_rehash(rehashed)
    assert (await log_in(api, "alice"))["errors"] == []
    assert await stored_hash(db, "alice") == rehashed


async def test_create_admin_makes_an_admin_who_lists_users(api, db):
    await sign_up(api)
    command = [sys.executable, "-m", "gql.cli", "create-admin", "--email", "Root@Example.com"]
    env = {**os.environ, "DATABASE_URL": db.url, "CONCIERGE_ENV": "test"}
    process = await asyncio.create_subprocess_exec(
        *command,
        "--username",
        "root",
        "--password",
        "root-password-1",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, output.decode()

    admin = api.as_((await log_in(api, "root@example.com", "root-password-1"))["token"])

    assert (await admin.data(VIEWER))["viewer"]["role"] == "ADMIN"
    users = (await admin.data("{ users { totalCount edges { node { username } } } }"))["users"]
    assert users["totalCount"] == 2
    assert {edge["node"]["username"] for edge in users["edges"]} == {"alice", "root"}


@dataclass
class HashCall:
    """Where one argon2 hash or verification ran."""

    on_event_loop: bool
    writer_lock_free: bool | None  # None where the database has no such lock


@pytest.fixture
def hash_calls(monkeypatch, db: Database) -> list[HashCall]:
    """Every argon2 hash and verification, with where it ran: on the event loop's
    thread or not, and (SQLite) whether another writer could take the lock then."""
    loop_thread = threading.get_ident()
    calls: list[HashCall] = []
    path = make_url(db.url).database if db.backend == "sqlite" else None

    def writer_lock_free() -> bool | None:
        if path is None:
            return None
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            probe.close()

    def watched(original):
        def run(self, *args, **kwargs):
            calls.append(HashCall(threading.get_ident() == loop_thread, writer_lock_free()))
            return original(self, *args, **kwargs)

        return run

    monkeypatch.setattr(PasswordHasher, "hash", watched(PasswordHasher.hash))
    monkeypatch.setattr(PasswordHasher, "verify", watched(PasswordHasher.verify))
    return calls


async def test_passwords_are_hashed_off_the_event_loop_and_outside_any_lock(
    api, db, hash_calls, settings
):
    stale = PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(PASSWORD)
    async with db.uow(writes=True) as uow:
        await make_user(uow, username="bob", hashed_password=stale)
        await uow.commit()
    hash_calls.clear()  # the test's own hash above

    await sign_up(api)
    await log_in(api, "alice")
    await log_in(api, "nobody")  # the decoy check of an unknown login
    await log_in(api, "bob")  # verified, then rehashed and stored

    assert len(hash_calls) >= 5
    assert not any(call.on_event_loop for call in hash_calls)
    if db.backend == "sqlite":
        assert all(call.writer_lock_free for call in hash_calls), hash_calls


def test_the_argon2_cost_comes_from_the_settings(settings):
    tuned = settings.model_copy(
        update={"argon2_time_cost": 2, "argon2_memory_kib": 1024, "argon2_parallelism": 2}
    )

    parameters = extract_parameters(Passwords(tuned).hash_now(PASSWORD))

    assert (parameters.time_cost, parameters.memory_cost, parameters.parallelism) == (2, 1024, 2)
    assert Passwords(Settings()).needs_rehash(Passwords(tuned).hash_now(PASSWORD))
