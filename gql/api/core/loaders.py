"""Per-request dataloaders: each dispatch becomes ONE repository call.

Built fresh for every request (aiodataloader binds to the running loop, and a
shared cache would leak rows between viewers)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar
from uuid import UUID

from aiodataloader import DataLoader

from persistence import reads
from persistence.pagination import Ordering, Page, PageRequest
from persistence.repositories.base import Filter
from persistence.repositories.states import StateSelection
from persistence.unit_of_work import UnitOfWork

Row = TypeVar("Row")


@dataclass(frozen=True)
class ChildrenKey(Generic[Row]):
    """One parent's page of children, with the arguments that shape it."""

    parent_id: UUID
    ordering: Ordering[Row]
    request: PageRequest


PagesFetch = Callable[[Sequence[UUID], Any, PageRequest], Awaitable[list[Page[Any]]]]
Loader = DataLoader[Any, Any]


def _pages_loader(fetch: PagesFetch) -> Loader:
    """A loader of per-parent pages: keys sharing their arguments go out in one call."""

    async def load(keys: Sequence[ChildrenKey[Any]]) -> list[Page[Any]]:
        groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for index, key in enumerate(keys):
            groups[(key.ordering, key.request)].append(index)
        pages: list[Page[Any]] = [None] * len(keys)  # type: ignore[list-item]  # all filled below
        for (ordering, request), indexes in groups.items():
            parent_ids = [keys[i].parent_id for i in indexes]
            for index, page in zip(
                indexes, await fetch(parent_ids, ordering, request), strict=True
            ):
                pages[index] = page
        return pages

    return DataLoader(load)


@dataclass(frozen=True)
class Children:
    """One kind of children of a parent (a persona's conversations, say): a loader of
    their pages and one of their counts, each batching every parent of a request."""

    pages: Loader
    counts: Loader

    @classmethod
    def of(cls, pages: PagesFetch, counts: Callable[..., Any]) -> Children:
        return cls(_pages_loader(pages), DataLoader(counts))

    def clear_all(self) -> None:
        self.pages.clear_all()
        self.counts.clear_all()


@dataclass(frozen=True)
class JsonPageKey:
    """A compiled root page: what to read and which page of it."""

    entity: str
    filter: Filter | None
    ordering: Ordering[Any]
    connection: reads.ConnectionShape
    values: reads.PageValues


@dataclass(frozen=True)
class JsonRowKey:
    """A compiled row by id, in one shape."""

    entity: str
    shape: reads.Shape
    id: UUID


@dataclass(frozen=True)
class StateKey:
    """One conversation's state entries, as a field's arguments select them."""

    conversation_id: UUID
    selection: StateSelection


def _states(uow: UnitOfWork) -> Loader:
    async def load(keys: Sequence[StateKey]) -> list[Any]:
        groups: dict[StateSelection, list[int]] = defaultdict(list)
        for index, key in enumerate(keys):
            groups[key.selection].append(index)
        found: list[Any] = [None] * len(keys)
        for selection, indexes in groups.items():
            ids = [keys[i].conversation_id for i in indexes]
            entries = await uow.states.of_conversations(ids, selection)
            for index, entry in zip(indexes, entries, strict=True):
                found[index] = entry
        return found

    return DataLoader(load)


def _json_pages(uow: UnitOfWork) -> Loader:
    async def load(keys: Sequence[JsonPageKey]) -> list[str]:
        # One statement per page: each writes its own answer.
        return [
            await uow.reads.page(k.entity, k.filter, k.ordering, k.connection, k.values)
            for k in keys
        ]

    return DataLoader(load)


def _json_rows(uow: UnitOfWork) -> Loader:
    async def load(keys: Sequence[JsonRowKey]) -> list[str | None]:
        groups: dict[tuple[str, reads.Shape], list[int]] = defaultdict(list)
        for index, key in enumerate(keys):
            groups[(key.entity, key.shape)].append(index)
        found: list[str | None] = [None] * len(keys)
        for (entity, shape), indexes in groups.items():
            rows = await uow.reads.rows(entity, shape, [keys[i].id for i in indexes])
            for index, row in zip(indexes, rows, strict=True):
                found[index] = row
        return found

    return DataLoader(load)


class Loaders:
    """Every loader of one request, over that request's unit of work; each is made
    on first use (a request reads through a few of them, not all)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    @cached_property
    def user(self) -> Loader:
        return DataLoader(self._uow.users.get_many)

    @cached_property
    def persona(self) -> Loader:
        return DataLoader(self._uow.personas.read_many)

    @cached_property
    def customer(self) -> Loader:
        return DataLoader(self._uow.customers.read_many)

    @cached_property
    def conversation(self) -> Loader:
        return DataLoader(self._uow.conversations.read_many)

    @cached_property
    def message(self) -> Loader:
        return DataLoader(self._uow.messages.get_many)

    @cached_property
    def appointment(self) -> Loader:
        return DataLoader(self._uow.appointments.get_many)

    @cached_property
    def file(self) -> Loader:
        return DataLoader(self._uow.files.get_many)

    @cached_property
    def attachments_of_message(self) -> Loader:
        return DataLoader(self._uow.files.attachments_by_message)

    @cached_property
    def memory(self) -> Loader:
        return DataLoader(self._uow.memories.get_many)

    @cached_property
    def persona_module(self) -> Loader:
        return DataLoader(self._uow.persona_modules.get_many)

    @cached_property
    def modules_of_persona(self) -> Loader:
        return DataLoader(self._uow.persona_modules.of_personas)

    @cached_property
    def owner_settings(self) -> Loader:
        return DataLoader(self._uow.owner_settings.of_owners)

    @cached_property
    def states_of_conversation(self) -> Loader:
        return _states(self._uow)

    @cached_property
    def memories_of_conversation(self) -> Children:
        memories = self._uow.memories
        return Children.of(memories.pages_by_conversation, memories.counts_by_conversation)

    @cached_property
    def personas_of_owner(self) -> Children:
        personas = self._uow.personas
        return Children.of(personas.pages_by_owner, personas.counts_by_owner)

    @cached_property
    def conversations_of_persona(self) -> Children:
        conversations = self._uow.conversations
        return Children.of(conversations.pages_by_persona, conversations.counts_by_persona)

    @cached_property
    def conversations_of_customer(self) -> Children:
        conversations = self._uow.conversations
        return Children.of(conversations.pages_by_customer, conversations.counts_by_customer)

    @cached_property
    def messages_of_conversation(self) -> Children:
        messages = self._uow.messages
        return Children.of(messages.pages_by_conversation, messages.counts_by_conversation)

    @cached_property
    def appointments_of_customer(self) -> Children:
        appointments = self._uow.appointments
        return Children.of(appointments.pages_by_customer, appointments.counts_by_customer)

    @cached_property
    def last_message_by_conversation(self) -> Loader:
        return DataLoader(self._uow.messages.latest_by_conversation)

    @cached_property
    def appointment_history(self) -> Loader:
        return DataLoader(self._uow.appointments.history_by_appointment)

    # Compiled reads (gql/api/core/compiled.py): answers as JSON text.
    @cached_property
    def json_pages(self) -> Loader:
        return _json_pages(self._uow)

    @cached_property
    def json_rows(self) -> Loader:
        return _json_rows(self._uow)

    def forget(self) -> None:
        """Drop every cached row and page, e.g. after a write changed them (the
        loaders made so far: the others hold nothing)."""
        for value in vars(self).values():
            if isinstance(value, DataLoader | Children):
                value.clear_all()
