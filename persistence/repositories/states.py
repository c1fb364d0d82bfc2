"""Conversation state: a module's keys per conversation (and persona), each
written by compare-and-set on its version in ONE statement, so two workers
that read the same version cannot both write."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, delete, update
from sqlalchemy.dialects import postgresql, sqlite

from persistence.models import ConversationState, utcnow
from persistence.repositories.base import Repository


@dataclass(frozen=True)
class StateKey:
    """Where one entry lives: a conversation, a persona (or none), a module, a key."""

    conversation_id: UUID
    persona_id: UUID | None
    module_key: str
    key: str

    def conditions(self) -> list[ColumnElement[bool]]:
        persona = (
            ConversationState.persona_id.is_(None)
            if self.persona_id is None
            else ConversationState.persona_id == self.persona_id
        )
        return [
            ConversationState.conversation_id == self.conversation_id,
            persona,
            ConversationState.module_key == self.module_key,
            ConversationState.key == self.key,
        ]


@dataclass(frozen=True)
class StateSelection:
    """Which entries of a conversation to read: one module's, or some keys, of one
    persona or of none (``persona_id`` ``None`` with ``any_persona`` reads all)."""

    module_key: str | None = None
    keys: tuple[str, ...] | None = None
    persona_id: UUID | None = None
    any_persona: bool = True

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.module_key is not None:
            found.append(ConversationState.module_key == self.module_key)
        if self.keys is not None:
            found.append(ConversationState.key.in_(self.keys))
        if self.persona_id is not None:
            found.append(ConversationState.persona_id == self.persona_id)
        elif not self.any_persona:
            found.append(ConversationState.persona_id.is_(None))
        return found


class ConversationStateRepository(Repository[ConversationState]):
    model = ConversationState

    async def of_conversations(
        self, conversation_ids: Sequence[UUID], selection: StateSelection
    ) -> list[list[ConversationState]]:
        """The selected entries of each conversation, aligned to ``conversation_ids``,
        ordered by module and key (the entry without a persona first)."""
        if not conversation_ids:
            return []
        statement = self._select(
            ConversationState.conversation_id.in_(set(conversation_ids)), *selection.conditions()
        ).order_by(
            ConversationState.module_key,
            ConversationState.key,
            ConversationState.persona_id.asc().nulls_first(),
        )
        grouped: dict[UUID, list[ConversationState]] = defaultdict(list)
        for row in await self._gate.scalars(statement):
            grouped[row.conversation_id].append(row)
        return [grouped[id_] for id_ in conversation_ids]

    async def current(self, where: StateKey) -> ConversationState | None:
        rows = await self._gate.scalars(
            self._select(*where.conditions()).execution_options(populate_existing=True)
        )
        return rows[0] if rows else None

    async def insert_new(self, owner_id: UUID, where: StateKey, value: Any) -> int | None:
        """Store ``value`` at version 1 unless an entry exists (then ``None``)."""
        self._check_owner(owner_id)
        dialect_insert = postgresql.insert if self._gate.dialect == "postgresql" else sqlite.insert
        now = utcnow()
        statement = (
            dialect_insert(ConversationState)
            .values(
                owner_id=owner_id,
                conversation_id=where.conversation_id,
                persona_id=where.persona_id,
                module_key=where.module_key,
                key=where.key,
                value=value,
                version=1,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
            .returning(ConversationState.version)
        )
        rows = await self._gate.core_rows(statement)
        return rows[0].version if rows else None

    async def update_if(self, where: StateKey, value: Any, expected: int) -> int | None:
        """Store ``value`` if the entry is at version ``expected``; its new version,
        or ``None`` when it is not (missing, or written by someone else first)."""
        conditions = [c for c in (self._visible(), *where.conditions()) if c is not None]
        statement = (
            update(ConversationState)
            .where(*conditions, ConversationState.version == expected)
            .values(value=value, version=ConversationState.version + 1, updated_at=utcnow())
            .returning(ConversationState.version)
            .execution_options(synchronize_session=False)
        )
        rows = await self._gate.rows(statement)
        return rows[0].version if rows else None

    async def delete_if(self, where: StateKey, expected: int | None) -> bool:
        """Delete the entry (only at version ``expected``, if given); whether one was."""
        conditions = [c for c in (self._visible(), *where.conditions()) if c is not None]
        if expected is not None:
            conditions.append(ConversationState.version == expected)
        statement = (
            delete(ConversationState)
            .where(*conditions)
            .returning(ConversationState.id)
            .execution_options(synchronize_session=False)
        )
        return bool(await self._gate.rows(statement))
