"""`concierge check` says what is wrong and how to fix it, and exits non-zero then;
every command explains itself with --help."""

from __future__ import annotations

import re

import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from gql.cli import app
from gql.settings import get_settings
from persistence.migrations import head_revision
from tests.conftest import POSTGRES_ADMIN_URL

COMMANDS = [
    [],
    ["serve"],
    ["check"],
    ["migrate"],
    ["migrate", "upgrade"],
    ["migrate", "downgrade"],
    ["migrate", "current"],
    ["migrate", "history"],
    ["export-schema"],
    ["schema-diff"],
    ["register-documents"],
    ["create-admin"],
    ["vectors"],
    ["vectors", "status"],
    ["vectors", "enable"],
    ["purge"],
]


@pytest.fixture
def run_check(monkeypatch, tmp_path):
    """Runs `concierge check` with these environment variables, from an empty directory
    (so no .env is read)."""
    monkeypatch.chdir(tmp_path)

    def run(**env: str):
        for name in ("DATABASE_URL", "CONCIERGE_ENV", "SECRET_KEY", "GRAPHIQL"):
            monkeypatch.delenv(name, raising=False)
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["check"], env=env)
        get_settings.cache_clear()
        return result

    return run


def line(output: str, name: str) -> str:
    """The line of the check called ``name``."""
    found = re.search(rf"^(OK|WARN|FAIL|SKIP)\s+{name}\s.*$", output, re.M)
    assert found, f"no line for {name!r} in:\n{output}"
    return found.group(0)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "concierge")
def test_every_command_has_help(command):
    result = CliRunner().invoke(app, [*command, "--help"])

    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    # Each command says what it does, not only its options.
    assert len(result.output.split("Options")[0].split("Usage:")[1].strip().splitlines()) > 1


def test_a_migrated_database_passes_every_check(run_check, database_url):
    result = run_check(DATABASE_URL=database_url)

    assert result.exit_code == 0, result.output
    assert line(result.output, "database").startswith("OK")
    migrations = line(result.output, "migrations")
    assert re.match(rf"OK\s+migrations\s+at head \({head_revision()}\)", migrations)
    assert result.output.rstrip().endswith("all good")


@pytest.mark.pgvector
def test_the_vector_search_line_says_which_search_is_in_use(run_check, database_url):
    result = run_check(DATABASE_URL=database_url)

    search = line(result.output, "vector search")
    if database_url.startswith("sqlite"):
        assert search.endswith("exact search (SQLite has no vector index)")
    elif "concierge-pgvector-" in database_url:
        assert search.endswith("pgvector (HNSW index, cosine; ranking in SQL)")
    else:
        assert search.endswith("exact search (this PostgreSQL server has no pgvector extension)")
    assert result.exit_code == 0, result.output


def test_an_unmigrated_database_fails_and_says_to_migrate(run_check, tmp_path):
    database = tmp_path / "fresh.db"

    result = run_check(DATABASE_URL=f"sqlite:///{database}")

    assert result.exit_code == 1
    assert line(result.output, "migrations").startswith("FAIL")
    assert "fix: run `concierge migrate`" in result.output
    assert not database.exists(), "checking must not create the database"


def test_production_without_a_secret_key_fails(run_check, database_url):
    result = run_check(DATABASE_URL=database_url, CONCIERGE_ENV="production")

    assert result.exit_code == 1
    assert line(result.output, "secret key").startswith("FAIL")
    assert "fix: set SECRET_KEY" in result.output
    assert re.match(r"OK\s+graphiql\s+off", line(result.output, "graphiql"))


def test_a_short_secret_key_is_refused_in_production(run_check, database_url):
    result = run_check(DATABASE_URL=database_url, CONCIERGE_ENV="production", SECRET_KEY="short")

    assert result.exit_code == 1
    assert "SECRET_KEY has 5 characters" in line(result.output, "secret key")


def test_an_unreachable_database_fails_with_how_to_fix(run_check):
    result = run_check(DATABASE_URL="postgresql://postgres:hunter2@127.0.0.1:1/concierge")

    assert result.exit_code == 1
    assert line(result.output, "database").startswith("FAIL")
    assert "fix: start the database server at 127.0.0.1:1" in result.output
    assert line(result.output, "migrations").startswith("SKIP")
    assert "hunter2" not in result.output


def test_a_missing_postgres_database_is_named(run_check):
    missing = make_url(POSTGRES_ADMIN_URL).set(database="concierge_missing_db")

    result = run_check(DATABASE_URL=missing.render_as_string(hide_password=False))

    assert result.exit_code == 1
    assert "createdb concierge_missing_db" in result.output


def test_invalid_settings_are_named_by_their_variable(run_check):
    result = run_check(DB_POOL_SIZE="0", CONCIERGE_ENV="staging")

    assert result.exit_code == 1
    settings_line = line(result.output, "settings")
    assert "DB_POOL_SIZE" in settings_line
    assert "CONCIERGE_ENV" in settings_line


def test_inconsistent_page_sizes_fail(run_check, database_url):
    result = run_check(DATABASE_URL=database_url, DEFAULT_PAGE_SIZE="500", MAX_PAGE_SIZE="100")

    assert result.exit_code == 1
    assert "exceeds MAX_PAGE_SIZE" in line(result.output, "settings")


def test_a_pooler_port_without_pgbouncer_mode_is_flagged(run_check):
    result = run_check(DATABASE_URL="postgresql://postgres@127.0.0.1:6543/concierge")

    assert line(result.output, "pgbouncer").startswith("WARN")
    assert "DB_PGBOUNCER=true" in result.output


def test_trusted_documents_without_any_source_fail(run_check, database_url):
    result = run_check(DATABASE_URL=database_url, TRUSTED_DOCUMENTS="true")

    assert result.exit_code == 1
    assert "every request is refused" in line(result.output, "documents")
    assert "fix: list manifests in TRUSTED_DOCUMENT_MANIFESTS" in result.output


def test_trusted_documents_from_a_manifest_are_counted(run_check, database_url, tmp_path):
    manifest = tmp_path / "persisted_queries.json"
    manifest.write_text('{"a": "{ __typename }", "b": "{ health { status } }"}')

    result = run_check(
        DATABASE_URL=database_url,
        TRUSTED_DOCUMENTS="true",
        TRUSTED_DOCUMENT_MANIFESTS=str(manifest),
    )

    assert result.exit_code == 0, result.output
    assert "only 2 trusted documents run" in line(result.output, "documents")


def test_redis_is_checked_when_configured(run_check, database_url):
    up = run_check(DATABASE_URL=database_url, REDIS_URL="redis://127.0.0.1:6379/0")
    down = run_check(DATABASE_URL=database_url, REDIS_URL="redis://127.0.0.1:1/0")
    missing = run_check(DATABASE_URL=database_url, RATE_LIMIT_STORAGE="redis")

    assert line(up.output, "redis").startswith("OK"), up.output
    assert down.exit_code == 1 and line(down.output, "redis").startswith("FAIL")
    assert missing.exit_code == 1 and "without REDIS_URL" in line(missing.output, "redis")


def test_replicas_are_checked_to_be_reachable_standbys(run_check, streaming_pair):
    primary, replica = (
        streaming_pair.primary.url("concierge"),
        streaming_pair.replica.url("concierge"),
    )
    replicas = f"{replica},{primary},postgresql://postgres:hunter2@127.0.0.1:1/concierge"
    result = run_check(DATABASE_URL=primary, DATABASE_REPLICA_URL=replicas)

    assert result.exit_code == 1
    assert re.match(r"OK\s+replica-1\s+.* replays the primary", line(result.output, "replica-1"))
    assert "not a standby" in line(result.output, "replica-2")
    assert line(result.output, "replica-2").startswith("WARN")
    assert line(result.output, "replica-3").startswith("FAIL")
    assert "or correct DATABASE_REPLICA_URL" in result.output
    assert "hunter2" not in result.output


def test_replicas_beside_sqlite_fail_the_check(run_check, tmp_path):
    result = run_check(
        DATABASE_URL=f"sqlite:///{tmp_path}/c.db",
        DATABASE_REPLICA_URL="postgresql://postgres@127.0.0.1:5432/concierge",
    )

    assert result.exit_code == 1
    assert "need PostgreSQL as the primary" in line(result.output, "replicas")
