"""The GraphQL foundation's own conformance audit (npm `graphql-http`), run against a
live server: every audit must pass, warnings included."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

AUDIT = Path(__file__).parent / "audit"


@pytest.fixture(scope="session")
def audit_tool() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("Node.js and npm are required for the GraphQL-over-HTTP audit")
    if not (AUDIT / "node_modules" / "graphql-http").exists():
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=AUDIT, check=True, capture_output=True
        )
    return Path(node)


def test_the_endpoint_passes_every_graphql_over_http_audit(audit_tool: Path, live_server: str):
    completed = subprocess.run(
        [str(audit_tool), "audit.mjs", f"{live_server}/graphql"],
        cwd=AUDIT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    results = json.loads(completed.stdout)

    failed = [f"{r['status']}: {r['name']} — {r['reason']}" for r in results if r["status"] != "ok"]
    assert len(results) > 50
    assert failed == []
