from __future__ import annotations

import strawberry

from gql.api.core.connections import Connection, Keyset, keyset_connection
from gql.api.core.context import Info
from gql.api.core.errors import BadUserInput
from gql.api.files.types import File
from gql.auth.permissions import AUTHENTICATED
from persistence.models import File as FileRow
from persistence.repositories import FileFilter
from persistence.repositories.files import FILES_NEWEST_FIRST

CONTENT_TYPE_MAX = 255


@strawberry.input
class FileFilterInput:
    content_type: str | None = strawberry.field(
        default=None,
        description="One content type (`audio/ogg`) or a family (`audio/*`), case-insensitive.",
    )


@strawberry.type
class FileQueries:
    @keyset_connection(
        Connection[File], permission_classes=AUTHENTICATED, description="Your files, newest first."
    )
    def files(self, info: Info, filter: FileFilterInput | None = None) -> Keyset[FileRow]:
        given = filter or FileFilterInput()
        if given.content_type is not None and len(given.content_type) > CONTENT_TYPE_MAX:
            raise BadUserInput(
                f"`filter.contentType` is longer than {CONTENT_TYPE_MAX} characters",
                "filter.contentType",
            )
        filter_ = FileFilter(content_type=given.content_type)
        return Keyset.of_filter(info.context.uow.files, filter_, FILES_NEWEST_FIRST, File.from_row)
