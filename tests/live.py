"""Starting a real server process for tests that must cross a socket."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bench.processes import answers_get, free_port, wait_until_up

__all__ = ["free_port", "serving"]


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
        try:
            wait_until_up(command[0], answers_get(f"{base}/healthz"), server)
        except RuntimeError as error:
            pytest.fail(f"{error}:\n{log_path.read_text()}")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=15)
