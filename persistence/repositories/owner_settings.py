"""An owner's settings for memories and retention; defaults where none are stored."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from sqlalchemy import select

from persistence.models import DEFAULT_EMBEDDING_DIMENSIONS, OwnerSettings
from persistence.repositories.base import Repository


class OwnerSettingsRepository(Repository[OwnerSettings]):
    model = OwnerSettings

    async def of_owner(self, owner_id: UUID) -> OwnerSettings:
        """The owner's settings row, or an unsaved one with the defaults."""
        (found,) = await self.of_owners([owner_id])
        return found

    async def of_owners(self, owner_ids: Sequence[UUID]) -> list[OwnerSettings]:
        rows = await self._gate.scalars(self._select(OwnerSettings.owner_id.in_(set(owner_ids))))
        by_owner = {row.owner_id: row for row in rows}
        return [
            by_owner.get(id_)
            or OwnerSettings(
                owner_id=id_,
                embedding_dimensions=DEFAULT_EMBEDDING_DIMENSIONS,
                message_retention_days=None,
            )
            for id_ in owner_ids
        ]

    async def all_with_retention(self) -> list[OwnerSettings]:
        """Every visible owner's settings that limit how long messages are kept."""
        statement = self._select(OwnerSettings.message_retention_days.is_not(None))
        return await self._gate.scalars(statement.order_by(OwnerSettings.owner_id))

    async def stored(self, owner_id: UUID) -> OwnerSettings | None:
        rows = await self._gate.scalars(
            select(OwnerSettings).where(OwnerSettings.owner_id == owner_id)
        )
        return rows[0] if rows else None
