"""Starting a real server process for tests that must cross a socket."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(
    command: list[str], env: dict[str, str], port: int, log_path: Path, cwd: Path
) -> Iterator[str]:
    """Run ``command`` (a server listening on ``port``) until the block ends; yields its
    base URL once ``/healthz`` answers. A server that exits or stays silent for 30 s
    fails the test with its log."""
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base, server, log_path)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=15)


def _wait_until_serving(base: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server exited early:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"the server did not answer within 30 s:\n{log_path.read_text()}")
