"""SQL statements per request of a server we cannot instrument from Python:
a TCP proxy in front of PostgreSQL that reads the frontend side of the wire
protocol and counts the messages that run a statement.

A statement runs on a simple Query ('Q') or on an Execute ('E') of a portal
bound ('B') to a parsed ('P') statement, so the proxy keeps, per connection,
the text of each prepared statement and portal. Transaction bookkeeping
(BEGIN, COMMIT, ...) is left out, as the in-process count leaves it out.
Everything is forwarded unchanged; the proxy is only in the path while
statements are counted, never while a server is timed.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from io import BufferedIOBase

from bench.statements import is_bookkeeping

# Untyped requests a client may send before its startup message.
_SSL_REQUEST, _GSSENC_REQUEST = 80877103, 80877104


class StatementLog:
    """The statements seen so far, in order, shared by every proxied connection."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._statements: list[str] = []

    def add(self, statement: str) -> None:
        if not is_bookkeeping(statement):
            with self._lock:
                self._statements.append(statement)

    def take(self) -> list[str]:
        """The statements logged since the last call."""
        with self._lock:
            taken, self._statements = self._statements, []
        return taken


def _read_exact(stream: BufferedIOBase, size: int) -> bytes:
    data = stream.read(size)
    if data is None or len(data) < size:
        raise ConnectionError("connection closed mid-message")
    return data


def _cstrings(payload: bytes, count: int) -> list[str]:
    """The first ``count`` NUL-terminated strings of a message's payload."""
    return [part.decode() for part in payload.split(b"\0", count)[:count]]


class _Connection(socketserver.StreamRequestHandler):
    """One client connection: relays both ways, reading the client's messages."""

    server: CountingProxy

    def handle(self) -> None:
        upstream = socket.create_connection(self.server.upstream)
        back = threading.Thread(target=self._relay_back, args=(upstream,), daemon=True)
        back.start()
        statements: dict[str, str] = {}  # prepared statement name -> text
        portals: dict[str, str] = {}  # portal name -> text
        with contextlib.suppress(ConnectionError, OSError):
            self._startup(upstream)
            while True:
                kind = _read_exact(self.rfile, 1)
                length = _read_exact(self.rfile, 4)
                payload = _read_exact(self.rfile, struct.unpack("!i", length)[0] - 4)
                self._observe(kind, payload, statements, portals)
                upstream.sendall(kind + length + payload)
        upstream.close()

    def _startup(self, upstream: socket.socket) -> None:
        """Relay the untyped messages that open a session (the SSL or GSS request
        the server declines, then the startup message)."""
        while True:
            length = _read_exact(self.rfile, 4)
            payload = _read_exact(self.rfile, struct.unpack("!i", length)[0] - 4)
            upstream.sendall(length + payload)
            if struct.unpack("!i", payload[:4])[0] not in (_SSL_REQUEST, _GSSENC_REQUEST):
                return

    def _observe(
        self, kind: bytes, payload: bytes, statements: dict[str, str], portals: dict[str, str]
    ) -> None:
        log = self.server.log
        if kind == b"Q":
            log.add(_cstrings(payload, 1)[0])
        elif kind == b"P":
            name, text = _cstrings(payload, 2)
            statements[name] = text
        elif kind == b"B":
            portal, name = _cstrings(payload, 2)
            portals[portal] = statements.get(name, "")
        elif kind == b"E":
            log.add(portals.get(_cstrings(payload, 1)[0], ""))

    def _relay_back(self, upstream: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while chunk := upstream.recv(65536):
                self.connection.sendall(chunk)
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


class CountingProxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream: tuple[str, int]) -> None:
        super().__init__(("127.0.0.1", 0), _Connection)
        self.upstream = upstream
        self.log = StatementLog()

    @property
    def port(self) -> int:
        port: int = self.server_address[1]
        return port


@contextlib.contextmanager
def counting_proxy(host: str, port: int) -> Iterator[CountingProxy]:
    """A proxy to PostgreSQL at ``host``:``port``, serving on loopback in threads."""
    proxy = CountingProxy((host, port))
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.shutdown()
        proxy.server_close()
