"""The plain-leaf short path gives exactly what graphql-core's full path gives:
the same data, and the same errors at the same paths."""

from __future__ import annotations

import enum
import gc
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NewType

import pytest
import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.scalars import JSON
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gql.api.core import compat
from gql.api.core.execution import PlainFieldExecutionContext, plain_fields
from gql.api.core.observation import Observation, observation_var


@strawberry.enum
class Mood(enum.Enum):
    CALM = "calm"
    LOUD = "loud"


def _refuse(value: object) -> str:
    raise ValueError(f"cannot serialise {value!r}")


Picky = NewType("Picky", str)
SCALARS = {Picky: strawberry.scalar(name="Picky", serialize=_refuse, parse_value=str)}


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Owner(Named):  # with an interface, Strawberry gives the type an is_type_of check
    email: str | None


@dataclass
class Stranger:  # has an Owner's attributes, but is not one
    name: str
    email: str | None


@strawberry.type
class Item:
    name: str
    count: int
    mood: Mood
    at: datetime
    note: str | None
    data: JSON
    required: str  # the rows below put None here for the error case
    picky: Picky
    owner: Owner  # non-null: the short path executes its sub-fields
    partner: Owner | None  # nullable: short-cut only inside a plain selection
    tags: list[str]
    friends: list[Owner]
    maybe_tags: list[str | None]  # nullable items: never plain

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    def repeat(self, times: int) -> str:
        if times < 0:
            raise ValueError("cannot repeat a negative number of times")
        return self.name * times

    @strawberry.field
    def tally(self, counts: list[int]) -> int:
        counts.append(self.count)  # a resolver that changes its argument sees only its own
        return len(counts)


def _item(index: int, **overrides: Any) -> Item:
    values: dict[str, Any] = {
        "name": f"item{index}",
        "count": index,
        "mood": Mood.CALM if index % 2 else Mood.LOUD,
        "at": datetime(2026, 1, 1, 12, index, tzinfo=UTC),
        "note": None if index % 3 else f"note {index}",
        "data": {"index": index, "tags": ["a", "b"]},
        "required": "yes",
        "picky": "fine",
        "owner": Owner(name=f"owner{index}", email=None),
        "partner": Owner(name="partner", email="p@example.com") if index % 2 else None,
        "tags": [f"t{n}" for n in range(index)],
        "friends": [Owner(name=f"friend{n}", email=None) for n in range(index % 3)],
        "maybe_tags": ["x", None],
    }
    values.update(overrides)
    return Item(**values)


def _owner() -> Owner:
    return Owner(name="cast away", email=None)


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item]:
        return [_item(index) for index in range(5)]

    @strawberry.field
    def broken(self) -> list[Item | None]:
        return [
            _item(0),
            _item(1, required=None),
            _item(2, count="many"),
            _item(3, owner=Owner(name=None, email=None)),  # type: ignore[arg-type]
            _item(4, owner="not an owner"),
            _item(5, owner=None),
            _item(6, tags=["a", None]),
            _item(7, tags="not a list"),
            _item(8, friends=[Owner(name="ok", email=None), "not an owner"]),
            _item(9, friends=[Owner(name=None, email=None)]),  # type: ignore[arg-type]
            _item(10, partner="not an owner"),
            _item(11, friends=[Stranger(name="s", email=None)]),
            _item(12, partner=Stranger(name="s", email=None)),
            _item(13, owner=Stranger(name="s", email=None)),
            # an Owner cast to another type is no Owner, though Owners were seen before
            _item(14, friends=[Owner(name="ok", email=None), strawberry.cast(Item, _owner())]),
            _item(15, owner=strawberry.cast(Stranger, _owner())),
            # a Stranger cast to an Owner is one
            _item(16, friends=[strawberry.cast(Owner, Stranger(name="cast", email=None))]),
        ]

    @strawberry.field
    def refused(self) -> Item:
        return _item(3)


def _schema(context_class: type[Any], extensions: list[Any] | None = None) -> strawberry.Schema:
    return strawberry.Schema(
        query=Query,
        execution_context_class=context_class,
        extensions=extensions or [],
        config=StrawberryConfig(scalar_map=SCALARS),
    )


async def _both(document: str, extensions: list[Any] | None = None) -> tuple[Any, Any]:
    full = await _schema(StrawberryGraphQLCoreExecutionContext, extensions).execute(document)
    short = await _schema(PlainFieldExecutionContext, extensions).execute(document)
    return full, short


def _errors(result: Any) -> list[tuple[str, tuple[Any, ...]]]:
    return sorted((error.message, tuple(error.path or ())) for error in result.errors or [])


FRAGMENT = "fragment more on Item { count @include(if: true) note @skip(if: true) }"


@pytest.mark.parametrize(
    "document",
    [
        # resolvers and plain fields side by side: field by field
        """{ items { name count mood at note data shout repeat(times: 2)
                     alias: name owner { name email } partner { name } ...more } }"""
        + FRAGMENT,
        # nothing but plain fields: each item's object in one go
        "{ items { name count mood at note data alias: name ...more } }" + FRAGMENT,
        """{ items { name tags friends { name email } partner { name email }
                     owner { name } maybeTags } }""",
        "{ items { tags friends { name } owner { ... on Owner { name } } } }",
        # __typename, as Apollo, urql and Relay ask it in every selection
        """{ items { __typename name tags kind: __typename friends { __typename name }
                     owner { __typename ... on Owner { name } } partner { __typename } } }""",
    ],
)
async def test_plain_fields_give_the_same_data_as_the_full_path(document: str):
    full, short = await _both(document)
    assert full.errors is None and short.errors is None
    assert short.data == full.data
    assert list(short.data["items"][0]) == list(full.data["items"][0])  # response key order
    items = short.data["items"]
    if "note" in items[0]:
        assert items[3]["note"] == "note 3" and items[1]["note"] is None
        assert items[0]["mood"] == "LOUD" and items[0]["at"] == "2026-01-01T12:00:00+00:00"
    else:
        assert items[2]["tags"] == ["t0", "t1"] and items[2]["friends"][1]["name"] == "friend1"


@pytest.mark.parametrize(
    "document",
    [
        "{ broken { name required } }",  # null for a non-null field
        "{ broken { name count } }",  # a value its scalar refuses
        "{ broken { name owner { name } } }",  # a null bubbling up from below an object
        "{ broken { name owner { email } } }",  # an object of the wrong type, a null object
        "{ broken { name tags } }",  # a null item in a list, a list that is not one
        "{ broken { name friends { name } } }",  # a wrong item, a null below an item
        "{ broken { name partner { name } } }",  # a nullable object of the wrong type
        "{ broken { name shout owner { name } friends { name } } }",  # the same, field by field
        "{ refused { name picky } }",  # a scalar whose serialiser raises
        "{ broken { __typename name owner { __typename email } } }",  # with __typename
        "{ items { name repeat(times: -1) } }",  # a resolver refusing its arguments
    ],
)
async def test_failures_give_the_same_errors_at_the_same_paths(document: str):
    full, short = await _both(document)
    assert full.errors, "the case must fail on the full path too"
    assert _errors(short) == _errors(full)
    assert short.data == full.data


def test_only_attribute_leaves_without_arguments_take_the_short_path():
    schema = _schema(PlainFieldExecutionContext)
    leaves = plain_fields(schema._schema)["Item"]
    assert set(leaves) == {
        "name", "count", "mood", "at", "note", "data", "required", "picky", "owner",
        "partner", "tags", "friends",
    }  # fmt: skip
    assert leaves["note"].nullable and not leaves["name"].nullable
    assert "Query" not in plain_fields(schema._schema)  # resolvers only


async def test_a_fields_arguments_are_coerced_once_per_node_and_execution(monkeypatch):
    coerced: list[str] = []
    coerce = compat.get_argument_values

    def counting(field: Any, node: Any, *args: Any) -> Any:
        coerced.append(node.name.value)
        return coerce(field, node, *args)

    monkeypatch.setattr(compat, "get_argument_values", counting)
    document = """query($n: Int!) { items { repeat(times: $n) twice: repeat(times: 2)
                                          tally(counts: [1, 2]) } }"""
    schema = _schema(PlainFieldExecutionContext)

    two = await schema.execute(document, variable_values={"n": 2})
    three = await schema.execute(document, variable_values={"n": 3})

    assert two.errors is None and three.errors is None
    assert sorted(coerced) == sorted(["repeat", "repeat", "tally"] * 2)  # not once per item
    assert [item["repeat"] for item in two.data["items"]] == [f"item{i}" * 2 for i in range(5)]
    assert [item["repeat"] for item in three.data["items"]] == [f"item{i}" * 3 for i in range(5)]
    assert {item["twice"] for item in three.data["items"]} >= {"item0item0"}
    assert {item["tally"] for item in two.data["items"]} == {3}


async def test_field_middleware_still_sees_every_field():
    seen: list[str] = []

    class Watch(SchemaExtension):
        def resolve(self, _next: Any, root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append(info.field_name)
            return _next(root, info, *args, **kwargs)

    full, short = await _both("{ items { name count repeat(times: 2) } }", extensions=[Watch])
    assert short.data == full.data
    assert seen.count("name") == 2 * 5  # five items, once per schema
    assert seen.count("repeat") == 2 * 5


async def test_plain_fields_skip_the_resolve_info_and_resolvers_keep_it():
    built: list[str] = []

    class Recording(PlainFieldExecutionContext):
        def build_resolve_info(self, field_def: Any, field_nodes: Any, *args: Any) -> Any:
            built.append(field_nodes[0].name.value)
            return super().build_resolve_info(field_def, field_nodes, *args)

    result = await _schema(Recording).execute("{ items { name count shout owner { name } } }")
    assert result.errors is None
    assert built == ["items"] + ["shout"] * 5
    built.clear()
    result = await _schema(Recording).execute("{ items { name count tags friends { name } } }")
    assert result.errors is None
    assert built == ["items"]
    built.clear()
    result = await _schema(Recording).execute(
        "{ items { __typename name friends { __typename name } } }"
    )
    assert result.errors is None
    assert result.data["items"][0]["__typename"] == "Item"
    assert result.data["items"][2]["friends"][0]["__typename"] == "Owner"
    assert built == ["items"]


async def test_selections_that_leave_the_short_path_are_counted():
    observation = Observation()
    token = observation_var.set(observation)
    try:
        clean = await _schema(PlainFieldExecutionContext).execute("{ items { name count } }")
        counted_clean = observation.plain_path_fallbacks
        broken = await _schema(PlainFieldExecutionContext).execute("{ broken { required } }")
    finally:
        observation_var.reset(token)

    assert clean.errors is None and counted_clean == 0
    assert broken.errors and observation.plain_path_fallbacks > 0


async def test_an_executor_is_freed_without_the_cycle_collector():
    """Given an operation with resolvers and plain fields, when it has run, then its
    executor (and so all it reaches: the request's context and unit of work) is
    gone by reference counting alone, leaving the cycle collector nothing of it."""
    schema = _schema(PlainFieldExecutionContext)
    await schema.execute("{ items { name shout } }")  # caches built outside the count
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        result = await schema.execute("{ items { name shout owner { name } } }")
        assert result.errors is None
        del result
        gc.collect()
        left = [found for found in gc.garbage if isinstance(found, PlainFieldExecutionContext)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == []
