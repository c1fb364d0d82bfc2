"""Files as GraphQL objects: `node`, the filtered `files` connection, `deleteFile`
and what deleting does to the bytes."""

from __future__ import annotations

import hashlib

from persistence.models import Role
from tests.api.files.conftest import OGG, PDF, PNG, upload
from tests.api.wire import ERRORS, user_errors

DELETE = f"mutation($id: ID!) {{ deleteFile(input: {{id: $id}}) {{ deletedId {ERRORS} }} }}"
FILES = """
query($filter: FileFilterInput) {
  files(filter: $filter) { totalCount edges { node { filename contentType } } }
}
"""


async def test_a_file_is_a_node(files):
    _, api = await files.sign_in()
    stored = await upload(api, PDF, name="menu.pdf")

    data = await api.data(
        "query($id: ID!) { node(id: $id) { __typename ... on File { filename sizeBytes } } }",
        {"id": stored["id"]},
    )

    assert data["node"] == {"__typename": "File", "filename": "menu.pdf", "sizeBytes": len(PDF)}


async def test_the_files_connection_filters_by_content_type_or_family(files):
    _, api = await files.sign_in()
    await upload(api, PDF, name="menu.pdf")
    await upload(api, PNG, name="face.png")
    await upload(api, OGG, name="voice.ogg")

    def names(data):
        return [edge["node"]["filename"] for edge in data["files"]["edges"]]

    everything = await api.data(FILES)
    images = await api.data(FILES, {"filter": {"contentType": "image/*"}})
    pdfs = await api.data(FILES, {"filter": {"contentType": "Application/PDF"}})
    none = await api.data(FILES, {"filter": {"contentType": "video/*"}})

    assert names(everything) == ["voice.ogg", "face.png", "menu.pdf"]
    assert (names(images), images["files"]["totalCount"]) == (["face.png"], 1)
    assert names(pdfs) == ["menu.pdf"]
    assert none["files"] == {"totalCount": 0, "edges": []}


async def test_an_overlong_content_type_filter_is_bad_user_input(files):
    _, api = await files.sign_in()

    body = await api.query(FILES, {"filter": {"contentType": "x" * 300}})

    assert body["errors"][0]["extensions"] == {
        "code": "BAD_USER_INPUT",
        "argument": "filter.contentType",
    }


async def test_deleting_the_last_file_of_a_blob_removes_the_blob_and_not_before(files):
    _, alice = await files.sign_in()
    _, bob = await files.sign_in()
    first = await upload(alice, PNG)
    second = await upload(bob, PNG)
    key = hashlib.sha256(PNG).hexdigest()

    await alice.data(DELETE, {"id": first["id"]})
    assert files.left_behind() == ([], [key])
    await bob.data(DELETE, {"id": second["id"]})

    assert files.left_behind() == ([], [])
    assert (await bob.data(FILES))["files"]["totalCount"] == 0


async def test_nobody_deletes_another_tenants_file(files):
    _, alice = await files.sign_in()
    _, bob = await files.sign_in()
    stored = await upload(alice, PDF)

    data = await bob.data(DELETE, {"id": stored["id"]})

    assert user_errors(data["deleteFile"]) == [("NotFoundError", "NOT_FOUND", "input.id")]
    assert (await alice.data(FILES))["files"]["totalCount"] == 1
    assert files.left_behind()[1] == [hashlib.sha256(PDF).hexdigest()]


async def test_an_admin_may_delete_any_file(files):
    _, alice = await files.sign_in()
    _, admin = await files.sign_in(Role.ADMIN)
    stored = await upload(alice, PDF)

    data = await admin.data(DELETE, {"id": stored["id"]})

    assert data["deleteFile"] == {"deletedId": stored["id"], "errors": []}
    assert files.left_behind() == ([], [])
