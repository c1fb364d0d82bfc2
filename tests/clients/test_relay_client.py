"""Relay: relay-compiler over a few fragments and operations (a connection, a
@refetchable fragment on Query and one on a Node, mutations with @appendNode and
@deleteEdge), against the schema `concierge export-schema` writes, with its
persisted-query manifest registered by `concierge register-documents`; then
relay-runtime against a live server in trusted-documents mode on each backend,
sending only `doc_id`s: pages merged in the store, `node(id:)` refetches, and
not one warning from the compiler or the runtime."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.clients.node_projects import ROOT, installed_node, live_concierge, run_client
from tests.conftest import REDIS_URL

PROJECT = Path(__file__).parent / "relay"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@pytest.fixture(scope="session")
def node() -> Path:
    """Node with the project's packages installed from its lock (npm ci, once)."""
    return installed_node(PROJECT, "relay-compiler")


@pytest.fixture(scope="session")
def compiled(node: Path, exported: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's relay.config.json and src/ compiled against the exported schema,
    once per session, in a directory of its own: its ``src/__generated__`` artifacts
    (CommonJS) and ``persisted_queries.json``."""
    build = tmp_path_factory.mktemp("relay")
    shutil.copytree(PROJECT / "src", build / "src")
    shutil.copy(PROJECT / "relay.config.json", build)
    shutil.copy(exported / "schema.graphql", build)
    # relay-compiler refuses a persistConfig file that does not exist yet.
    (build / "persisted_queries.json").write_text("{}\n")
    (build / "package.json").write_text('{"type": "commonjs"}\n')
    compiler = PROJECT / "node_modules" / "relay-compiler" / "cli.js"
    completed = subprocess.run(
        [str(node), str(compiler)], cwd=build, capture_output=True, text=True, timeout=60
    )
    output = ANSI.sub("", completed.stdout + completed.stderr)
    assert completed.returncode == 0, output
    noise = [line for line in output.splitlines() if not line.startswith("[INFO]")]
    assert noise == [], output
    return build


@pytest.fixture
def trusted(
    database_url: str, db, tmp_path: Path, compiled: Path, redis_prefix: str
) -> Iterator[str]:
    """A live server that runs only the documents of Relay's manifest, registered in
    Redis by `concierge register-documents` (while the server starts)."""
    settings = {
        "TRUSTED_DOCUMENTS": "true",
        "REDIS_URL": REDIS_URL,
        "REDIS_KEY_PREFIX": redis_prefix,
    }
    registering = subprocess.Popen(
        [sys.executable, "-m", "gql.cli", "register-documents",
         str(compiled / "persisted_queries.json")],
        env={**os.environ, "CONCIERGE_ENV": "test", **settings},
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    with live_concierge(database_url, tmp_path, **settings) as url:
        output, _ = registering.communicate(timeout=60)
        assert registering.returncode == 0, output
        assert output.strip() == "registered 7 documents in Redis"
        yield url


def test_relay_runtime_with_the_compiled_manifest(node: Path, trusted: str, compiled: Path):
    manifest = orjson.loads((compiled / "persisted_queries.json").read_bytes())
    # Given a server that refuses any document it was not given...
    unknown = httpx.post(trusted, json={"query": "{ viewer { username } }"})
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"

    returncode, outcome = run_client(
        node, PROJECT, "client.mjs", trusted, compiled / "src" / "__generated__", "relay"
    )

    assert outcome["failures"] == [], outcome["sent"]
    assert outcome["warnings"] == []
    assert returncode == 0
    assert outcome["pages"] == 3
    assert outcome["merged"] == ["P0", "P1", "P2", "P3", "P4"]
    assert outcome["records"] == 5
    sent = outcome["sent"]
    # Every request was an id of the manifest alone, and every one was answered.
    assert {request["id"] for request in sent} == set(manifest)
    assert not any(request["text"] for request in sent)
    assert all(request["status"] == 200 and "errors" not in request for request in sent), sent
