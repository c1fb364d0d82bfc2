"""urql with graphcache, configured as the README says (keys and possibleTypes
from `concierge export-schema`, relayPagination, persisted queries over GET),
against a live server on each backend: pages merged into one cached list,
mutations updating the normalised cache, and not one graphcache warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.clients.node_projects import installed_node, member_with_personas, run_client

PROJECT = Path(__file__).parent / "urql"


@pytest.fixture(scope="session")
def node() -> Path:
    """Node with the project's packages installed from its lock (npm ci, once)."""
    return installed_node(PROJECT, "@urql/exchange-graphcache")


def run_urql(
    node: Path, live: str, exported: Path, *variant: str, username: str = "urql"
) -> tuple[int, dict]:
    token = member_with_personas(live, username, 5)
    return run_client(
        node, PROJECT, "client.mjs", live, token,
        exported / "urql-keys.json", exported / "possible-types.json", *variant,
    )  # fmt: skip


def test_urql_graphcache_with_the_readme_config(node: Path, live: str, exported: Path):
    returncode, outcome = run_urql(node, live, exported)

    assert outcome["failures"] == [], outcome["sent"]
    assert outcome["warnings"] == []
    assert returncode == 0
    assert outcome["pages"] == 3
    assert sorted(outcome["names"]) == ["P0", "P1", "P2", "P3", "P4"]
    queries = [request for request in outcome["sent"] if request["method"] == "GET"]
    # Each new query went out as its hash alone first, and was then sent once with
    # its text (the server's PersistedQueryNotFound); mutations are posted whole.
    first_sends = {request["hash"]: request for request in reversed(queries)}
    assert all(not request["query"] for request in first_sends.values()), queries
    assert all(request["status"] == 404 for request in first_sends.values()), queries
    assert all(request["status"] == 200 for request in queries if request["query"]), queries
    posted = [request for request in outcome["sent"] if request["method"] == "POST"]
    assert len(posted) == 2 and all(request["query"] for request in posted), posted


def test_without_the_exported_cache_files_graphcache_warns(node: Path, live: str, exported: Path):
    """The controls: the same run without the keys of the types that have no id, or
    without possibleTypes, makes graphcache warn, and the run fails."""
    without_keys, keys_outcome = run_urql(node, live, exported, "without-keys")
    without_possible_types, types_outcome = run_urql(
        node, live, exported, "without-possible-types", username="urql-2"
    )

    assert without_keys == 1
    assert any("Invalid key" in text for text in keys_outcome["warnings"]), keys_outcome
    assert without_possible_types == 1
    heuristic = [text for text in types_outcome["warnings"] if "Heuristic Fragment" in text]
    assert heuristic, types_outcome["warnings"]
