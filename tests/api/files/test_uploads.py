"""Uploading files over the GraphQL multipart request spec: CSRF protection, limits
while streaming, sniffed types, safe names, and nothing left behind on failure."""

from __future__ import annotations

import hashlib

import orjson

from tests.api.files.conftest import LIMIT, PDF, PNG, UPLOAD, multipart, post_multipart, upload
from tests.api.wire import user_errors

BOUNDARY = "concierge-test-boundary"


async def file_rows(db) -> int:
    async with db.uow() as uow:
        return await uow.files.count()


async def test_an_upload_is_stored_with_its_sniffed_type_and_sanitised_name(files):
    _, api = await files.sign_in()

    stored = await upload(api, PDF, name="../../invoices/march.pdf", claimed="text/html")

    assert stored["filename"] == "march.pdf"
    assert stored["contentType"] == "application/pdf"
    assert stored["sizeBytes"] == len(PDF)
    assert stored["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert files.left_behind() == ([], [hashlib.sha256(PDF).hexdigest()])


async def test_the_name_given_in_the_input_wins_and_is_sanitised_too(files):
    _, api = await files.sign_in()

    response = await post_multipart(
        api,
        [("scan.bin", PNG, "application/octet-stream")],
        variables={"input": {"file": None, "filename": "C:\\Users\\me\\avatar\u202e.png"}},
    )

    payload = response.json()["data"]["uploadFile"]
    assert payload["file"]["filename"] == "avatar.png"
    assert payload["file"]["contentType"] == "image/png"


async def test_equal_uploads_are_stored_once_whoever_uploads_them(files, db):
    _, alice = await files.sign_in()
    _, bob = await files.sign_in()

    first = await upload(alice, PNG)
    second = await upload(alice, PNG, name="again.png")
    third = await upload(bob, PNG)

    assert len({first["id"], second["id"], third["id"]}) == 3
    assert await file_rows(db) == 3
    assert files.left_behind() == ([], [hashlib.sha256(PNG).hexdigest()])


async def test_multipart_requests_without_a_preflight_header_are_refused_and_store_nothing(
    files, db
):
    _, api = await files.sign_in()

    response = await post_multipart(api, [("photo.png", PNG, "image/png")], headers={})

    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "CSRF_PREFLIGHT_REQUIRED"
    assert await file_rows(db) == 0
    assert files.left_behind() == ([], [])


async def test_the_apollo_operation_name_header_also_forces_a_preflight(files):
    _, api = await files.sign_in()

    response = await post_multipart(
        api, [("photo.png", PNG, "image/png")], headers={"X-Apollo-Operation-Name": "Upload"}
    )

    assert response.status_code == 200
    assert response.json()["data"]["uploadFile"]["errors"] == []


async def test_a_file_at_the_limit_is_taken_and_one_byte_more_is_refused_while_streaming(files, db):
    _, api = await files.sign_in()
    at_limit = PDF + b"x" * (LIMIT - len(PDF))

    await upload(api, at_limit, name="big.pdf")
    response = await post_multipart(api, [("bigger.pdf", at_limit + b"x", "application/pdf")])

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "UPLOAD_TOO_LARGE"
    assert await file_rows(db) == 1
    assert files.left_behind() == ([], [hashlib.sha256(at_limit).hexdigest()])


async def test_more_files_than_allowed_in_one_request_are_refused(files, db):
    _, api = await files.sign_in()
    many = [(f"{n}.pdf", PDF + bytes([n]), "application/pdf") for n in range(4)]

    response = await post_multipart(
        api, many, paths=[[f"variables.input.file{n}"] for n in range(4)]
    )

    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "TOO_MANY_FILES"
    assert files.left_behind() == ([], [])


async def test_a_refused_mutation_leaves_no_row_and_no_blob(files, db):
    anonymous = files.api  # no token: the mutation refuses, the staged file is discarded

    refused = await post_multipart(anonymous, [("x.pdf", PDF, "application/pdf")])

    payload = refused.json()["data"]["uploadFile"]
    assert user_errors(payload) == [("Unauthenticated", "UNAUTHENTICATED", None)]
    assert await file_rows(db) == 0
    assert files.left_behind() == ([], [])


async def test_a_file_variable_sent_as_json_is_a_typed_error(files):
    _, api = await files.sign_in()

    body = await api.data(UPLOAD, {"input": {"file": "not a file"}})

    assert user_errors(body["uploadFile"]) == [("ValidationError", "VALIDATION", "input.file")]


async def test_malformed_maps_are_bad_requests_and_leave_nothing(files):
    _, api = await files.sign_in()
    for paths in ([["variables.input.missing.file"]], [["query"]], [["variables.input"]]):
        response = await post_multipart(api, [("a.pdf", PDF, "application/pdf")], paths=paths)

        assert response.status_code == 400, (paths, response.text)
        assert files.left_behind() == ([], [])


async def test_files_after_a_missing_map_are_refused(files):
    _, api = await files.sign_in()
    operations = orjson.dumps({"query": UPLOAD, "variables": {"input": {"file": None}}})

    response = await api.http.post(
        "/graphql",
        files={"0": ("a.pdf", PDF, "application/pdf"), "operations": (None, operations)},
        headers={"Apollo-Require-Preflight": "1", "Authorization": f"Bearer {api.token}"},
    )

    assert response.status_code == 400
    assert files.left_behind() == ([], [])


def raw_body(data: bytes) -> bytes:
    fields, _ = multipart([("voice.ogg", data, "audio/ogg")])
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        + value
        + b"\r\n"
        for name, value in fields.items()
    ]
    parts.append(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="0"; filename="voice.ogg"\r\n'
        "Content-Type: audio/ogg\r\n\r\n".encode()
        + data
        + b"\r\n"
    )
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def asgi_scope(token: str, body: bytes) -> dict:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "server": ("test", 80),
        "client": ("127.0.0.1", 1234),
        "headers": [
            (b"host", b"test"),
            (b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", f"Bearer {token}".encode()),
            (b"apollo-require-preflight", b"true"),
        ],
    }


async def drive(app, token: str, body: bytes, sent: int) -> list[dict]:
    """Drive the app as a server would for a client that sends the first ``sent``
    bytes of ``body`` in small chunks, and then goes away unless that was all."""
    chunks = [body[i : min(i + 4096, sent)] for i in range(0, sent, 4096)]
    complete = sent == len(body)
    messages = [
        {"type": "http.request", "body": chunk, "more_body": not complete or i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent_back: list[dict] = []

    async def receive() -> dict:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent_back.append(message)

    await app(asgi_scope(token, body), receive, send)
    return sent_back


async def test_a_client_that_disconnects_mid_file_leaves_no_row_blob_or_temporary(files, db):
    _, api = await files.sign_in()
    body = raw_body(b"OggS\x00\x02" + bytes(range(256)) * 200)  # 51 kB

    await drive(files.api.app, api.token, body, len(body) // 2)

    assert await file_rows(db) == 0
    assert files.left_behind() == ([], [])


async def test_a_client_that_disconnects_after_the_file_but_before_the_end_leaves_nothing(
    files, db
):
    _, api = await files.sign_in()
    body = raw_body(b"OggS\x00\x02" + bytes(30_000))

    await drive(files.api.app, api.token, body, len(body) - 10)

    assert await file_rows(db) == 0
    assert files.left_behind() == ([], [])


async def test_the_same_driver_given_the_whole_body_stores_the_file(files, db):
    """The two tests above can fail: with every byte, the same driver uploads."""
    _, api = await files.sign_in()
    data = b"OggS\x00\x02" + bytes(30_000)
    body = raw_body(data)

    sent_back = await drive(files.api.app, api.token, body, len(body))

    start = next(m for m in sent_back if m["type"] == "http.response.start")
    assert start["status"] == 200
    assert await file_rows(db) == 1
    assert files.left_behind() == ([], [hashlib.sha256(data).hexdigest()])
