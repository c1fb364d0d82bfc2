"""What every subscription shares: from the process's event bus to payloads.

A subscription resolver calls :func:`subscribe` with what it accepts and how
an event becomes payloads. The viewer is required, the bus is subscribed under
the viewer's scope (so another tenant's event never reaches it), the optional
``check`` runs (refusals arrive as the protocol's ``error`` message, before any
event), and then each event is read through a fresh context of its own: a new
unit of work and loaders under the same scope, closed once the event is sent
(see :meth:`gql.api.core.execution.PlainFieldExecutionContext.build_per_event_executor`,
which executes the event's selection with that context). Rows the viewer
cannot see (any more) give no payload.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, TypeVar

from graphql import GraphQLError

from gql.api.core.context import Context, Info
from gql.api.core.errors import DATABASE_UNAVAILABLE
from persistence.events import (
    Event,
    EventsMissed,
    EventsUnavailable,
    Subscriber,
    SubscriberTooSlow,
)

P = TypeVar("P")

SUBSCRIBER_TOO_SLOW = "SUBSCRIBER_TOO_SLOW"
EVENTS_MISSED = "EVENTS_MISSED"


def event_context_of(payload: Any) -> Context | None:
    """The context an event payload was read with, if it is one."""
    context = getattr(payload, "event_context", None)
    return context if isinstance(context, Context) else None


async def subscribe(
    info: Info,
    accepts: Callable[[Event], bool],
    payloads: Callable[[Context, Event], Awaitable[Sequence[P]]],
    check: Callable[[Context], Awaitable[None]] | None = None,
) -> AsyncIterator[P]:
    """The payloads of the events the viewer may see and ``accepts`` takes."""
    context = info.context
    context.require_viewer()
    stack = contextlib.AsyncExitStack()
    try:
        subscriber = await stack.enter_async_context(
            context.services.events.subscribe(
                context.uow.scope, accepts, context.settings.subscription_queue_size
            )
        )
        if check is not None:
            await check(context)
    except EventsUnavailable as error:
        await stack.aclose()
        raise GraphQLError(
            "Live events are unavailable: the database cannot be listened to; retry.",
            extensions={"code": DATABASE_UNAVAILABLE, "retryable": True},
        ) from error
    except BaseException:
        await stack.aclose()
        raise
    finally:
        # The subscription holds no database connection while it waits.
        await context.close()
    return _deliver(stack, subscriber, context, payloads)


async def _deliver(
    stack: contextlib.AsyncExitStack,
    subscriber: Subscriber,
    context: Context,
    payloads: Callable[[Context, Event], Awaitable[Sequence[P]]],
) -> AsyncGenerator[P, None]:
    async with stack:
        try:
            async for event in subscriber:
                event_context = context.for_event()
                try:
                    for payload in await payloads(event_context, event):
                        yield payload
                finally:
                    # Shielded: a client that leaves now cancels us mid-close, and the
                    # session must still hand its connection back to the pool.
                    await asyncio.shield(event_context.close())
        except SubscriberTooSlow as error:
            raise GraphQLError(
                f"This subscription fell too far behind and was ended ({error}); "
                "subscribe again, and read what was missed with a query.",
                extensions={"code": SUBSCRIBER_TOO_SLOW},
            ) from error
        except EventsMissed as error:
            raise GraphQLError(
                "The server lost its connection to the database's events for a moment, "
                "so events may have been missed; subscribe again, and read what was "
                "missed with a query.",
                extensions={"code": EVENTS_MISSED, "retryable": True},
            ) from error
