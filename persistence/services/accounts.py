"""Signing up and logging in."""

from __future__ import annotations

from dataclasses import dataclass

from persistence.errors import InvalidCredentials
from persistence.models import Role, User
from persistence.rules.accounts import (
    FULL_NAME_MAX,
    email_problem,
    normalised_email,
    password_problem,
    username_problem,
)
from persistence.rules.values import length, refuse
from persistence.services.credentials import Passwords
from persistence.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class SignUp:
    email: str
    username: str
    password: str
    full_name: str | None = None


async def sign_up(uow: UnitOfWork, passwords: Passwords, request: SignUp) -> User:
    """A new member account; raises InvalidInput, or Conflict for a taken email or
    username. The password is hashed before the transaction takes any lock."""
    email = normalised_email(request.email)
    refuse(
        [
            email_problem(email),
            username_problem(request.username),
            length(request.full_name, ("full_name",), maximum=FULL_NAME_MAX),
        ]
    )
    refuse([password_problem(request.password)])
    hashed = await passwords.hash(request.password)
    async with uow.transaction():
        return await uow.users.add(
            User(
                email=email,
                username=request.username,
                full_name=request.full_name,
                hashed_password=hashed,
                role=Role.MEMBER,
            )
        )


async def log_in(uow: UnitOfWork, passwords: Passwords, login: str, password: str) -> User:
    """The active user with these credentials; raises InvalidCredentials, whichever
    part was wrong. Reads and verifies without any write lock; a hash made with
    older cost settings is replaced, hashed before its transaction begins."""
    user = await uow.users.find_by_login(login)
    matches = await passwords.verify(user.hashed_password if user else None, password)
    if not matches or user is None or not user.is_active:
        raise InvalidCredentials("the login or the password is wrong")
    if passwords.needs_rehash(user.hashed_password):
        rehashed = await passwords.hash(password)
        async with uow.transaction():
            user.hashed_password = rehashed
            await uow.users.save(user)
    return user
