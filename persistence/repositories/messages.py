from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, bindparam, delete, select, update
from sqlalchemy.orm.attributes import set_committed_value

from persistence.models import Conversation, Message, utcnow
from persistence.pagination import Ordering, Page, PageRequest, ordering_by
from persistence.records import MessageRecord
from persistence.repositories.base import Repository

MESSAGES_OLDEST_FIRST: Ordering[MessageRecord] = ordering_by(
    "CREATED_AT_ASC", Message.created_at, Message.id
)
MESSAGES_NEWEST_FIRST: Ordering[MessageRecord] = ordering_by(
    "CREATED_AT_DESC", Message.created_at, Message.id, descending=True
)


# A conversation's message_count changed by `change`, in SQL: never computed from
# a count read before, so concurrent writers of one conversation each apply theirs.
# The table, not the entity: run with many parameter sets it is one executemany.
_CONVERSATIONS = Conversation.metadata.tables["conversations"]
_COUNT_CHANGE = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("conversation"))
    .values(message_count=_CONVERSATIONS.c.message_count + bindparam("change"))
)


class MessageRepository(Repository[Message]):
    """Messages belong to a conversation; they are visible when it is.

    Every write of messages changes their conversations' ``message_count`` by
    as many in the same statement sequence, so the count is exact whenever the
    unit of work commits, and rolls back with it.
    """

    model = Message
    record_type = MessageRecord

    def _visible(self, owner: Any = None) -> ColumnElement[bool] | None:
        owner = self._scope.condition(Conversation.owner_id, owner)
        if owner is None:
            return None
        return Message.conversation_id.in_(select(Conversation.id).where(owner))

    async def pages_by_conversation(
        self,
        conversation_ids: Sequence[UUID],
        ordering: Ordering[MessageRecord],
        request: PageRequest,
    ) -> list[Page[MessageRecord]]:
        """A page of messages per conversation, e.g. the 20 newest of each of 50, in one query.

        Pages hold read-only records: a deep read may carry thousands of messages.
        """
        return await self._record_pages_by_parent(
            Message.conversation_id, conversation_ids, ordering, request
        )

    async def latest_by_conversation(
        self, conversation_ids: Sequence[UUID]
    ) -> list[MessageRecord | None]:
        pages = await self.pages_by_conversation(
            conversation_ids, MESSAGES_NEWEST_FIRST, PageRequest(limit=1)
        )
        return [page.rows[0] if page.rows else None for page in pages]

    async def counts_by_conversation(self, conversation_ids: Sequence[UUID]) -> list[int]:
        return await self._counts_by_parent(Message.conversation_id, conversation_ids)

    async def append(
        self, conversation: Conversation, messages: Sequence[Message]
    ) -> list[Message]:
        """Append ``messages`` in order, move the conversation's last_message_at and
        add them to its message_count (``conversation`` then holds the new count).

        Each message gets its own microsecond so their order survives any reader,
        and every message is newer than the conversation's last one, so
        ``last_message_at`` only ever moves forward, to the newest message. That
        holds under concurrent appends when the caller read ``conversation``
        with :meth:`Repository.lock`, which makes them take turns.
        """
        self._check_owner(conversation.owner_id)
        if not messages:
            return []
        start = utcnow()
        if conversation.last_message_at is not None:
            start = max(start, conversation.last_message_at + timedelta(microseconds=1))
        for offset, message in enumerate(messages):
            message.conversation_id = conversation.id
            message.created_at = message.updated_at = start + timedelta(microseconds=offset)
            self._gate.add(message)
        await self._gate.flush()
        # One statement moves last_message_at and adds to the count as stored.
        statement = (
            update(Conversation)
            .where(Conversation.id == conversation.id)
            .values(
                last_message_at=messages[-1].created_at,
                message_count=Conversation.message_count + len(messages),
            )
            .returning(
                Conversation.last_message_at, Conversation.message_count, Conversation.updated_at
            )
            .execution_options(synchronize_session=False)
        )
        (written,) = await self._gate.rows(statement)
        # The loaded row learns what was stored, as stored (not as a change to flush).
        for name, value in written._mapping.items():
            set_committed_value(conversation, name, value)
        return list(messages)

    async def delete_ids(self, ids: Select[Any]) -> int:
        """Delete the visible messages whose ids ``ids`` selects and take them off
        their conversations' message_count; how many went. Conversations loaded in
        the session keep the count they were read with."""
        conditions = [c for c in (self._visible(), Message.id.in_(ids)) if c is not None]
        statement = delete(Message).where(*conditions).returning(Message.conversation_id)
        gone = Counter(conversation_id for (conversation_id,) in await self._gate.rows(statement))
        if gone:
            changes = [{"conversation": id_, "change": -count} for id_, count in gone.items()]
            await self._gate.execute(_COUNT_CHANGE, changes)
        return gone.total()
