"""What the client tests share: a Node project installed from its lock, a live
Concierge for it to talk to, a member with personas, the cache files
`concierge export-schema` writes, and the run of a client script whose last
line of output is a JSON report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.live import free_port, serving

ROOT = Path(__file__).resolve().parents[2]
SIGN_UP = (
    """mutation($input: SignUpInput!) { signUp(input: $input) { token errors { message } } }"""
)
CREATE = """mutation($input: CreatePersonaInput!) {
  createPersona(input: $input) { errors { message } } }"""


def installed_node(project: Path, package: str) -> Path:
    """Node, with ``project``'s packages installed from its lock (``npm ci``) unless
    ``node_modules/<package>`` is there already; fails the test without Node or npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("Node.js and npm are required for the client tests; run `make test`")
    if not (project / "node_modules" / package).exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=project, check=True, capture_output=True
        )
    return Path(node)


@contextmanager
def live_concierge(database_url: str, log_dir: Path, **settings: str) -> Iterator[str]:
    """The GraphQL URL of a uvicorn worker on ``database_url``, with ``settings`` as
    extra environment variables."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "CONCIERGE_ENV": "test", **settings}
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "gql.server.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    with serving(command, env, port, log_dir / "uvicorn.log", ROOT) as base:
        yield f"{base}/graphql"


def member_with_personas(url: str, username: str, count: int) -> str:
    """Signs up a member with ``count`` personas named P0, P1, …; returns their token."""
    user = {"email": f"{username}@example.com", "username": username, "password": "correct-horse-1"}
    signed_up = httpx.post(url, json={"query": SIGN_UP, "variables": {"input": user}})
    token = signed_up.json()["data"]["signUp"]["token"]
    for index in range(count):
        created = httpx.post(
            url,
            json={
                "query": CREATE,
                "variables": {"input": {"name": f"P{index}", "systemPrompt": "Hi"}},
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert created.json()["data"]["createPersona"]["errors"] == [], created.text
    return str(token)


def export_schema(directory: Path) -> Path:
    """Runs ``concierge export-schema`` as the README's client set-up does, into
    ``directory``: ``schema.graphql``, ``possible-types.json`` and
    ``urql-keys.json``; returns ``directory``."""
    subprocess.run(
        [sys.executable, "-m", "gql.cli", "export-schema",
         "--output", str(directory / "schema.graphql"),
         "--possible-types", str(directory / "possible-types.json"),
         "--urql-keys", str(directory / "urql-keys.json")],
        check=True, capture_output=True, cwd=ROOT,
    )  # fmt: skip
    return directory


def run_client(node: Path, project: Path, *args: str | Path) -> tuple[int, dict[str, Any]]:
    """Runs ``node ARGS`` in ``project``; returns its exit code and the JSON report
    it printed last."""
    completed = subprocess.run(
        [str(node), *map(str, args)], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert completed.stdout, completed.stderr
    return completed.returncode, json.loads(completed.stdout.splitlines()[-1])
