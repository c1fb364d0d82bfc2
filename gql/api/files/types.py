from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import strawberry
from strawberry import relay

from gql.api.core.context import Info
from gql.api.core.nodes import RowNode
from gql.auth.file_urls import signed_url
from persistence.storage import StagedBlob


@dataclass(frozen=True)
class UploadedFile:
    """The value of an ``Upload`` variable: a file of the multipart request, staged in
    storage (gql/server/uploads.py). ``filename`` and ``content_type`` are what the
    client claims; the stored content type is sniffed from the bytes instead."""

    staged: StagedBlob
    filename: str | None
    content_type: str | None


@strawberry.type(description="An uploaded file's metadata; the bytes are read through `url`.")
class File(RowNode):
    loader = "file"

    id: relay.NodeID[str]
    pk: strawberry.Private[UUID]
    filename: str = strawberry.field(description="The uploaded name, sanitised (no path).")
    content_type: str = strawberry.field(
        description="What the bytes are, sniffed from them at upload (not the client's claim)."
    )
    size_bytes: float = strawberry.field(description="Size in bytes (a Float: may exceed 2^31).")
    sha256: str
    created_at: datetime
    updated_at: datetime

    @strawberry.field(
        description="A signed download path, valid for at least FILE_URL_TTL_S seconds: "
        "prefix it with the server's origin. Serves byte ranges, `ETag` and "
        "`Content-Disposition`."
    )
    def url(self, info: Info) -> str:
        return signed_url(info.context.settings, self.pk)
