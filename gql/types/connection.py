"""Relay cursor connections over keyset pages: opaque cursors, argument checks,
and a lazily counted ``totalCount``."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar
from uuid import UUID

import orjson
import strawberry
from aiodataloader import DataLoader
from strawberry import relay

from gql.errors import BadUserInput, page_size_refused
from gql.loaders import ChildrenKey
from persistence.pagination import InvalidCursor, Key, Ordering, Page, PageRequest

NodeType = TypeVar("NodeType", bound=relay.Node)
Row = TypeVar("Row")


@strawberry.type(description="An edge in a connection.")
class Edge(Generic[NodeType]):
    """An edge whose cursor is encoded only when a client selects it."""

    cursor: str = strawberry.field(
        resolver=lambda root: root.codec.encode(root.key()),
        description="A cursor for use in pagination",
    )
    node: NodeType = strawberry.field(description="The item at the end of the edge")
    key: strawberry.Private[Callable[[], Key]]
    codec: strawberry.Private[CursorCodec]


@strawberry.type(description="A page of items with Relay cursors and the total across pages.")
class Connection(relay.Connection[NodeType], Generic[NodeType]):
    edges: list[Edge[NodeType]] = strawberry.field(  # type: ignore[assignment]
        description="Contains the nodes in this connection"
    )
    counter: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items match, across all pages.")
    async def total_count(self) -> int:
        return await self.counter()


# A cursor is a few dozen characters; anything much longer is not one of ours.
MAX_CURSOR_LENGTH = 512


def fingerprint(identity: object) -> str:
    """A short, stable digest of what identifies a list (its filter, its parent).

    The same on every process and every run: values are written as canonical
    JSON (sorted keys, sets as sorted lists), never with ``repr``.
    """
    canonical = orjson.dumps(
        identity, default=_canonical, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    )
    return hashlib.blake2s(canonical, digest_size=6).hexdigest()


def _canonical(value: object) -> object:
    if isinstance(value, UUID):  # asyncpg's own UUID class is one, but not orjson's
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(str(item) for item in value)
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


class CursorCodec:
    """Cursors are base64 of the ordering, a fingerprint of the list's identity, and
    the row's key values: a cursor only resumes the list it came from."""

    def __init__(self, ordering: Ordering[Any], identity: object = None) -> None:
        self.ordering = ordering
        self.tag = fingerprint(identity)

    def encode(self, key: Key) -> str:
        payload = [self.ordering.name, self.tag, *self.ordering.dump(key)]
        return base64.urlsafe_b64encode(orjson.dumps(payload)).decode()

    def decode(self, cursor: str, argument: str) -> Key:
        """The key values of ``cursor``; raises BadUserInput for anything this list
        did not issue, whatever it decodes to."""
        invalid = BadUserInput(f"`{argument}` is not a valid cursor", argument)
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise invalid
        try:
            payload = orjson.loads(base64.urlsafe_b64decode(cursor.encode()))
        except (binascii.Error, ValueError, UnicodeError) as exc:  # orjson's error is a ValueError
            raise invalid from exc
        if not isinstance(payload, list) or len(payload) < 2:
            raise invalid
        name, tag, *values = payload
        if name != self.ordering.name or tag != self.tag:
            raise BadUserInput(
                f"`{argument}` was issued for a different filter or order of this list", argument
            )
        try:
            return self.ordering.load(values)
        except InvalidCursor as exc:
            raise invalid from exc


def page_request(
    codec: CursorCodec,
    *,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
    default_size: int,
    max_size: int,
) -> PageRequest:
    """Validate Relay arguments into a keyset page request; raises BadUserInput."""
    if first is not None and last is not None:
        raise BadUserInput("pass either `first` or `last`, not both", "first")
    for name, value in (("first", first), ("last", last)):
        if value is not None and not 0 <= value <= max_size:
            raise page_size_refused(name, max_size)
    size = first if first is not None else last if last is not None else default_size
    return PageRequest(
        limit=size,
        after=codec.decode(after, "after") if after else None,
        before=codec.decode(before, "before") if before else None,
        from_end=last is not None,
    )


def to_connection(
    page: Page[Row],
    codec: CursorCodec,
    node: Callable[[Row], NodeType],
    counter: Callable[[], Awaitable[int]],
) -> Connection[NodeType]:
    rows = page.rows
    edges = [
        Edge(node=node(row), key=functools.partial(page.key, row), codec=codec) for row in rows
    ]
    return Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=page.has_previous_page,
            start_cursor=codec.encode(page.key(rows[0])) if rows else None,
            end_cursor=codec.encode(page.key(rows[-1])) if rows else None,
        ),
        counter=counter,
    )


def paging(
    info: Any,
    codec: CursorCodec,
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> PageRequest:
    """The page request of a field's Relay arguments, under the configured caps."""
    settings = info.context.settings
    return page_request(
        codec,
        first=first,
        after=after,
        last=last,
        before=before,
        default_size=settings.default_page_size,
        max_size=settings.max_page_size,
    )


async def child_connection(
    info: Any,
    *,
    parent_id: UUID,
    pages: DataLoader[Any, Any],
    counts: DataLoader[Any, Any],
    ordering: Ordering[Row],
    node: Callable[[Row], NodeType],
    first: int | None,
    after: str | None,
    last: int | None,
    before: str | None,
) -> Connection[NodeType]:
    """A parent's connection through batching loaders: one statement per level
    whatever the number of parents."""
    # The parent is part of the list's identity: another parent's cursor must not
    # silently resume this one from a foreign position.
    codec = CursorCodec(ordering, parent_id)
    request = paging(info, codec, first, after, last, before)
    page = await pages.load(ChildrenKey(parent_id, ordering, request))

    async def count() -> int:
        return int(await counts.load(parent_id))

    return to_connection(page, codec, node, count)
