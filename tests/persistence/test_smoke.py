from persistence.pagination import PageRequest
from persistence.repositories.messages import MESSAGES_NEWEST_FIRST
from tests.factories import make_conversation, make_user, post_messages


async def test_newest_messages_of_many_conversations_come_in_one_statement(db):
    async with db.uow(writes=True) as uow:
        owner = await make_user(uow)
        conversations = [await make_conversation(uow, owner) for _ in range(5)]
        for conversation in conversations:
            await post_messages(uow, conversation, *[f"m{i}" for i in range(30)])
        await uow.commit()

    async with db.uow() as uow:
        with db.statements() as log:
            pages = await uow.messages.pages_by_conversation(
                [c.id for c in conversations], MESSAGES_NEWEST_FIRST, PageRequest(limit=20)
            )
    assert log.count == 1
    assert [len(p.rows) for p in pages] == [20] * 5
    assert all(p.has_next_page for p in pages)
    assert [m.content for m in pages[0].rows][:2] == ["m29", "m28"]
