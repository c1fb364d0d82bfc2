from __future__ import annotations

import strawberry

from gql.api.core.compiled import Source
from gql.api.core.connections import Connection, Keyset, keyset_connection
from gql.api.core.context import Info
from gql.api.files.types import File
from gql.auth.permissions import AUTHENTICATED
from persistence.models import File as FileRow
from persistence.repositories.files import FILES_NEWEST_FIRST


@strawberry.type
class FileQueries:
    @keyset_connection(
        Connection[File], permission_classes=AUTHENTICATED, description="Your files, newest first."
    )
    def files(self, info: Info) -> Keyset[FileRow]:
        files = info.context.uow.files
        return Keyset(
            FILES_NEWEST_FIRST, None, files.find, files.count, File.from_row, Source("file")
        )
