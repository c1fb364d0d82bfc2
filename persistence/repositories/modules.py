"""Persona modules, listed per persona in the order their stages run."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from uuid import UUID

from persistence.models import PersonaModule
from persistence.repositories.base import Repository


class PersonaModuleRepository(Repository[PersonaModule]):
    model = PersonaModule

    async def of_personas(self, persona_ids: Sequence[UUID]) -> list[list[PersonaModule]]:
        """Each persona's modules by stage priority (then name), aligned to ``persona_ids``."""
        if not persona_ids:
            return []
        statement = self._select(PersonaModule.persona_id.in_(set(persona_ids))).order_by(
            PersonaModule.stage_priority, PersonaModule.name, PersonaModule.id
        )
        grouped: dict[UUID, list[PersonaModule]] = defaultdict(list)
        for row in await self._gate.scalars(statement):
            grouped[row.persona_id].append(row)
        return [grouped[id_] for id_ in persona_ids]

    async def count_of(self, persona_id: UUID) -> int:
        return await self.count(PersonaModule.persona_id == persona_id)
