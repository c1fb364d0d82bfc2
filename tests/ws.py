"""A graphql-transport-ws client for tests (httpx-ws), in process or over a socket."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
from httpx_ws import AsyncWebSocketSession, WebSocketDisconnect, aconnect_ws

PROTOCOL = "graphql-transport-ws"


@dataclass
class Socket:
    """One WebSocket speaking graphql-transport-ws."""

    ws: AsyncWebSocketSession

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_json(message)

    async def init(self, token: str | None = None, **payload: Any) -> dict[str, Any]:
        """Send ``connection_init`` (with ``Authorization: Bearer token``) and return the answer."""
        if token is not None:
            payload.setdefault("Authorization", f"Bearer {token}")
        await self.send({"type": "connection_init", "payload": payload})
        return await self.receive()

    async def subscribe(self, id: str, query: str, variables: dict[str, Any] | None = None) -> None:
        await self.send(
            {"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )

    async def receive(self, timeout: float = 5.0) -> dict[str, Any]:  # noqa: ASYNC109
        """The next message that is not a server ``ping`` (answered with ``pong``)."""
        while True:
            message: dict[str, Any] = await self.ws.receive_json(timeout=timeout)
            if message.get("type") != "ping":
                return message
            await self.send({"type": "pong"})

    async def closed(self, timeout: float = 5.0) -> tuple[int, str | None]:  # noqa: ASYNC109
        """The close code and reason the server ends the connection with."""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    await self.ws.receive_json()
        except WebSocketDisconnect as closed:
            return closed.code, closed.reason
        raise AssertionError("unreachable")

    async def nothing_within(self, seconds: float) -> None:
        """Assert that no message arrives for ``seconds``."""
        with contextlib.suppress(TimeoutError, asyncio.TimeoutError):
            message = await self.receive(timeout=seconds)
            raise AssertionError(f"expected nothing, got {message}")


@contextlib.asynccontextmanager
async def connect(client: httpx.AsyncClient, url: str = "/graphql") -> AsyncIterator[Socket]:
    async with aconnect_ws(
        url, client, subprotocols=[PROTOCOL], keepalive_ping_interval_seconds=None
    ) as ws:
        yield Socket(ws)
