from __future__ import annotations

from datetime import datetime
from typing import Self
from uuid import UUID

import strawberry
from strawberry import relay

from gql.types.node import RowNode
from persistence import models


@strawberry.type(description="An uploaded file's metadata; the bytes live in object storage.")
class File(RowNode):
    loader = "file"

    id: relay.NodeID[str]
    pk: strawberry.Private[UUID]
    filename: str
    content_type: str
    size_bytes: float = strawberry.field(description="Size in bytes (a Float: may exceed 2^31).")
    sha256: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: models.File) -> Self:
        return cls(
            id=str(row.id),
            pk=row.id,
            filename=row.filename,
            content_type=row.content_type,
            size_bytes=row.size_bytes,
            sha256=row.sha256,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
