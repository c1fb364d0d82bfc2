"""An app with its own file storage (a temporary FILES_DIR and a small upload limit),
and the multipart requests clients send it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from gql.auth.tokens import issue_token
from gql.settings import Settings
from persistence.models import Role, User
from persistence.storage import LocalStorage
from tests.api.wire import ERRORS
from tests.conftest import Api, Seed, serving
from tests.factories import make_user

LIMIT = 64 * 1024
PREFLIGHT = {"Apollo-Require-Preflight": "true"}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" * 20
OGG = b"OggS\x00\x02" + bytes(2000)

UPLOAD = f"""
mutation($input: UploadFileInput!) {{
  uploadFile(input: $input) {{
    file {{ id filename contentType sizeBytes sha256 url }}
    {ERRORS}
  }}
}}
"""


@dataclass
class Files:
    """The app under test, its settings and its storage."""

    api: Api
    settings: Settings
    storage: LocalStorage
    seed: Seed

    async def sign_in(self, role: Role = Role.MEMBER) -> tuple[User, Api]:
        async with self.seed() as uow:
            user = await make_user(uow, role=role)
        return user, self.api.as_(issue_token(user, self.settings))

    def left_behind(self) -> tuple[list[str], list[str]]:
        """The temporaries and the placed blobs in storage now."""
        return self.storage.temporary_names(), self.storage.blob_keys()


@pytest.fixture
async def files(db, settings: Settings, seed: Seed, tmp_path: Path) -> AsyncIterator[Files]:
    own = settings.model_copy(
        update={"files_dir": tmp_path / "files", "max_upload_bytes": LIMIT, "max_upload_files": 3}
    )
    async with serving(own, db.engine) as api:
        yield Files(api, own, LocalStorage(tmp_path / "files"), seed)


def multipart(
    files: list[tuple[str, bytes, str]],
    query: str = UPLOAD,
    variables: dict[str, Any] | None = None,
    paths: list[list[str]] | None = None,
) -> tuple[dict[str, bytes], dict[str, tuple[str, bytes, str]]]:
    """The fields and files of a spec multipart request: ``files`` as (name, bytes,
    claimed type), mapped by default to ``variables.input.file`` (one file)."""
    variables = variables if variables is not None else {"input": {"file": None}}
    paths = paths or [["variables.input.file"]]
    operations = orjson.dumps({"query": query, "variables": variables})
    mapping = orjson.dumps({str(i): paths[i] for i in range(len(files))})
    return {"operations": operations, "map": mapping}, {
        str(i): (name, data, claimed) for i, (name, data, claimed) in enumerate(files)
    }


async def post_multipart(
    api: Api,
    files: list[tuple[str, bytes, str]],
    headers: dict[str, str] | None = None,
    **request: Any,
) -> Any:
    fields, parts = multipart(files, **request)
    sent = dict(PREFLIGHT if headers is None else headers)
    if api.token:
        sent["Authorization"] = f"Bearer {api.token}"
    return await api.http.post("/graphql", data=fields, files=parts, headers=sent)


async def upload(api: Api, data: bytes, name: str = "photo.png", claimed: str = "image/png"):
    """Upload one file; the ``uploadFile`` payload (which must have no errors)."""
    response = await post_multipart(api, [(name, data, claimed)])
    assert response.status_code == 200, response.text
    payload = response.json()["data"]["uploadFile"]
    assert payload["errors"] == [], payload
    return payload["file"]
