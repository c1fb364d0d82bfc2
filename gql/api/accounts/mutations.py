from __future__ import annotations

import re

import strawberry

from gql.api.accounts.types import User
from gql.api.core.context import Info
from gql.api.core.errors import ErrorCode, InvalidCredentials
from gql.api.core.mutations import (
    Payload,
    Rejected,
    check_length,
    invalid,
    reject_invalid,
    run_unit,
)
from gql.auth.tokens import authenticate, issue_token
from persistence import models
from persistence.unit_of_work import UnitOfWork

PASSWORD_MIN, PASSWORD_MAX = 10, 256
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_USERNAME = re.compile(r"^[A-Za-z0-9_.-]{3,50}$")


@strawberry.input
class SignUpInput:
    email: str
    username: str
    password: str
    full_name: str | None = None


@strawberry.input
class LogInInput:
    login: str = strawberry.field(description="Your email or username.")
    password: str


@strawberry.type
class AuthPayload(Payload):
    token: str | None = strawberry.field(
        default=None, description="Send as `Authorization: Bearer <token>`."
    )
    user: User | None = None


def _check_password(password: str) -> None:
    if len(password) < PASSWORD_MIN:
        raise Rejected(invalid(f"needs at least {PASSWORD_MIN} characters", "input.password"))
    if len(password) > PASSWORD_MAX:
        raise Rejected(invalid(f"must be at most {PASSWORD_MAX} characters", "input.password"))
    if password.isdigit() or password.isalpha():
        raise Rejected(invalid("mix letters with digits or symbols", "input.password"))


def _check_sign_up(input: SignUpInput) -> str:
    """The normalised email of a valid sign-up; raises Rejected with every problem."""
    email = input.email.strip().lower()
    reject_invalid(
        check_length(email, "input.email", minimum=1, maximum=320)
        or (None if _EMAIL.match(email) else invalid("is not an email address", "input.email")),
        None
        if _USERNAME.match(input.username)
        else invalid("use 3 to 50 letters, digits, dots, dashes or underscores", "input.username"),
        check_length(input.full_name, "input.fullName", maximum=200),
    )
    _check_password(input.password)
    return email


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Create a member account and sign in to it.")
    async def sign_up(self, info: Info, input: SignUpInput) -> AuthPayload:
        try:
            email = _check_sign_up(input)
        except Rejected as rejected:
            return AuthPayload(errors=rejected.errors)
        # Hashed before the unit of work takes any lock (see Passwords).
        hashed = await info.context.services.passwords.hash(input.password)

        async def work(uow: UnitOfWork) -> AuthPayload:
            user = models.User(
                email=email,
                username=input.username,
                full_name=input.full_name,
                hashed_password=hashed,
                role=models.Role.MEMBER,
            )
            await uow.users.add(user)
            return AuthPayload(
                token=issue_token(user, info.context.settings), user=User.from_row(user)
            )

        return await run_unit(info, AuthPayload, work)

    @strawberry.mutation(description="Exchange a login and password for a bearer token.")
    async def log_in(self, info: Info, input: LogInInput) -> AuthPayload:
        context = info.context
        passwords = context.services.passwords
        user = await authenticate(context.uow, passwords, input.login, input.password)
        if user is None:
            return AuthPayload(
                errors=[
                    InvalidCredentials(
                        code=ErrorCode.INVALID_CREDENTIALS,
                        message="the login or the password is wrong",
                    )
                ]
            )
        signed_in = AuthPayload(token=issue_token(user, context.settings), user=User.from_row(user))
        if not passwords.needs_rehash(user.hashed_password):
            return signed_in
        # The hash predates today's cost settings: store a new one, hashed before the lock.
        rehashed = await passwords.hash(input.password)

        async def work(uow: UnitOfWork) -> AuthPayload:
            user.hashed_password = rehashed
            await uow.users.save(user)
            return signed_in

        return await run_unit(info, AuthPayload, work)
