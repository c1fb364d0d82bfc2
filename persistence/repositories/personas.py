from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import ColumnElement, func

from persistence.models import Persona
from persistence.pagination import Ordering, Page, PageRequest, ordering_by
from persistence.records import PersonaRecord
from persistence.repositories.base import Filter, Repository, bound, contains_pattern

PERSONAS_BY_NAME: Ordering[Persona] = ordering_by("NAME_ASC", Persona.name, Persona.id)
PERSONAS_NEWEST_FIRST: Ordering[Persona] = ordering_by(
    "CREATED_AT_DESC", Persona.created_at, Persona.id, descending=True
)


@dataclass(frozen=True)
class PersonaFilter(Filter):
    is_active: bool | None = None
    name_contains: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.is_active is not None:
            found.append(Persona.is_active == bound(Persona.is_active, self.is_active, "is_active"))
        if self.name_contains:
            pattern = bound(Persona.name, contains_pattern(self.name_contains), "name_contains")
            found.append(func.lower(Persona.name).like(func.lower(pattern), escape="/"))
        return found


class PersonaRepository(Repository[Persona]):
    """Assistant personas, owned by one operator each."""

    model = Persona
    record_type = PersonaRecord

    async def find(
        self, filter_: PersonaFilter, ordering: Ordering[Persona], request: PageRequest
    ) -> Page[PersonaRecord]:
        return await self.read_page(filter_, ordering, request)

    async def count_matching(self, filter_: PersonaFilter) -> int:
        return await self.count(*filter_.conditions())

    async def pages_by_owner(
        self, owner_ids: Sequence[UUID], ordering: Ordering[Persona], request: PageRequest
    ) -> list[Page[PersonaRecord]]:
        return await self._record_pages_by_parent(Persona.owner_id, owner_ids, ordering, request)

    async def counts_by_owner(self, owner_ids: Sequence[UUID]) -> list[int]:
        return await self._counts_by_parent(Persona.owner_id, owner_ids)
