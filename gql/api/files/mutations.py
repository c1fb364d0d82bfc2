from __future__ import annotations

import strawberry
from strawberry.file_uploads import Upload

from gql.api.core.context import Info
from gql.api.core.mutations import DeleteInput, DeletePayload, Payload, row_id, run_mutation
from gql.api.files.types import File, UploadedFile
from persistence import models
from persistence.errors import InvalidInput, Problem
from persistence.rules.files import FILENAME_MAX
from persistence.services import files
from persistence.unit_of_work import UnitOfWork


@strawberry.input
class UploadFileInput:
    file: Upload = strawberry.field(
        description="The file's part of a multipart request (GraphQL multipart request spec)."
    )
    filename: str | None = strawberry.field(
        default=None,
        description=f"A name to store instead of the uploaded one; sanitised, at most "
        f"{FILENAME_MAX} characters.",
    )


@strawberry.type
class FilePayload(Payload):
    file: File | None = None


@strawberry.type
class FileMutations:
    @strawberry.mutation(
        description="Store an uploaded file (send a multipart request with an "
        "`Apollo-Require-Preflight` header). Equal bytes are stored once."
    )
    async def upload_file(self, info: Info, input: UploadFileInput) -> FilePayload:
        storage = info.context.services.storage

        async def work(uow: UnitOfWork, viewer: models.User) -> FilePayload:
            upload = input.file
            if not isinstance(upload, UploadedFile):
                raise InvalidInput(
                    Problem(("file",), "send the file as a part of a multipart request")
                )
            name = input.filename if input.filename is not None else upload.filename
            stored = await files.store_file(uow, storage, viewer.id, upload.staged, name)
            return FilePayload(file=File.from_row(stored))

        return await run_mutation(info, FilePayload, work)

    @strawberry.mutation(
        description="Delete one of your files: it leaves the messages it was attached to "
        "and the personas showing it; its bytes go once no file holds them."
    )
    async def delete_file(self, info: Info, input: DeleteInput) -> DeletePayload:
        storage = info.context.services.storage

        async def work(uow: UnitOfWork, viewer: models.User) -> DeletePayload:
            await files.delete_file(uow, storage, row_id(input.id, "File", ("id",)))
            return DeletePayload(deleted_id=input.id)

        return await run_mutation(info, DeletePayload, work)
