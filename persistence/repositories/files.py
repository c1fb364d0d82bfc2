from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import ColumnElement, func, select

from persistence.models import File, MessageFile
from persistence.pagination import Ordering, Page, PageRequest, ordering_by
from persistence.repositories.base import Filter, Repository, bound

FILES_NEWEST_FIRST: Ordering[File] = ordering_by(
    "CREATED_AT_DESC", File.created_at, File.id, descending=True
)


@dataclass(frozen=True)
class FileFilter(Filter):
    """``content_type`` is one type (``audio/ogg``) or a whole family (``audio/*``)."""

    content_type: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        if not self.content_type:
            return []
        given = self.content_type.strip().lower()
        if given.endswith("/*"):
            family = bound(File.content_type, given[:-1] + "%", "content_type_family")
            return [File.content_type.like(family)]
        return [File.content_type == bound(File.content_type, given, "content_type")]


class FileRepository(Repository[File]):
    """Metadata of operators' uploaded files, and the files attached to messages."""

    model = File

    async def find(
        self, filter_: FileFilter, ordering: Ordering[File], request: PageRequest
    ) -> Page[File]:
        return await self.page(ordering, request, *filter_.conditions())

    async def count_matching(self, filter_: FileFilter) -> int:
        return await self.count(*filter_.conditions())

    async def references(self, storage_key: str) -> int:
        """How many files of any owner hold the blob under ``storage_key``. Not scoped:
        a blob shared by equal uploads of several owners stays while any holds it."""
        statement = select(func.count()).where(File.storage_key == storage_key)
        return int(await self._gate.scalar(statement))

    async def attach(self, owner_id: UUID, message_id: UUID, file_ids: Sequence[UUID]) -> None:
        """Attach files (of ``owner_id``, the database checks) to a message, in order."""
        self._check_owner(owner_id)
        for position, file_id in enumerate(file_ids):
            self._gate.add(
                MessageFile(
                    owner_id=owner_id, message_id=message_id, file_id=file_id, position=position
                )
            )
        await self._gate.flush()

    async def attachments_by_message(self, message_ids: Sequence[UUID]) -> list[list[File]]:
        """Each message's visible attachments in their order, aligned to ``message_ids``;
        one statement for any number of messages."""
        if not message_ids:
            return []
        statement = (
            self._select(MessageFile.message_id.in_(set(message_ids)))
            .join(MessageFile, MessageFile.file_id == File.id)
            .add_columns(MessageFile.message_id)
            .order_by(MessageFile.message_id, MessageFile.position)
        )
        found: dict[UUID, list[File]] = defaultdict(list)
        for file, message_id in await self._gate.rows(statement):
            found[message_id].append(file)
        return [found.get(message_id, []) for message_id in message_ids]
