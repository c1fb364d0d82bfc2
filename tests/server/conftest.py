"""A live Concierge served by uvicorn in a subprocess, per backend, for tests that
must cross a real socket (the GraphQL-over-HTTP audit, concurrent clients)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live import free_port, serving

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a uvicorn worker serving the app on this backend's test database."""
    port = free_port()
    log = tmp_path_factory.mktemp("live-server") / "uvicorn.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CONCIERGE_ENV": "test",
        "SECRET_KEY": "live-server-test-key",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "gql.server.app:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with serving(command, env, port, log, ROOT) as url:
        yield url
