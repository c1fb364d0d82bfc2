"""A TCP proxy in front of PostgreSQL that a test can stall and cut.

- ``stall()``: connections stay open and new ones are accepted, but not a byte
  passes either way: a database that is reachable and answers nothing.
- ``cut()``: every connection is closed and new ones are refused: a database
  that went away.
- ``resume()``: back to forwarding, for connections made from then on (and,
  after a stall, for the stalled ones too).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass
class StallableProxy:
    target_host: str
    target_port: int
    port: int = 0
    _server: asyncio.Server | None = None
    _flowing: asyncio.Event = field(default_factory=asyncio.Event)
    _refusing: bool = False
    _links: set[asyncio.Task[None]] = field(default_factory=set)
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def start(self) -> StallableProxy:
        self._flowing.set()
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stall(self) -> None:
        self._flowing.clear()

    def resume(self) -> None:
        self._refusing = False
        self._flowing.set()

    async def cut(self) -> None:
        self._refusing = True
        self._flowing.set()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        for link in list(self._links):
            link.cancel()

    async def close(self) -> None:
        await self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _accept(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        if self._refusing:
            client_out.transport.abort()
            return
        try:
            server_in, server_out = await asyncio.open_connection(
                self.target_host, self.target_port
            )
        except OSError:
            client_out.transport.abort()
            return
        self._writers |= {client_out, server_out}
        links = [
            asyncio.ensure_future(self._pipe(client_in, server_out)),
            asyncio.ensure_future(self._pipe(server_in, client_out)),
        ]
        self._links.update(links)
        try:
            await asyncio.wait(links, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for link in links:
                link.cancel()
                self._links.discard(link)
            for writer in (client_out, server_out):
                self._writers.discard(writer)
                writer.transport.abort()

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            while True:
                data = await source.read(65536)
                if not data:
                    return
                await self._flowing.wait()
                if self._refusing:
                    return
                sink.write(data)
                await sink.drain()
