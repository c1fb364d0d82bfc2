"""Who is asking, and (for admins) every user."""

from __future__ import annotations

import strawberry

from gql.api.accounts.types import User
from gql.api.core.compiled import Source
from gql.api.core.connections import Connection, Keyset, keyset_connection
from gql.api.core.context import Info
from gql.auth.permissions import IsAdmin, IsAuthenticated
from persistence.models import User as UserRow
from persistence.repositories.users import USERS_OLDEST_FIRST


@strawberry.type
class AccountQueries:
    @strawberry.field(description="The signed-in user, or null without a valid token.")
    def viewer(self, info: Info) -> User | None:
        viewer = info.context.viewer
        return User.from_row(viewer) if viewer else None

    @keyset_connection(
        Connection[User],
        # Anonymous callers are told to sign in, members that they may not.
        permission_classes=[IsAuthenticated, IsAdmin],
        description="Every user (admins only).",
    )
    def users(self, info: Info) -> Keyset[UserRow]:
        users = info.context.uow.users
        return Keyset(
            USERS_OLDEST_FIRST, None, users.find, users.count, User.from_row, Source("user")
        )
