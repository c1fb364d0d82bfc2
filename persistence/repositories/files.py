from __future__ import annotations

from persistence.models import File
from persistence.pagination import Ordering, Page, PageRequest, ordering_by
from persistence.repositories.base import Repository

FILES_NEWEST_FIRST: Ordering[File] = ordering_by(
    "CREATED_AT_DESC", File.created_at, File.id, descending=True
)


class FileRepository(Repository[File]):
    """Metadata of operators' uploaded files."""

    model = File

    async def find(self, request: PageRequest) -> Page[File]:
        return await self.page(FILES_NEWEST_FIRST, request)
