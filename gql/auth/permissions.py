"""Field permissions: who may ask a root field at all (rows are scoped below)."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from gql.api.core.errors import NotAuthenticated


class IsAuthenticated(BasePermission):
    message = NotAuthenticated().message
    error_extensions = {"code": "UNAUTHENTICATED"}  # noqa: RUF012 (strawberry reads it per class)

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return info.context.viewer is not None


class IsAdmin(BasePermission):
    message = "only administrators may list users"
    error_extensions = {"code": "FORBIDDEN"}  # noqa: RUF012

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        return viewer is not None and viewer.is_admin


# What every field that needs a signed-in viewer declares.
AUTHENTICATED: list[type[BasePermission]] = [IsAuthenticated]
