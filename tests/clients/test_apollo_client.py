"""Apollo Client 4, configured as the README says (cache policies, possibleTypes
from `concierge export-schema`, persisted queries over batching), against a live
server on each backend: pagination over several pages, mutations updating the
normalised cache, and not one cache warning."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.live import free_port, serving

PROJECT = Path(__file__).parent / "apollo"
ROOT = Path(__file__).resolve().parents[2]
SIGN_UP = (
    """mutation($input: SignUpInput!) { signUp(input: $input) { token errors { message } } }"""
)
CREATE = """mutation($input: CreatePersonaInput!) {
  createPersona(input: $input) { errors { message } } }"""


@pytest.fixture(scope="session")
def node() -> Path:
    """Node with the project's packages installed from its lock (npm ci, once)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("Node.js and npm are required for the client tests; run `make test`")
    if not (PROJECT / "node_modules" / "@apollo" / "client").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=PROJECT, check=True, capture_output=True
        )
    return Path(node)


@pytest.fixture
def live(database_url: str, db, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "CONCIERGE_ENV": "test"}
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "gql.server.app:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    with serving(command, env, port, tmp_path / "uvicorn.log", ROOT) as base:
        yield f"{base}/graphql"


def member_with_personas(url: str, count: int) -> str:
    user = {"email": "apollo@example.com", "username": "apollo", "password": "correct-horse-1"}
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


def run_client(node: Path, live: str, tmp_path: Path, *variant: str) -> tuple[int, dict]:
    token = member_with_personas(live, 5)
    possible_types = tmp_path / "possibleTypes.json"
    subprocess.run(
        [sys.executable, "-m", "gql.cli", "export-schema", "--output", str(tmp_path / "s.graphql"),
         "--possible-types", str(possible_types)],
        check=True, capture_output=True, cwd=ROOT,
    )  # fmt: skip
    completed = subprocess.run(
        [str(node), "--conditions=development", "client.mjs", live, token, str(possible_types),
         *variant],
        cwd=PROJECT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert completed.stdout, completed.stderr
    return completed.returncode, json.loads(completed.stdout.splitlines()[-1])


def test_apollo_client_with_the_readme_config(node: Path, live: str, tmp_path: Path):
    returncode, outcome = run_client(node, live, tmp_path)

    assert outcome["failures"] == [], outcome["sent"]
    assert outcome["warnings"] == []
    assert returncode == 0
    assert outcome["pages"] == 3
    assert sorted(outcome["names"]) == ["P0", "P1", "P2", "P3", "P4"]
    assert outcome["batches"] >= 1
    hashes_first = [request["body"][0] for request in outcome["sent"]]
    # Every operation went out as its hash first: persisted queries never gave up.
    assert all("persistedQuery" in operation["extensions"] for operation in hashes_first)


def test_without_the_value_object_policies_apollo_warns(node: Path, live: str, tmp_path: Path):
    """The control: the same run without `merge: true` on AiSettings makes Apollo
    warn that replacing it may lose data, and the run fails."""
    returncode, outcome = run_client(node, live, tmp_path, "without-merge")

    assert returncode == 1
    assert any("aiSettings" in warning for warning in outcome["warnings"]), outcome["warnings"]
