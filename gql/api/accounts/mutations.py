from __future__ import annotations

import strawberry

from gql.api.accounts.types import User
from gql.api.core.context import Info
from gql.api.core.mutations import Payload, run_unit
from gql.auth.tokens import issue_token
from persistence.services import accounts
from persistence.unit_of_work import UnitOfWork


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


@strawberry.type
class AccountMutations:
    @strawberry.mutation(description="Create a member account and sign in to it.")
    async def sign_up(self, info: Info, input: SignUpInput) -> AuthPayload:
        async def work(uow: UnitOfWork) -> AuthPayload:
            request = accounts.SignUp(input.email, input.username, input.password, input.full_name)
            user = await accounts.sign_up(uow, info.context.services.passwords, request)
            return AuthPayload(
                token=issue_token(user, info.context.settings), user=User.from_row(user)
            )

        return await run_unit(info, AuthPayload, work)

    @strawberry.mutation(description="Exchange a login and password for a bearer token.")
    async def log_in(self, info: Info, input: LogInInput) -> AuthPayload:
        async def work(uow: UnitOfWork) -> AuthPayload:
            passwords = info.context.services.passwords
            user = await accounts.log_in(uow, passwords, input.login, input.password)
            return AuthPayload(
                token=issue_token(user, info.context.settings), user=User.from_row(user)
            )

        return await run_unit(info, AuthPayload, work)
