"""Relay cursor connections over keyset pages, written once for every list:
opaque cursors bound to their list, the paging arguments and their checks, and
a lazily counted ``totalCount``."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar
from uuid import UUID

import orjson
import strawberry
from strawberry import relay

from gql.api.core.compat import ConnectionExtension, StrawberryField, raw_info
from gql.api.core.compiled import Compiled, Source, compiler_of, observe, unwrap
from gql.api.core.errors import BadUserInput, page_size_refused
from gql.api.core.loaders import Children, ChildrenKey, JsonPageKey
from persistence import reads
from persistence.pagination import InvalidCursor, Key, Ordering, Page, PageRequest
from persistence.repositories.base import Filter

NodeType = TypeVar("NodeType", bound=relay.Node)
Row = TypeVar("Row")


@strawberry.type(description="An edge in a connection.")
class Edge(Generic[NodeType]):
    """An edge whose cursor is encoded only when a client selects it."""

    cursor: str = strawberry.field(
        resolver=lambda root: root.codec.encode(root.codec.ordering.key(root.row)),
        description="A cursor for use in pagination",
    )
    node: NodeType = strawberry.field(description="The item at the end of the edge")
    row: strawberry.Private[Any]  # what the node was made from, and its cursor is
    codec: strawberry.Private[CursorCodec]


@dataclass(frozen=True, eq=False)
class Keyset(Iterable[Row]):
    """What a connection field's resolver returns: how to read pages of one list.

    ``identity`` is what a cursor of the list is bound to (its filter, its
    parent), so that it resumes no other list; ``fetch`` reads one page,
    ``count`` the total, ``node`` turns a row into what the edges hold. The
    field's connection type pages it (see :meth:`Connection.resolve_connection`).
    A root list says what it reads (``source``) so that a selection the
    database can answer whole is read as compiled JSON (gql/api/core/compiled.py).
    """

    ordering: Ordering[Row]
    identity: object
    fetch: Callable[[PageRequest], Awaitable[Page[Row]]]
    count: Callable[[], Awaitable[int]]
    node: Callable[[Row], Any]
    source: Source | None = None

    @classmethod
    def of_parent(
        cls,
        parent_id: UUID,
        children: Children,
        ordering: Ordering[Row],
        node: Callable[[Row], Any],
        *,
        total: int | None = None,
    ) -> Keyset[Row]:
        """One parent's children through batching loaders: one statement per level
        whatever the number of parents. The parent is part of the list's identity:
        another parent's cursor must not resume this one from a foreign position.
        ``total`` is how many children the parent row says it has, where it keeps
        that count (then nothing counts them)."""

        async def count() -> int:
            if total is not None:
                return total
            return int(await children.counts.load(parent_id))

        return cls(
            ordering,
            parent_id,
            lambda request: children.pages.load(ChildrenKey(parent_id, ordering, request)),
            count,
            node,
        )

    @classmethod
    def of_filter(
        cls, repository: Any, filter_: Filter, ordering: Ordering[Row], node: Callable[[Row], Any]
    ) -> Keyset[Row]:
        """The visible rows of ``repository`` that match ``filter_`` (its ``find`` and
        ``count_matching``); the filter is the list's identity."""
        return cls(
            ordering,
            filter_,
            lambda request: repository.find(filter_, ordering, request),
            lambda: repository.count_matching(filter_),
            node,
            Source(reads.entity_of(repository.model), filter_),
        )

    def __iter__(self) -> Iterator[Row]:
        raise TypeError("a keyset list is read a page at a time, through its connection")


@strawberry.type(description="A page of items with Relay cursors and the total across pages.")
class Connection(relay.Connection[NodeType], Generic[NodeType]):
    edges: list[Edge[NodeType]] = strawberry.field(  # type: ignore[assignment]
        description="Contains the nodes in this connection"
    )
    counter: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many items match, across all pages.")
    async def total_count(self) -> int:
        return await self.counter()

    @classmethod
    async def resolve_connection(  # type: ignore[override]
        cls,
        nodes: Keyset[Any],
        *,
        info: Any,
        before: str | None = None,
        after: str | None = None,
        first: int | None = None,
        last: int | None = None,
        max_results: int | None = None,
        **kwargs: Any,
    ) -> Connection[NodeType]:
        """One keyset page of ``nodes``, under the configured page sizes."""
        settings = info.context.settings
        codec = CursorCodec(nodes.ordering, nodes.identity)
        request = page_request(
            codec,
            first=first,
            after=after,
            last=last,
            before=before,
            default_size=settings.default_page_size,
            max_size=settings.max_page_size,
        )
        if nodes.source is not None:
            compiled = await _compiled_page(info, nodes, request, codec)
            if compiled is not None:
                return compiled  # type: ignore[return-value]  # placed in the response as is
        page = await nodes.fetch(request)
        rows = page.rows
        return cls(
            edges=[Edge(node=nodes.node(row), row=row, codec=codec) for row in rows],
            page_info=KeysetPageInfo(page, codec),
            counter=nodes.count,
        )


class KeysetPageInfo(relay.PageInfo):
    """Strawberry's ``PageInfo`` (the same GraphQL type: the class is not a type of
    its own), whose cursors are encoded only when a client selects them: most pages
    of a nested list are read without their ``pageInfo``, and a cursor costs an
    encoding (and its list's fingerprint, once per list).

    It does not run the dataclass's ``__init__``: the cursors are properties here,
    read like the attributes Strawberry's resolvers and the plain path read."""

    def __init__(self, page: Page[Any], codec: CursorCodec) -> None:
        self.has_next_page = page.has_next_page
        self.has_previous_page = page.has_previous_page
        self._page = page
        self._codec = codec

    @property
    def start_cursor(self) -> str | None:  # type: ignore[override]  # a field, computed
        rows = self._page.rows
        return self._codec.encode(self._page.key(rows[0])) if rows else None

    @property
    def end_cursor(self) -> str | None:  # type: ignore[override]
        rows = self._page.rows
        return self._codec.encode(self._page.key(rows[-1])) if rows else None


async def _compiled_page(
    info: Any, nodes: Keyset[Any], request: PageRequest, codec: CursorCodec
) -> Compiled | None:
    """A root page read as one statement's JSON, where its selection compiles."""
    assert nodes.source is not None
    compiler = compiler_of(info)
    parts = None
    if compiler is not None:
        parts = compiler.connection(info, unwrap(raw_info(info).return_type))
    observe(parts is not None)
    if parts is None:
        return None
    page = reads.PageShape(
        nodes.ordering.name,
        from_end=request.from_end,
        after=request.after is not None,
        before=request.before is not None,
    )
    key = JsonPageKey(
        nodes.source.entity,
        nodes.source.filter,
        nodes.ordering,
        reads.ConnectionShape(page, parts.parts),
        reads.PageValues.of(request, codec.tag),
    )
    return Compiled(await info.context.loaders.json_pages.load(key))


PAGING = ("first", "after", "last", "before")


class KeysetPaging(ConnectionExtension):
    """Strawberry's connection extension, with the paging arguments where this
    schema has always had them: ``first, after, last, before`` (forward only:
    ``first, after``), before or after the field's own arguments."""

    def __init__(self, *, paging_first: bool, backward: bool) -> None:
        super().__init__()
        self.paging_first = paging_first
        self.backward = backward

    def apply(self, field: StrawberryField) -> None:
        super().apply(field)
        by_name = {argument.python_name: argument for argument in field.arguments}
        own = [argument for argument in field.arguments if argument.python_name not in PAGING]
        paging = [by_name[name] for name in PAGING if self.backward or name in ("first", "after")]
        for argument in paging:
            argument.description = None
        field.arguments = [*paging, *own] if self.paging_first else [*own, *paging]


def keyset_connection(
    graphql_type: Any, *, paging_first: bool = False, backward: bool = True, **options: Any
) -> Any:
    """A Relay connection field (``relay.connection``) whose resolver returns a
    :class:`Keyset`: ``first``/``after``/``last``/``before`` are added, checked and
    applied once, here, for every list of the schema.

    ``paging_first`` puts the paging arguments before the resolver's own (as
    nested lists have them), ``backward=False`` offers forward paging only.
    """
    field = relay.connection(graphql_type, **options)
    field.extensions = [
        KeysetPaging(paging_first=paging_first, backward=backward)
        if isinstance(extension, ConnectionExtension)
        else extension
        for extension in field.extensions
    ]
    return field


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
    # md5 because compiled reads compute the same digest in SQL (persistence/reads.py);
    # it tells lists apart, it protects nothing.
    return hashlib.md5(canonical, usedforsecurity=False).hexdigest()[:12]


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
        self.identity = identity

    @cached_property
    def tag(self) -> str:
        """The list's fingerprint, computed when a cursor is first encoded or read:
        a page whose cursors nobody selects (most nested pages) needs none."""
        return fingerprint(self.identity)

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
