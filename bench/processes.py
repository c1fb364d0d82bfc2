"""Servers under load as child processes: start one, wait until it answers, stop it.

Every server the benchmark drives (Concierge and the naive baseline under
uvicorn, PostGraphile under node) runs as its own process, so wrk measures
the HTTP path and /proc can tell its CPU and memory apart from the rest.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

STARTUP_SECONDS = 30


@dataclass(frozen=True)
class Served:
    """A running server: where it answers GraphQL and which process does the work."""

    name: str
    url: str
    pid: int


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def answers_get(url: str) -> Callable[[], bool]:
    """A readiness probe: ``url`` answers a GET with 200 (a health endpoint)."""

    def probe() -> bool:
        return httpx.get(url, timeout=1).status_code == 200

    return probe


def answers_graphql(url: str) -> Callable[[], bool]:
    """A readiness probe for servers without a health endpoint: the GraphQL
    endpoint itself answers ``{ __typename }``."""

    def probe() -> bool:
        response = httpx.post(url, json={"query": "{ __typename }"}, timeout=1)
        return response.status_code == 200 and "errors" not in response.json()

    return probe


@contextlib.contextmanager
def running(
    name: str,
    command: list[str],
    *,
    url: str,
    ready: Callable[[], bool],
    env: Mapping[str, str],
    cwd: Path,
    quiet: bool = False,
    startup_seconds: float = STARTUP_SECONDS,
) -> Iterator[Served]:
    """Run ``command`` until the block ends; yields once ``ready()`` holds."""
    stdout = subprocess.DEVNULL if quiet else None
    server = subprocess.Popen(command, cwd=cwd, env=dict(env), stdout=stdout)
    try:
        wait_until_up(name, ready, server, seconds=startup_seconds)
        yield Served(name, url, server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_until_up(
    name: str,
    ready: Callable[[], bool],
    server: subprocess.Popen[bytes],
    *,
    seconds: float = STARTUP_SECONDS,
) -> None:
    """Poll ``ready`` until it holds; raises RuntimeError if the server exits or
    stays silent for ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"{name} exited with {server.returncode}")
        with contextlib.suppress(httpx.HTTPError, ValueError):
            if ready():
                return
        time.sleep(0.1)
    raise RuntimeError(f"{name} did not answer within {seconds:g} s")
