"""Creating the first administrator from the command line."""

from __future__ import annotations

from gql.settings import get_settings
from persistence.engine import create_engine, create_session_factory
from persistence.models import Role, User
from persistence.scope import Scope
from persistence.services.credentials import Passwords
from persistence.unit_of_work import UnitOfWork


async def ensure_admin(email: str, username: str, password: str) -> str:
    """Create an admin, or promote and re-password the user with this email.

    Returns a sentence saying which happened.
    """
    if len(password) < 10:
        raise ValueError("the password needs at least 10 characters")
    settings = get_settings()
    hashed = await Passwords(settings).hash(password)
    engine = create_engine(settings)
    try:
        async with UnitOfWork(create_session_factory(engine), Scope.admin(), writes=True) as uow:
            user = await uow.users.find_by_login(email)
            if user is None:
                user = User(
                    email=email,
                    username=username,
                    hashed_password=hashed,
                    role=Role.ADMIN,
                )
                await uow.users.add(user)
                outcome = f"created administrator {user.email}"
            else:
                user.role, user.is_active = Role.ADMIN, True
                user.hashed_password = hashed
                await uow.users.save(user)
                outcome = f"promoted {user.email} to administrator"
            await uow.commit()
            return outcome
    finally:
        await engine.dispose()
