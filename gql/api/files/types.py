from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry
from strawberry import relay

from gql.api.core.nodes import RowNode


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
