"""Per-request dataloaders: each dispatch becomes ONE repository call.

Built fresh for every request (aiodataloader binds to the running loop, and a
shared cache would leak rows between viewers)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from uuid import UUID

from aiodataloader import DataLoader

from persistence.pagination import Ordering, Page, PageRequest
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


class Loaders:
    """Every loader of one request, over that request's unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self.user: Loader = DataLoader(uow.users.get_many)
        self.persona: Loader = DataLoader(uow.personas.get_many)
        self.customer: Loader = DataLoader(uow.customers.get_many)
        self.conversation: Loader = DataLoader(uow.conversations.get_many)
        self.message: Loader = DataLoader(uow.messages.get_many)
        self.appointment: Loader = DataLoader(uow.appointments.get_many)
        self.file: Loader = DataLoader(uow.files.get_many)

        self.personas_by_owner = _pages_loader(uow.personas.pages_by_owner)
        self.persona_counts_by_owner: Loader = DataLoader(uow.personas.counts_by_owner)
        self.conversations_by_persona = _pages_loader(uow.conversations.pages_by_persona)
        self.conversations_by_customer = _pages_loader(uow.conversations.pages_by_customer)
        self.conversation_counts_by_persona: Loader = DataLoader(
            uow.conversations.counts_by_persona
        )
        self.conversation_counts_by_customer: Loader = DataLoader(
            uow.conversations.counts_by_customer
        )
        self.messages_by_conversation = _pages_loader(uow.messages.pages_by_conversation)
        self.message_counts_by_conversation: Loader = DataLoader(
            uow.messages.counts_by_conversation
        )
        self.last_message_by_conversation: Loader = DataLoader(uow.messages.latest_by_conversation)
        self.appointments_by_customer = _pages_loader(uow.appointments.pages_by_customer)
        self.appointment_counts_by_customer: Loader = DataLoader(
            uow.appointments.counts_by_customer
        )
        self.appointment_history: Loader = DataLoader(uow.appointments.history_by_appointment)

    def forget(self) -> None:
        """Drop every cached row and page, e.g. after a write changed them."""
        for value in vars(self).values():
            if isinstance(value, DataLoader):
                value.clear_all()
