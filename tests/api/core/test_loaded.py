"""Loaded fields (gql/api/core/loaded.py) give, on the execution context's short
path, what their resolvers give on graphql-core's full path: the same data, the
same errors at the same paths; and a list's items cost one batch per loader."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
import strawberry
from aiodataloader import DataLoader
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from gql.api.core.execution import PlainFieldExecutionContext, loaded_fields
from gql.api.core.loaded import LoadedField, loaded

MISSING = 13  # an author whose loader answers with an error
UNCONVERTIBLE = 7  # an author whose name the field refuses to convert
NAMELESS = 5  # an author the field converts to one without the name its type requires


@strawberry.type
class Author:
    name: str


@strawberry.type
class Book:
    title: str
    author_id: strawberry.Private[int | None]

    @strawberry.field
    @loaded("authors", key="author_id")
    def author(self, name: str | None) -> Author | None:
        if name == f"author{UNCONVERTIBLE}":
            raise ValueError(f"cannot convert {name}")
        if name == f"author{NAMELESS}":
            return Author(name=None)  # type: ignore[arg-type]
        return Author(name=name) if name is not None else None

    @strawberry.field
    @loaded("ratings", key="author_id")
    def rating(self, stars: int | None) -> int:  # non-null: a failure nulls the book
        return stars if stars is not None else 0


@strawberry.type
class Shelf:  # reaches its book through a plain object field, as an edge its node
    book: Book


def _book(index: int, author_id: int | None) -> Book:
    return Book(title=f"book{index}", author_id=author_id)


AUTHORS = [1, 2, 1, None, 3, 2]


@strawberry.type
class Query:
    @strawberry.field
    def books(self) -> list[Book | None]:
        return [_book(index, author) for index, author in enumerate(AUTHORS)]

    @strawberry.field
    def shelves(self) -> list[Shelf | None]:
        return [Shelf(book=_book(index, author)) for index, author in enumerate(AUTHORS)]

    @strawberry.field
    def broken(self) -> list[Book | None]:
        return [
            _book(0, 1),
            _book(1, MISSING),
            _book(2, UNCONVERTIBLE),
            _book(3, 2),
            _book(4, NAMELESS),
        ]

    @strawberry.field
    def book(self) -> Book:
        return _book(0, 2)


@dataclass
class Loaders:
    """What the request context's loaders are to loaded fields, with the batches seen."""

    batches: list[tuple[str, list[int]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.authors = DataLoader(self._authors)
        self.ratings = DataLoader(self._ratings)

    async def _authors(self, keys: Sequence[int]) -> list[Any]:
        self.batches.append(("authors", list(keys)))
        return [ValueError(f"no author {k}") if k == MISSING else f"author{k}" for k in keys]

    async def _ratings(self, keys: Sequence[int]) -> list[Any]:
        self.batches.append(("ratings", list(keys)))
        return [ValueError(f"no rating {k}") if k == MISSING else k for k in keys]


@dataclass
class Context:
    loaders: Loaders


def _schema(context_class: type[Any]) -> strawberry.Schema:
    return strawberry.Schema(query=Query, execution_context_class=context_class)


async def _run(context_class: type[Any], document: str) -> tuple[Any, Loaders]:
    loaders = Loaders()
    result = await _schema(context_class).execute(document, context_value=Context(loaders))
    return result, loaders


async def _both(document: str) -> tuple[Any, Any, Loaders]:
    full, _ = await _run(StrawberryGraphQLCoreExecutionContext, document)
    short, loaders = await _run(PlainFieldExecutionContext, document)
    return full, short, loaders


def _errors(result: Any) -> list[tuple[str, tuple[Any, ...]]]:
    return sorted((error.message, tuple(error.path or ())) for error in result.errors or [])


def test_resolvers_made_by_loaded_are_found_as_loaded_fields():
    fields = loaded_fields(_schema(PlainFieldExecutionContext)._schema)
    assert set(fields) == {"Book"}
    assert set(fields["Book"]) == {"author", "rating"}


@pytest.mark.parametrize(
    "document",
    [
        "{ books { title author { name } rating } }",
        "{ books { author { name } again: author { name } title } }",
        "{ shelves { book { title author { name } rating } } }",
        "{ book { author { name } rating } }",  # not in a list: from the resolver
    ],
)
async def test_loaded_fields_give_the_same_data_as_their_resolvers(document: str):
    full, short, _ = await _both(document)
    assert full.errors is None and short.errors is None
    assert short.data == full.data
    assert list(short.data) == list(full.data)


async def test_a_lists_loaded_fields_cost_one_batch_per_loader_and_no_resolver_call(
    monkeypatch: pytest.MonkeyPatch,
):
    """Given a list whose items select two loaded fields, when it is executed, then
    each loader is asked once for all the items' keys and no resolver runs."""
    calls: list[object] = []
    resolve = LoadedField.resolve

    async def counted(self: LoadedField, source: Any, loaders: Any) -> Any:
        calls.append(source)
        return await resolve(self, source, loaders)

    monkeypatch.setattr(LoadedField, "resolve", counted)
    result, loaders = await _run(
        PlainFieldExecutionContext, "{ shelves { book { title author { name } rating } } }"
    )
    assert result.errors is None
    assert sorted(loaders.batches) == [("authors", [1, 2, 3]), ("ratings", [1, 2, 3])]
    assert calls == []
    # The book without an author is null without a key to load.
    assert result.data["shelves"][3]["book"]["author"] is None


@pytest.mark.parametrize(
    "document",
    [
        "{ broken { title author { name } } }",  # a loader's error, a conversion's error
        "{ broken { title rating } }",  # an error in a non-null field nulls its book
        "{ broken { title author { name } rating } }",
        "{ broken { title author { __typename name } } }",
    ],
)
async def test_failures_give_the_same_errors_at_the_same_paths(document: str):
    full, short, _ = await _both(document)
    assert full.errors, "the case must fail on the full path too"
    assert _errors(short) == _errors(full)
    assert short.data == full.data


async def test_a_failing_batch_fails_each_field_as_its_resolver_would():
    """Given a loader whose batch raises, then every item's field reports it."""

    class Failing(Loaders):
        async def _authors(self, keys: Sequence[int]) -> list[Any]:
            raise RuntimeError("the database went away")

    document = "{ books { title author { name } } }"
    results = []
    for context_class in (StrawberryGraphQLCoreExecutionContext, PlainFieldExecutionContext):
        schema = _schema(context_class)
        results.append(await schema.execute(document, context_value=Context(Failing())))
    full, short = results
    assert len(_errors(full)) == 5  # every book with an author
    assert _errors(short) == _errors(full)
    assert short.data == full.data


async def test_an_answers_plain_selection_is_completed_without_resolve_info():
    """Given a list whose items' loaded field answers objects selected by plain
    fields, then no item's field builds a resolve info, and the data is the full
    path's."""
    built: list[str] = []

    class Recording(PlainFieldExecutionContext):
        def build_resolve_info(self, field_def: Any, field_nodes: Any, *args: Any) -> Any:
            built.append(field_nodes[0].name.value)
            return super().build_resolve_info(field_def, field_nodes, *args)

    document = "{ books { title author { __typename name } } }"
    full, _ = await _run(StrawberryGraphQLCoreExecutionContext, document)
    short, _ = await _run(Recording, document)
    assert short.errors is None
    assert short.data == full.data
    assert short.data["books"][1]["author"] == {"__typename": "Author", "name": "author2"}
    assert built == ["books"]
