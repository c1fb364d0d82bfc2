"""Apollo Client 4, configured as the README says (cache policies, possibleTypes
from `concierge export-schema`, persisted queries over batching), against a live
server on each backend: pagination over several pages, mutations updating the
normalised cache, and not one cache warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clients.node_projects import (
    installed_node,
    member_with_personas,
    run_client,
)

PROJECT = Path(__file__).parent / "apollo"


@pytest.fixture(scope="session")
def node() -> Path:
    """Node with the project's packages installed from its lock (npm ci, once)."""
    return installed_node(PROJECT, "@apollo/client")


def run_apollo(node: Path, live: str, exported: Path, *variant: str) -> tuple[int, dict]:
    token = member_with_personas(live, "apollo", 5)
    return run_client(
        node, PROJECT, "--conditions=development", "client.mjs", live, token,
        exported / "possible-types.json", *variant,
    )  # fmt: skip


def test_apollo_client_with_the_readme_config(node: Path, live: str, exported: Path):
    returncode, outcome = run_apollo(node, live, exported)

    assert outcome["failures"] == [], outcome["sent"]
    assert outcome["warnings"] == []
    assert returncode == 0
    assert outcome["pages"] == 3
    assert sorted(outcome["names"]) == ["P0", "P1", "P2", "P3", "P4"]
    assert outcome["batches"] >= 1
    hashes_first = [request["body"][0] for request in outcome["sent"]]
    # Every operation went out as its hash first: persisted queries never gave up.
    assert all("persistedQuery" in operation["extensions"] for operation in hashes_first)


def test_without_the_value_object_policies_apollo_warns(node: Path, live: str, exported: Path):
    """The control: the same run without `merge: true` on AiSettings makes Apollo
    warn that replacing it may lose data, and the run fails."""
    returncode, outcome = run_apollo(node, live, exported, "without-merge")

    assert returncode == 1
    assert any("aiSettings" in warning for warning in outcome["warnings"]), outcome["warnings"]
