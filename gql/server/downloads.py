"""``GET /files/<id>``: a file's bytes, for whoever holds its signed URL (gql/auth/file_urls.py).

Streamed from storage by Starlette's FileResponse, which answers single and
multiple byte ranges (206, 416) and ``If-Range``; here the ``ETag`` is the
file's sha256 (``If-None-Match`` answers 304), the ``Content-Type`` the one
sniffed at upload, and ``Content-Disposition`` shows media inline and offers
everything else as an attachment.
"""

from __future__ import annotations

import time
from uuid import UUID

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response

from gql.api.core.context import Services
from gql.auth.file_urls import verified_expiry
from persistence.errors import PersistenceError
from persistence.scope import Scope
from persistence.unit_of_work import UnitOfWork

_INLINE = ("image/", "audio/", "video/")
# Nothing a file holds may run as a page of this origin.
_SAFETY = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def _refusal(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=_SAFETY)


class FileDownloads:
    """The download endpoint over the process's services."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def respond(self, request: Request) -> Response:
        try:
            file_id = UUID(request.path_params["file_id"])
        except ValueError:
            return _refusal(404, "no such file")
        settings = self.services.settings
        expiry = verified_expiry(
            settings,
            file_id,
            request.query_params.get("expires"),
            request.query_params.get("signature"),
        )
        if expiry is None:
            return _refusal(403, "the link is invalid or has expired; ask for a new one")
        # The signature is the permission: the row is read whoever its owner is.
        try:
            async with UnitOfWork(self.services.session_factory, Scope.admin()) as uow:
                (file,) = await uow.files.get_many([file_id])
        except PersistenceError:
            return _refusal(503, "the database is not available; retry")
        path = self.services.storage.path(file.storage_key) if file is not None else None
        if file is None or path is None:
            return _refusal(404, "no such file")
        etag = f'"{file.sha256}"'
        headers = {
            **_SAFETY,
            "ETag": etag,
            "Cache-Control": f"private, max-age={max(0, expiry - int(time.time()))}",
        }
        if etag in (tag.strip() for tag in request.headers.get("if-none-match", "").split(",")):
            return Response(status_code=304, headers=headers)
        inline = file.content_type.startswith(_INLINE)
        return FileResponse(
            path,
            media_type=file.content_type,
            filename=file.filename,
            content_disposition_type="inline" if inline else "attachment",
            headers=headers,
        )
