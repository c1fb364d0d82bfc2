"""GraphQL over WebSocket at ``/graphql``: the ``graphql-transport-ws`` protocol
(what the ``graphql-ws`` client, Apollo and urql speak), by Strawberry's view.

What Concierge adds around it:

- authentication in ``connection_init``: ``{"Authorization": "Bearer <token>"}``
  (or ``authorization``), read by the same code as the HTTP header. No token, or
  one that is malformed, tampered with or expired, closes the socket with
  ``4401 Unauthorized``; a valid token of a user who is no longer active with
  ``4403 Forbidden``;
- each operation gets a context of its own
  (:class:`gql.api.core.extensions.PerOperationContext`), and
  each subscription event a fresh one (unit of work, loaders, the viewer's
  scope), so events resolve exactly as queries do;
- limits: ``MAX_SUBSCRIPTIONS_PER_CONNECTION``, ``WS_INIT_TIMEOUT_S`` (then
  ``4408``), and the protocol's own ``ping`` sent every ``WS_PING_INTERVAL_S``:
  a client that does not ``pong`` within ``WS_PING_TIMEOUT_S`` is closed
  (``4408``), so a vanished client does not keep its subscriptions; a connection
  that runs no operation for ``WS_IDLE_TIMEOUT_S`` is closed normally (``1000``),
  so idle sockets do not pile up (clients open one again when they subscribe).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

import orjson
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema import BaseSchema
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    PongMessage,
)
from strawberry.types.unset import UNSET, UnsetType

from gql.api.core.context import Context, Services, build_context
from gql.auth.tokens import InvalidToken, bearer_token

logger = logging.getLogger(__name__)

UNAUTHORIZED = 4401
PING_TIMEOUT = 4408
NORMAL_CLOSURE = 1000


class Unauthenticated(Exception):
    """``connection_init`` carried no valid bearer token."""


class TransportWS(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's protocol handler, closing with ``4401`` for missing or bad
    credentials (Strawberry's own rejection is ``4403``), and pinging the client."""

    ping_interval_s: float = 0.0
    ping_timeout_s: float = 20.0
    idle_timeout_s: float = 0.0

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        try:
            await super().handle_connection_init(message)
        except Unauthenticated:
            await self.websocket.close(code=UNAUTHORIZED, reason="Unauthorized")
            return
        if self.connection_acknowledged and self.ping_interval_s > 0:
            self._pinger = asyncio.create_task(self._keep_alive())
        if self.connection_acknowledged and self.idle_timeout_s > 0:
            self._idler = asyncio.create_task(self._close_when_idle())

    async def handle_pong(self, message: PongMessage) -> None:
        ponged: asyncio.Event | None = getattr(self, "_ponged", None)
        if ponged is not None:
            ponged.set()

    async def _keep_alive(self) -> None:
        self._ponged = asyncio.Event()
        try:
            while True:
                await asyncio.sleep(self.ping_interval_s)
                self._ponged.clear()
                await self.send_message({"type": "ping"})
                try:
                    async with asyncio.timeout(self.ping_timeout_s):
                        await self._ponged.wait()
                except TimeoutError:
                    await self.websocket.close(code=PING_TIMEOUT, reason="No pong in time")
                    return
        except Exception:
            return

    async def _close_when_idle(self) -> None:
        """Close the connection once no operation has run on it for ``idle_timeout_s``
        (checked a few times per timeout)."""
        loop = asyncio.get_running_loop()
        idle_since = loop.time()
        try:
            while True:
                await asyncio.sleep(self.idle_timeout_s / 4)
                if self.operations:
                    idle_since = loop.time()
                elif loop.time() - idle_since >= self.idle_timeout_s:
                    await self.websocket.close(code=NORMAL_CLOSURE, reason="Idle")
                    return
        except Exception:
            return

    async def shutdown(self) -> None:
        for name in ("_pinger", "_idler"):
            task: asyncio.Task[None] | None = getattr(self, name, None)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await super().shutdown()


class SubscriptionEndpoint(GraphQL[Context, None]):
    """The WebSocket side of ``/graphql`` (HTTP is :class:`GraphQLEndpoint`'s)."""

    def __init__(self, services: Services, schema: BaseSchema) -> None:
        settings = services.settings
        super().__init__(
            schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_s),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
            allowed_origins=settings.cors_origins,
        )
        self.services = services
        handler = type(
            "ConfiguredTransportWS",
            (TransportWS,),
            {
                "ping_interval_s": settings.ws_ping_interval_s,
                "ping_timeout_s": settings.ws_ping_timeout_s,
                "idle_timeout_s": settings.ws_idle_timeout_s,
            },
        )
        self.graphql_transport_ws_handler_class = handler

    def encode_json(self, data: object) -> str:
        # orjson, as over HTTP: compiled answers are pre-built JSON (orjson.Fragment).
        # Text, not bytes: graphql-transport-ws messages are text frames.
        return orjson.dumps(data).decode()

    async def get_context(self, request: Any, response: Any) -> Context:
        context = build_context(self.services, request)
        context.is_connection = True
        return context

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Admit a connection whose ``connection_init`` names an active user."""
        token = bearer_token(context.authorization)
        if token is None:
            raise Unauthenticated()
        try:
            user_id = self.services.tokens.read(token)
        except InvalidToken as error:
            raise Unauthenticated() from error
        try:
            viewer = await self.services.viewers.find(context.uow, user_id)
        finally:
            await context.close()  # the connection holds no database connection
        if viewer is None:
            raise ConnectionRejectionError()
        accepted: UnsetType = UNSET
        return accepted
