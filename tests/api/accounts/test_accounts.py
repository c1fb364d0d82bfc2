"""signUp, logIn, viewer and users: accounts over HTTP."""

from __future__ import annotations

import pytest

from tests.api.wire import ERRORS, refusal, user_errors

SIGN_UP = f"""mutation($input: SignUpInput!) {{
  signUp(input: $input) {{ token user {{ id email username fullName role isActive }} {ERRORS} }}
}}"""
LOG_IN = f"""mutation($input: LogInInput!) {{
  logIn(input: $input) {{ token user {{ username }} {ERRORS} }}
}}"""
VIEWER = "{ viewer { username email role } }"


def sign_up_input(**fields: object) -> dict[str, object]:
    return {"email": "Ada@Example.com", "username": "ada", "password": "correct-horse-1"} | fields


async def test_sign_up_creates_a_member_and_its_token_signs_in(api):
    data = await api.data(SIGN_UP, {"input": sign_up_input(fullName="Ada Lovelace")})

    payload = data["signUp"]
    assert payload["errors"] == []
    assert payload["user"]["email"] == "ada@example.com"
    assert payload["user"]["role"] == "MEMBER"
    assert payload["user"]["fullName"] == "Ada Lovelace"
    viewer = await api.data(VIEWER, token=payload["token"])
    assert viewer["viewer"] == {"username": "ada", "email": "ada@example.com", "role": "MEMBER"}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-email"}, "input.email"),
        ({"email": "   "}, "input.email"),
        ({"username": "a b"}, "input.username"),
        ({"username": "ab"}, "input.username"),
        ({"fullName": "x" * 201}, "input.fullName"),
        ({"password": "short1"}, "input.password"),
        ({"password": "onlyletterslong"}, "input.password"),
        ({"password": "1234567890123"}, "input.password"),
        ({"password": "x1" * 129}, "input.password"),
    ],
)
async def test_sign_up_refuses_invalid_input_naming_the_field(api, db, fields, field):
    data = await api.data(SIGN_UP, {"input": sign_up_input(**fields)})

    assert user_errors(data["signUp"]) == [("ValidationError", "VALIDATION", field)]
    assert data["signUp"]["token"] is None
    async with db.uow() as uow:
        assert await uow.users.count() == 0


async def test_sign_up_reports_every_invalid_field_at_once(api):
    data = await api.data(SIGN_UP, {"input": sign_up_input(email="nope", username="x")})

    assert {field for _, _, field in user_errors(data["signUp"])} == {
        "input.email",
        "input.username",
    }


@pytest.mark.parametrize(
    ("second", "field"),
    [
        ({"email": "ADA@example.com", "username": "other"}, "input.email"),
        ({"email": "other@example.com", "username": "ada"}, "input.username"),
    ],
)
async def test_sign_up_with_a_taken_email_or_username_is_a_conflict(api, db, second, field):
    await api.sign_up("ada")

    data = await api.data(SIGN_UP, {"input": sign_up_input(**second)})

    assert user_errors(data["signUp"]) == [("ConflictError", "CONFLICT", field)]
    async with db.uow() as uow:
        assert await uow.users.count() == 1


@pytest.mark.parametrize("login", ["ada", "ADA@example.com"])
async def test_log_in_by_username_or_email_returns_a_working_token(api, login):
    await api.sign_up("ada", password="correct-horse-1")

    data = await api.data(LOG_IN, {"input": {"login": login, "password": "correct-horse-1"}})

    assert data["logIn"]["errors"] == []
    assert data["logIn"]["user"] == {"username": "ada"}
    viewer = await api.data(VIEWER, token=data["logIn"]["token"])
    assert viewer["viewer"]["username"] == "ada"


@pytest.mark.parametrize(
    ("login", "password"), [("ada", "wrong-horse-1"), ("nobody", "correct-horse-1")]
)
async def test_log_in_with_a_wrong_password_or_unknown_login_says_the_same(api, login, password):
    await api.sign_up("ada", password="correct-horse-1")

    data = await api.data(LOG_IN, {"input": {"login": login, "password": password}})

    assert user_errors(data["logIn"]) == [("InvalidCredentials", "INVALID_CREDENTIALS", None)]
    assert data["logIn"]["token"] is None
    assert data["logIn"]["errors"][0]["message"] == "the login or the password is wrong"


async def test_an_inactive_account_cannot_log_in_nor_use_its_token(api, db):
    token = await api.sign_up("ada", password="correct-horse-1")
    async with db.uow(writes=True) as uow:
        user = await uow.users.find_by_login("ada")
        user.is_active = False
        await uow.users.save(user)
        await uow.commit()

    data = await api.data(LOG_IN, {"input": {"login": "ada", "password": "correct-horse-1"}})
    viewer = await api.data(VIEWER, token=token)

    assert user_errors(data["logIn"]) == [("InvalidCredentials", "INVALID_CREDENTIALS", None)]
    assert viewer["viewer"] is None


async def test_viewer_is_null_without_a_token(api):
    assert await api.data(VIEWER) == {"viewer": None}


async def test_viewer_lists_its_own_personas(operator, seed):
    from tests.factories import make_persona

    async with seed() as uow:
        for name in ("Bea", "Ada"):
            await make_persona(uow, operator.user, name=name)

    data = await operator.api.data(
        "{ viewer { id personas(first: 5) { totalCount edges { node { name } } } } }"
    )

    assert data["viewer"]["id"] == operator.gid
    personas = data["viewer"]["personas"]
    assert personas["totalCount"] == 2
    assert [edge["node"]["name"] for edge in personas["edges"]] == ["Ada", "Bea"]


async def test_an_admin_lists_every_user(admin, operator, rival):
    data = await admin.api.data("{ users { totalCount edges { node { id role } } } }")

    assert data["users"]["totalCount"] == 3
    assert {edge["node"]["id"] for edge in data["users"]["edges"]} == {
        admin.gid,
        operator.gid,
        rival.gid,
    }


async def test_a_member_may_not_list_users(operator):
    body = await operator.api.query("{ users { totalCount } }")

    assert refusal(body) == ("FORBIDDEN", "only administrators may list users")
    assert body["data"] is None


async def test_listing_users_without_a_token_is_refused(api):
    body = await api.query("{ users { totalCount } }")

    code, _ = refusal(body)
    assert code in {"FORBIDDEN", "UNAUTHENTICATED"}
