"""Conversation state: reading, compare-and-set writes and deletes of a module's
keys. ``expected_version`` 0 (or none) means "nothing stored yet"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson

from persistence.errors import NotFound, Problem, VersionConflict
from persistence.models import ConversationState
from persistence.repositories.states import StateKey
from persistence.rules.values import MAX_JSON_BYTES, length, refuse
from persistence.unit_of_work import UnitOfWork

MODULE_KEY_MAX, KEY_MAX = 100, 200


@dataclass(frozen=True)
class StateWrite:
    conversation_id: UUID
    module_key: str
    key: str
    persona_id: UUID | None = None


def _check(write: StateWrite, value: Any = None) -> None:
    problems = [
        length(write.module_key, ("module",), minimum=1, maximum=MODULE_KEY_MAX),
        length(write.key, ("key",), minimum=1, maximum=KEY_MAX),
    ]
    if value is not None and len(orjson.dumps(value)) > MAX_JSON_BYTES:
        problems.append(Problem(("value",), f"must be at most {MAX_JSON_BYTES} bytes as JSON"))
    refuse(problems)


async def _where(uow: UnitOfWork, write: StateWrite) -> tuple[UUID, StateKey]:
    (conversation,) = await uow.conversations.get_many([write.conversation_id])
    if conversation is None:
        raise NotFound("conversation", write.conversation_id, ("conversation_id",))
    if write.persona_id is not None:
        (persona,) = await uow.personas.get_many([write.persona_id])
        if persona is None or persona.owner_id != conversation.owner_id:
            raise NotFound("persona", write.persona_id, ("persona_id",))
    return conversation.owner_id, StateKey(
        write.conversation_id, write.persona_id, write.module_key, write.key
    )


async def set_state(
    uow: UnitOfWork, write: StateWrite, value: Any, expected_version: int | None
) -> ConversationState:
    """Store ``value`` if the entry is at ``expected_version`` (0 or ``None``: if
    there is none yet), in one statement. Raises VersionConflict with what is
    stored otherwise, NotFound, or InvalidInput."""
    _check(write, value)
    expected = expected_version or 0
    if expected < 0:
        refuse([Problem(("expected_version",), "must be 0 or more")])
    async with uow.transaction():
        owner_id, where = await _where(uow, write)
        if expected == 0:
            written = await uow.states.insert_new(owner_id, where, value)
        else:
            written = await uow.states.update_if(where, value, expected)
        current = await uow.states.current(where)
        if written is None or current is None:
            raise VersionConflict(
                expected,
                current.version if current else 0,
                current.value if current else None,
            )
        return current


async def delete_state(
    uow: UnitOfWork, write: StateWrite, expected_version: int | None = None
) -> None:
    """Delete the entry (only at ``expected_version``, if given). Raises NotFound for
    a missing entry and VersionConflict for another version."""
    _check(write)
    async with uow.transaction():
        _, where = await _where(uow, write)
        if await uow.states.delete_if(where, expected_version):
            return
        current = await uow.states.current(where)
        if current is None:
            raise NotFound("conversation state", write.key, ("key",))
        raise VersionConflict(expected_version or 0, current.version, current.value)
