"""Files attached to messages, and personas' avatars."""

from __future__ import annotations

from persistence.models import Role
from tests.api.files.conftest import OGG, PDF, PNG, upload
from tests.api.wire import ERRORS, global_id, user_errors
from tests.factories import make_conversation, make_persona

POST = f"""
mutation($input: PostMessagesInput!) {{
  postMessages(input: $input) {{
    messages {{ content attachments {{ filename contentType }} }}
    {ERRORS}
  }}
}}
"""
MESSAGES = """
query($id: ID!) {
  node(id: $id) {
    ... on Conversation {
      messages { edges { node { content attachments { filename url } } } }
    }
  }
}
"""
DELETE = "mutation($id: ID!) { deleteFile(input: {id: $id}) { deletedId } }"
UPDATE = f"""
mutation($input: UpdatePersonaInput!) {{
  updatePersona(input: $input) {{ persona {{ avatar {{ filename contentType }} }} {ERRORS} }}
}}
"""


async def a_conversation(files, owner):
    async with files.seed() as uow:
        conversation = await make_conversation(uow, owner)
    return global_id("Conversation", conversation.id)


async def a_persona(files, owner):
    async with files.seed() as uow:
        persona = await make_persona(uow, owner)
    return global_id("Persona", persona.id)


def message(content, *attachments):
    return {"role": "USER", "content": content, "attachmentIds": list(attachments)}


async def test_posted_messages_carry_their_attachments_in_order(files):
    owner, api = await files.sign_in()
    conversation = await a_conversation(files, owner)
    voice = await upload(api, OGG, name="voice.ogg", claimed="audio/ogg")
    photo = await upload(api, PNG, name="photo.png")

    data = await api.data(
        POST,
        {
            "input": {
                "conversationId": conversation,
                "messages": [message("listen", voice["id"], photo["id"]), message("plain")],
            }
        },
    )

    assert data["postMessages"]["messages"] == [
        {
            "content": "listen",
            "attachments": [
                {"filename": "voice.ogg", "contentType": "audio/ogg"},
                {"filename": "photo.png", "contentType": "image/png"},
            ],
        },
        {"content": "plain", "attachments": []},
    ]


async def test_attachments_of_many_messages_are_read_in_one_statement(files, db):
    owner, api = await files.sign_in()
    conversation = await a_conversation(files, owner)
    stored = [await upload(api, PDF + bytes([n]), name=f"{n}.pdf") for n in range(3)]
    await api.data(
        POST,
        {
            "input": {
                "conversationId": conversation,
                "messages": [message(f"m{n}", stored[n]["id"]) for n in range(3)],
            }
        },
    )

    with db.statements() as log:
        data = await api.data(MESSAGES, {"id": conversation})

    edges = data["node"]["messages"]["edges"]
    assert [[a["filename"] for a in e["node"]["attachments"]] for e in edges] == [
        ["0.pdf"],
        ["1.pdf"],
        ["2.pdf"],
    ]
    assert sum("message_files" in statement for statement in log.statements) == 1
    response = await api.http.get(edges[0]["node"]["attachments"][0]["url"])
    assert response.content == PDF + b"\x00"


async def test_another_tenants_file_cannot_be_attached(files):
    owner, api = await files.sign_in()
    _, rival = await files.sign_in()
    conversation = await a_conversation(files, owner)
    foreign = await upload(rival, PDF)

    data = await api.data(
        POST, {"input": {"conversationId": conversation, "messages": [message("x", foreign["id"])]}}
    )

    assert user_errors(data["postMessages"]) == [
        ("NotFoundError", "NOT_FOUND", "input.messages[0].attachmentIds[0]")
    ]
    assert (await api.data(MESSAGES, {"id": conversation}))["node"]["messages"]["edges"] == []


async def test_an_admin_cannot_attach_their_own_file_to_an_operators_message(files):
    owner, _ = await files.sign_in()
    _, admin = await files.sign_in(Role.ADMIN)
    conversation = await a_conversation(files, owner)
    own = await upload(admin, PDF)

    data = await admin.data(
        POST, {"input": {"conversationId": conversation, "messages": [message("x", own["id"])]}}
    )

    assert user_errors(data["postMessages"]) == [
        ("ValidationError", "VALIDATION", "input.messages[0].attachmentIds[0]")
    ]


async def test_a_file_given_twice_or_not_a_file_id_is_refused(files):
    owner, api = await files.sign_in()
    conversation = await a_conversation(files, owner)
    stored = await upload(api, PDF)

    twice = await api.data(
        POST,
        {
            "input": {
                "conversationId": conversation,
                "messages": [message("x", stored["id"], stored["id"])],
            }
        },
    )
    not_a_file = await api.data(
        POST, {"input": {"conversationId": conversation, "messages": [message("x", conversation)]}}
    )

    assert user_errors(twice["postMessages"]) == [
        ("ValidationError", "VALIDATION", "input.messages[0].attachmentIds[1]")
    ]
    assert user_errors(not_a_file["postMessages"]) == [
        ("NotFoundError", "NOT_FOUND", "input.messages[0].attachmentIds[0]")
    ]


async def test_deleting_an_attached_file_takes_it_off_the_message(files):
    owner, api = await files.sign_in()
    conversation = await a_conversation(files, owner)
    stored = await upload(api, PDF)
    await api.data(
        POST, {"input": {"conversationId": conversation, "messages": [message("x", stored["id"])]}}
    )

    await api.data(
        "mutation($id: ID!) { deleteFile(input: {id: $id}) { deletedId } }", {"id": stored["id"]}
    )

    edges = (await api.data(MESSAGES, {"id": conversation}))["node"]["messages"]["edges"]
    assert edges[0]["node"]["attachments"] == []


async def test_a_persona_shows_an_image_of_its_owner_as_avatar_until_cleared(files):
    owner, api = await files.sign_in()
    persona = await a_persona(files, owner)
    image = await upload(api, PNG, name="face.png")

    set_ = await api.data(UPDATE, {"input": {"id": persona, "avatarFileId": image["id"]}})
    cleared = await api.data(UPDATE, {"input": {"id": persona, "avatarFileId": None}})

    assert set_["updatePersona"] == {
        "persona": {"avatar": {"filename": "face.png", "contentType": "image/png"}},
        "errors": [],
    }
    assert cleared["updatePersona"] == {"persona": {"avatar": None}, "errors": []}


async def test_an_avatar_must_be_an_image_of_the_personas_owner(files):
    owner, api = await files.sign_in()
    _, rival = await files.sign_in()
    persona = await a_persona(files, owner)
    pdf = await upload(api, PDF)
    foreign = await upload(rival, PNG)

    not_image = await api.data(UPDATE, {"input": {"id": persona, "avatarFileId": pdf["id"]}})
    not_theirs = await api.data(UPDATE, {"input": {"id": persona, "avatarFileId": foreign["id"]}})

    assert user_errors(not_image["updatePersona"]) == [
        ("ValidationError", "VALIDATION", "input.avatarFileId")
    ]
    assert user_errors(not_theirs["updatePersona"]) == [
        ("NotFoundError", "NOT_FOUND", "input.avatarFileId")
    ]


async def test_deleting_the_avatar_file_clears_the_avatar(files):
    owner, api = await files.sign_in()
    persona = await a_persona(files, owner)
    image = await upload(api, PNG)
    await api.data(UPDATE, {"input": {"id": persona, "avatarFileId": image["id"]}})

    await api.data(
        "mutation($id: ID!) { deleteFile(input: {id: $id}) { deletedId } }", {"id": image["id"]}
    )

    data = await api.data(
        "query($id: ID!) { node(id: $id) { ... on Persona { name avatar { id } } } }",
        {"id": persona},
    )
    assert data["node"]["avatar"] is None
