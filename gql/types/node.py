"""Relay nodes backed by database rows, resolved through the request's loaders."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar, Self
from uuid import UUID

import strawberry
from strawberry import relay


def parse_uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


# A dataclass, so that types built on it take `_id` below as a field of theirs.
@dataclasses.dataclass(kw_only=True)
class RowNode(relay.Node):
    """A node whose id is a row's UUID; ``node``/``nodes`` load it in batches.

    Subclasses copy a row's fields in ``from_row`` (plain attribute fields are
    the cheapest to resolve) and keep the UUID as ``pk`` for nested loads.
    """

    loader: ClassVar[str]

    # The global id as plain data, set once per object: the Node interface's own
    # `id` resolver costs a resolver call per object, thousands in a deep page.
    _id: relay.GlobalID = strawberry.field(  # noqa: RUF009 (a field specifier, like dataclasses.field)
        name="id", default=None, description="The Globally Unique ID of this object"
    )

    def __post_init__(self) -> None:
        self._id = relay.GlobalID(self.__strawberry_definition__.name, self.id)  # type: ignore[attr-defined]

    @classmethod
    def from_row(cls, row: Any) -> Self:
        raise NotImplementedError

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls,
        *,
        info: strawberry.Info,
        node_ids: Iterable[str],
        required: bool = False,
    ) -> list[Self | None]:
        ids = [parse_uuid(node_id) for node_id in node_ids]
        loader = getattr(info.context.loaders, cls.loader)
        rows = iter(await loader.load_many([id_ for id_ in ids if id_ is not None]))
        # A malformed, missing or foreign id resolves to null alike.
        nodes: list[Self | None] = []
        for id_ in ids:
            row = next(rows) if id_ is not None else None
            nodes.append(cls.from_row(row) if row is not None else None)
        return nodes


async def resolve_nodes(
    info: strawberry.Info, global_ids: Sequence[relay.GlobalID]
) -> list[relay.Node | None]:
    """Nodes for ``global_ids`` in order; ids of one type load in one batch."""
    by_type: dict[type[RowNode], list[int]] = defaultdict(list)
    for index, global_id in enumerate(global_ids):
        node_type = _node_type(info, global_id.type_name)
        if node_type is not None:
            by_type[node_type].append(index)
    found: list[relay.Node | None] = [None] * len(global_ids)

    async def load(node_type: type[RowNode], indexes: list[int]) -> None:
        nodes = await node_type.resolve_nodes(
            info=info, node_ids=[global_ids[i].node_id for i in indexes]
        )
        for index, node in zip(indexes, nodes, strict=True):
            found[index] = node

    await asyncio.gather(*(load(t, indexes) for t, indexes in by_type.items()))
    return found


def _node_type(info: strawberry.Info, type_name: str) -> type[RowNode] | None:
    definition = info.schema.get_type_by_name(type_name)
    origin = getattr(definition, "origin", None)
    return origin if isinstance(origin, type) and issubclass(origin, RowNode) else None
