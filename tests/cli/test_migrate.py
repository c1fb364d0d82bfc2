"""`concierge migrate` honours DATABASE_URL on either backend."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

from gql.cli import app
from gql.settings import get_settings
from persistence.migrations import head_revision


@pytest.fixture
def fresh_sqlite_url(tmp_path, monkeypatch):
    path = tmp_path / "cli.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{path}")
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def test_migrate_brings_an_empty_database_to_head_and_downgrade_empties_it(fresh_sqlite_url):
    runner = CliRunner()

    upgraded = runner.invoke(app, ["migrate"])
    tables_after_upgrade = _tables(fresh_sqlite_url)
    current = runner.invoke(app, ["migrate", "current"])
    downgraded = runner.invoke(app, ["migrate", "downgrade", "base"])

    assert upgraded.exit_code == 0, upgraded.output
    assert {"users", "personas", "customers", "conversations", "messages"} <= tables_after_upgrade
    assert f"current: {head_revision()}" in current.output
    assert downgraded.exit_code == 0, downgraded.output
    assert _tables(fresh_sqlite_url) == {"alembic_version"}


def _tables(path) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}
