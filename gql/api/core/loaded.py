"""Resolver fields whose value is one loader's answer for one key of their object
(a conversation's persona, its newest message): declared as such, so that the
execution context can load a whole list's keys at once and complete each item's
field synchronously from the loader's cache.

Written as plain async resolvers, every such field of every item of a list cost
graphql-core a task and Strawberry an ``Info``, an argument pass and an
extension chain, for a value the loader had batched anyway: an inbox page of 50
conversations with four of them made about 250 tasks and futures, most of the
loader path's 14 ms of CPU per request. A field declared with :func:`loaded`
keeps exactly that resolver (graphql-core's full path still calls it), and
tells gql/api/core/execution.py how to do without it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, TypeVar

import strawberry
from aiodataloader import DataLoader

Source = TypeVar("Source")
Value = TypeVar("Value")

# The attribute of a resolver function that holds its declaration.
DECLARATION = "__concierge_loaded__"


@dataclass(frozen=True)
class LoadedField:
    """How a field's value is loaded: the request's loader, the key of the object
    (``None``: nothing to load, the loaded value is ``None``), and the field's
    value from the object and what was loaded."""

    loader: Callable[[Any], DataLoader[Any, Any]]  # of the request's Loaders
    key: Callable[[Any], Any]
    value: Callable[[Any, Any], Any]

    async def resolve(self, source: Any, loaders: Any) -> Any:
        """What the field's resolver returns: the loaded value, converted."""
        key = self.key(source)
        loaded = None if key is None else await self.loader(loaders).load(key)
        return self.value(source, loaded)


def loaded(
    loader: str, key: str
) -> Callable[
    [Callable[[Source, Any], Value]],
    Callable[[Source, strawberry.Info[Any, Any]], Coroutine[Any, Any, Value]],
]:
    """Make a field's resolver from a conversion of what a loader loaded.

    ``loader`` names the request's loader (a dotted path on
    gql/api/core/loaders.py's ``Loaders``: ``"last_message_by_conversation"``),
    ``key`` the object's attribute that is its key. The decorated method turns the
    loaded value (``None`` when the key is ``None``) into the field's value; its
    return annotation is the field's type::

        @strawberry.field(description="The newest message, if any.")
        @loaded("last_message_by_conversation", key="pk")
        def last_message(self, row: MessageRecord | None) -> Message | None:
            return Message.from_row(row) if row else None
    """
    loader_of = attrgetter(loader)
    key_of = attrgetter(key)

    def declare(
        convert: Callable[[Source, Any], Value],
    ) -> Callable[[Source, strawberry.Info[Any, Any]], Coroutine[Any, Any, Value]]:
        declaration = LoadedField(loader_of, key_of, convert)

        async def resolve(self: Source, info: strawberry.Info[Any, Any]) -> Value:
            value: Value = await declaration.resolve(self, info.context.loaders)
            return value

        # What Strawberry reads of a resolver: its name, module (the namespace its
        # annotations are evaluated in), signature and annotations.
        own = inspect.signature(convert)
        self_parameter = next(iter(own.parameters.values()))
        info = inspect.Parameter(
            "info", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=strawberry.Info
        )
        resolve.__name__ = convert.__name__
        resolve.__qualname__ = convert.__qualname__
        resolve.__module__ = convert.__module__
        resolve.__doc__ = convert.__doc__
        resolve.__signature__ = own.replace(  # type: ignore[attr-defined]
            parameters=[self_parameter, info]
        )
        resolve.__annotations__ = {"info": strawberry.Info, "return": own.return_annotation}
        setattr(resolve, DECLARATION, declaration)
        return resolve

    return declare


def declaration_of(resolver: Callable[..., Any] | None) -> LoadedField | None:
    """The declaration of a resolver made by :func:`loaded`, if it is one."""
    found = getattr(resolver, DECLARATION, None)
    return found if isinstance(found, LoadedField) else None
