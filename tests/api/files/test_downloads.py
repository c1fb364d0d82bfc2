"""Downloading files through their signed URLs: headers, ranges, caching, expiry,
tampering, and other tenants."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

from gql.auth.file_urls import signed_url
from tests.api.files.conftest import OGG, PDF, PNG, upload
from tests.api.wire import row_id
from tests.factories import make_file


async def test_a_signed_url_serves_the_bytes_with_type_disposition_and_etag(files):
    _, api = await files.sign_in()
    stored = await upload(api, PDF, name="menu card.pdf")

    response = await api.http.get(stored["url"])

    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"].startswith("application/pdf")
    assert response.headers["content-disposition"] == "attachment; filename*=utf-8''menu%20card.pdf"
    assert response.headers["etag"] == f'"{stored["sha256"]}"'
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_media_is_shown_inline(files):
    _, api = await files.sign_in()
    stored = await upload(api, PNG, name="face.png")

    response = await api.http.get(stored["url"])

    assert response.headers["content-disposition"] == 'inline; filename="face.png"'
    assert response.headers["content-type"].startswith("image/png")


async def test_a_byte_range_is_answered_with_206_and_only_those_bytes(files):
    _, api = await files.sign_in()
    stored = await upload(api, OGG, name="voice.ogg", claimed="audio/ogg")

    middle = await api.http.get(stored["url"], headers={"Range": "bytes=100-199"})
    tail = await api.http.get(stored["url"], headers={"Range": "bytes=-6"})

    assert middle.status_code == 206
    assert middle.content == OGG[100:200]
    assert middle.headers["content-range"] == f"bytes 100-199/{len(OGG)}"
    assert tail.status_code == 206
    assert tail.content == OGG[-6:]


async def test_a_range_beyond_the_end_is_416(files):
    _, api = await files.sign_in()
    stored = await upload(api, OGG, name="voice.ogg", claimed="audio/ogg")

    response = await api.http.get(stored["url"], headers={"Range": f"bytes={len(OGG)}-"})

    assert response.status_code == 416
    assert response.headers["content-range"] == f"bytes */{len(OGG)}"


async def test_a_matching_etag_is_answered_304(files):
    _, api = await files.sign_in()
    stored = await upload(api, PDF)

    response = await api.http.get(stored["url"], headers={"If-None-Match": f'"{stored["sha256"]}"'})

    assert response.status_code == 304
    assert response.content == b""


async def test_head_answers_the_headers_without_the_body(files):
    _, api = await files.sign_in()
    stored = await upload(api, PDF)

    response = await api.http.head(stored["url"])

    assert response.status_code == 200
    assert response.headers["content-length"] == str(len(PDF))
    assert response.content == b""


async def test_an_expired_url_is_403(files):
    _, api = await files.sign_in()
    stored = await upload(api, PDF)
    past = time.time() - files.settings.file_url_ttl_s - 120

    response = await api.http.get(signed_url(files.settings, row_id(stored["id"]), now=past))

    assert response.status_code == 403


async def test_tampered_urls_are_403(files):
    _, api = await files.sign_in()
    stored = await upload(api, PDF)
    other = await upload(api, PNG)
    path, query = urlsplit(stored["url"])[2:4]
    params = {k: v[0] for k, v in parse_qs(query).items()}
    later = str(int(params["expires"]) + 3600)
    flipped = params["signature"][:-1] + ("0" if params["signature"][-1] != "0" else "1")
    other_path = urlsplit(other["url"]).path

    for url in (
        f"{path}?expires={later}&signature={params['signature']}",  # a longer life
        f"{path}?expires={params['expires']}&signature={flipped}",
        f"{other_path}?expires={params['expires']}&signature={params['signature']}",
        f"{path}?expires={params['expires']}",
        path,
    ):
        response = await api.http.get(url)

        assert response.status_code == 403, url
        assert response.content.find(PDF[:8]) == -1


async def test_another_tenants_file_is_not_reachable_through_graphql(files):
    _, alice = await files.sign_in()
    _, bob = await files.sign_in()
    stored = await upload(alice, PDF)

    data = await bob.data(
        "query($id: ID!) { node(id: $id) { ... on File { url } } files { totalCount } }",
        {"id": stored["id"]},
    )

    assert data == {"node": None, "files": {"totalCount": 0}}


async def test_a_deleted_file_is_404_even_with_a_valid_url(files):
    _, api = await files.sign_in()
    stored = await upload(api, PDF)
    await api.data(
        "mutation($id: ID!) { deleteFile(input: {id: $id}) { deletedId } }", {"id": stored["id"]}
    )

    response = await api.http.get(stored["url"])

    assert response.status_code == 404


async def test_a_file_row_without_bytes_is_404_not_an_error(files):
    owner, api = await files.sign_in()
    async with files.seed() as uow:
        legacy = await make_file(uow, owner, storage_key="files/../../etc/passwd")

    response = await api.http.get(signed_url(files.settings, legacy.id))

    assert response.status_code == 404
