from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clients.node_projects import export_schema, live_concierge


@pytest.fixture(scope="session")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory of `concierge export-schema`'s SDL and client cache files, once
    per session (the schema is the same on every backend)."""
    return export_schema(tmp_path_factory.mktemp("exported"))


@pytest.fixture
def live(database_url: str, db, tmp_path: Path) -> Iterator[str]:
    """The GraphQL URL of a live Concierge on this backend's database, emptied after."""
    with live_concierge(database_url, tmp_path) as url:
        yield url
