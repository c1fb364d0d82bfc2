"""Relay nodes backed by database rows: built from their row in one way, fetched by
global id (``node``, ``nodes``) through the request's loaders, and global ids
in arguments checked for their type."""

from __future__ import annotations

import asyncio
import binascii
import dataclasses
import functools
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Self
from uuid import UUID

import strawberry
from strawberry import relay

from gql.api.core.compat import raw_info
from gql.api.core.compiled import Compiled, Declared, compiler_of, observe
from gql.api.core.errors import BadUserInput
from gql.api.core.loaders import JsonRowKey
from gql.auth.permissions import AUTHENTICATED

_SET_BY_NODE = frozenset({"id", "pk", "_id"})


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls) if f.init and f.name not in _SET_BY_NODE)


@functools.cache
def _field_reader(cls: type) -> Callable[[Any], tuple[Any, ...]]:
    """Reads a row's attributes named as ``cls``'s fields, in one C call (a deep page
    builds thousands of nodes)."""
    names = _field_names(cls)
    if len(names) > 1:
        return operator.attrgetter(*names)
    return lambda row: tuple(getattr(row, name) for name in names)


def copied_fields(
    cls: type, row: Any, converters: Mapping[str, Callable[[Any], Any]] | None = None
) -> dict[str, Any]:
    """The constructor arguments of dataclass type ``cls`` read from ``row``'s
    attributes of the same names, each through its converter if it has one."""
    values = dict(zip(_field_names(cls), _field_reader(cls)(row), strict=True))
    for name, convert in (converters or {}).items():
        values[name] = convert(values[name])
    return values


@functools.cache
def _node_builder(cls: type) -> Callable[[Any], Any]:
    """``cls.from_row`` as one call of the constructor with every argument written
    out, made once per class as ``dataclasses`` makes ``__init__``::

        def from_row(row):
            return cls(id=str(row.id), pk=row.id, title=row.title, ...,
                       mode=convert_mode(row.mode))

    A deep page builds thousands of nodes: this is about half of what a dictionary
    of :func:`copied_fields` unpacked into the constructor costs (1.7 against
    2.9 µs a message). The names are the type's own field names, identifiers all.
    """
    names = _field_names(cls)
    converters: Mapping[str, Callable[[Any], Any]] = getattr(cls, "converters", {})
    unknown = set(converters) - set(names)
    if unknown:
        raise TypeError(f"{cls.__name__}.converters name no field of it: {sorted(unknown)}")
    arguments = "".join(
        f", {name}=convert_{name}(row.{name})" if name in converters else f", {name}=row.{name}"
        for name in names
    )
    namespace: dict[str, Any] = {"cls": cls}
    namespace.update({f"convert_{name}": convert for name, convert in converters.items()})
    exec(f"def from_row(row):\n    return cls(id=str(row.id), pk=row.id{arguments})\n", namespace)
    build: Callable[[Any], Any] = namespace["from_row"]
    return build


def global_id(type_name: str, node_id: str) -> str:
    """The global id of node ``node_id`` of ``type_name``: ``str(relay.GlobalID(...))``,
    base64 of ``TypeName:id``, in one C call (a deep page encodes thousands)."""
    return binascii.b2a_base64(f"{type_name}:{node_id}".encode(), newline=False).decode()


def parse_uuid(value: str) -> UUID | None:
    try:
        return UUID(value)
    except ValueError:
        return None


# A dataclass, so that types built on it take `_id` below as a field of theirs.
@dataclasses.dataclass(kw_only=True)
class RowNode(relay.Node):
    """A node whose id is a row's UUID; ``node``/``nodes`` load it in batches.

    :meth:`from_row` copies the row's attributes of the same names as the type's
    fields (plain attribute fields are the cheapest to resolve), through the
    type's ``converters`` where a field is not the column as stored, and keeps
    the UUID as ``pk`` for nested loads.
    """

    loader: ClassVar[str]
    converters: ClassVar[Mapping[str, Callable[[Any], Any]]] = {}
    # Resolver fields compiled reads answer too, by Python name (gql/api/core/compiled.py).
    reads: ClassVar[Mapping[str, Declared]] = {}

    # The global id as plain data, encoded once per object: the Node interface's own
    # `id` resolver costs a resolver call per object, thousands in a deep page, and
    # a `relay.GlobalID` would be built and then encoded when the answer is written.
    _id: strawberry.ID = strawberry.field(  # noqa: RUF009 (a field specifier, like dataclasses.field)
        name="id", default=None, description="The Globally Unique ID of this object"
    )

    def __post_init__(self) -> None:
        self._id = global_id(self.__strawberry_definition__.name, self.id)  # type: ignore[assignment, attr-defined]

    @classmethod
    def from_row(cls, row: Any) -> Self:
        build = _node_builder(cls)  # type: ignore[arg-type]  # mypy sees the instances' __hash__
        return build(row)  # type: ignore[no-any-return]

    @classmethod
    async def load(cls, info: strawberry.Info, row_id: UUID | None) -> Self | None:
        """The node of a row another row points at (its persona, its customer), through
        the request's loader; ``None`` without a row id or a visible row."""
        if row_id is None:
            return None
        row = await getattr(info.context.loaders, cls.loader).load(row_id)
        return cls.from_row(row) if row is not None else None

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
        rows = iter(await _load_many(loader, [id_ for id_ in ids if id_ is not None]))
        # A malformed, missing or foreign id resolves to null alike.
        nodes: list[Self | None] = []
        for id_ in ids:
            row = next(rows) if id_ is not None else None
            nodes.append(cls.from_row(row) if row is not None else None)
        return nodes


def parse_global_id(raw: str) -> tuple[str, str] | None:
    """``(type name, node id)`` of a client's global id; ``None`` if it is none.

    The one place ids from clients are decoded: a malformed id is, everywhere,
    treated like a well-formed one that names no row visible to the caller.
    """
    try:
        return relay.from_base64(raw)
    except ValueError:
        return None


def row_of(raw: str, type_name: str) -> UUID | None:
    """The row id a client's global id of ``type_name`` names; ``None`` for any
    other value (malformed, or of another type)."""
    parsed = parse_global_id(raw)
    return parse_uuid(parsed[1]) if parsed is not None and parsed[0] == type_name else None


async def resolve_nodes(info: strawberry.Info, raw_ids: Sequence[str]) -> list[Any]:
    """Nodes for global ids in order (null for malformed, missing or foreign ones);
    ids of one type load in one batch, compiled where the selection compiles."""
    parsed = [parse_global_id(raw) for raw in raw_ids]
    by_type: dict[type[RowNode], list[int]] = defaultdict(list)
    for index, global_id in enumerate(parsed):
        node_type = _node_type(info, global_id[0]) if global_id is not None else None
        if node_type is not None:
            by_type[node_type].append(index)
    found: list[Any] = [None] * len(raw_ids)
    compiler = compiler_of(info)
    paths: list[bool] = []

    async def load(node_type: type[RowNode], indexes: list[int]) -> None:
        node_ids = [parsed[i][1] for i in indexes]  # type: ignore[index]
        graphql_type = raw_info(info).schema.type_map[node_type.__strawberry_definition__.name]  # type: ignore[attr-defined]
        shape = compiler.node(info, graphql_type) if compiler is not None else None  # type: ignore[arg-type]
        paths.append(shape is not None)
        if shape is None:
            nodes: list[Any] = await node_type.resolve_nodes(info=info, node_ids=node_ids)
        else:
            ids = [parse_uuid(node_id) for node_id in node_ids]
            keys = [JsonRowKey(node_type.loader, shape, id_) for id_ in ids if id_ is not None]
            rows = iter(await _load_many(info.context.loaders.json_rows, keys))
            texts = [next(rows) if id_ is not None else None for id_ in ids]
            nodes = [Compiled(text) if text is not None else None for text in texts]
        for index, node in zip(indexes, nodes, strict=True):
            found[index] = node

    if len(by_type) == 1:  # node(id:) and most nodes(ids:): no task to gather
        await load(*next(iter(by_type.items())))
    else:
        await asyncio.gather(*(load(t, indexes) for t, indexes in by_type.items()))
    if paths:
        observe(all(paths))
    return found


async def _load_many(loader: Any, keys: list[Any]) -> list[Any]:
    """``loader.load_many(keys)``; one key without the task its gather would make."""
    if len(keys) == 1:
        return [await loader.load(keys[0])]
    return list(await loader.load_many(keys))


def _node_type(info: strawberry.Info, type_name: str) -> type[RowNode] | None:
    definition = info.schema.get_type_by_name(type_name)
    origin = getattr(definition, "origin", None)
    return origin if isinstance(origin, type) and issubclass(origin, RowNode) else None


def decode_id(raw: str, type_name: str, argument: str) -> UUID:
    """The row id of a ``type_name`` id given as a query argument; raises
    BadUserInput naming ``argument`` for anything else."""
    found = row_of(raw, type_name)
    if found is None:
        raise BadUserInput(f"`{argument}` is not the id of a {type_name}", argument)
    return found


def decode_optional_id(raw: str | None, type_name: str, argument: str) -> UUID | None:
    return None if raw is None else decode_id(raw, type_name, argument)


@strawberry.type
class NodeQueries:
    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="The object with this global id, or null if it is missing or not yours.",
    )
    async def node(self, info: strawberry.Info, id: strawberry.ID) -> relay.Node | None:
        (found,) = await resolve_nodes(info, [id])
        return found  # type: ignore[no-any-return]  # a node, or its compiled answer

    @strawberry.field(
        permission_classes=AUTHENTICATED,
        description="The objects with these global ids, in order; null where missing or not yours. "
        "Ids of one type are loaded together.",
    )
    async def nodes(
        self, info: strawberry.Info, ids: list[strawberry.ID]
    ) -> list[relay.Node | None]:
        return await resolve_nodes(info, ids)
