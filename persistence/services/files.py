"""Storing and deleting uploaded files: their rows and their bytes together or not at all."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from persistence.errors import Field, NotFound, Problem
from persistence.models import File
from persistence.rules.files import sanitise_filename, sniff_content_type
from persistence.rules.values import refuse
from persistence.storage import StagedBlob, Storage
from persistence.unit_of_work import UnitOfWork


async def store_file(
    uow: UnitOfWork, storage: Storage, owner_id: UUID, staged: StagedBlob, filename: str | None
) -> File:
    """A file of ``owner_id`` holding a staged blob, under a sanitised ``filename`` and
    the content type its bytes show. The blob is placed only once the row has
    committed; if anything fails before, the caller's discard removes it."""
    file = File(
        owner_id=owner_id,
        filename=sanitise_filename(filename),
        content_type=sniff_content_type(staged.head),
        size_bytes=staged.size,
        sha256=staged.sha256,
        storage_key=staged.key,
    )
    async with uow.transaction():
        uow.after_commit(lambda: storage.place(staged))
        return await uow.files.add(file)


async def delete_file(uow: UnitOfWork, storage: Storage, file_id: UUID) -> None:
    """Delete a visible file: its attachments go with it, avatars showing it are
    cleared, and its blob is removed after the commit if no file holds it then."""

    async def still_held() -> bool:
        return await uow.files.references(key) > 0

    async with uow.transaction():
        file = await uow.files.lock(file_id)
        if file is None:
            raise NotFound("file", file_id, ("id",))
        key = file.storage_key
        await uow.files.remove(file)
        if await uow.files.references(key) == 0:
            uow.after_commit(lambda: storage.remove(key, still_held))


async def owned_files(
    uow: UnitOfWork, owner_id: UUID, file_ids: Sequence[UUID], fields: Sequence[Field]
) -> list[File]:
    """The visible files ``file_ids`` in order, all of ``owner_id``; ``fields`` name each
    in the input. Raises NotFound for one the viewer cannot see, InvalidInput for a
    repeated one or another owner's."""
    files = await uow.files.get_many(list(file_ids))
    seen: set[UUID] = set()
    found: list[File] = []
    for file_id, file, field in zip(file_ids, files, fields, strict=True):
        if file is None:
            raise NotFound("file", file_id, field)
        if file.owner_id != owner_id:
            refuse([Problem(field, "the file belongs to another operator")])
        if file_id in seen:
            refuse([Problem(field, "the file is given twice")])
        seen.add(file_id)
        found.append(file)
    return found
