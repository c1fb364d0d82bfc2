"""The DATABASE_URL normaliser, fed the URL shapes providers hand out."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from gql.settings import Settings
from persistence.config import (
    DEFAULT_DATABASE_URL,
    DatabaseUrlError,
    normalise_database_url,
)

NEON = (
    "postgresql://alex:npg_Neon5ecret@ep-cool-name-123456.us-east-2.aws.neon.tech/neondb"
    "?sslmode=require&channel_binding=require"
)
SUPABASE_POOLER = (
    "postgres://postgres.abcdefghij:Supa5ecretPw@aws-0-eu-central-1.pooler.supabase.com"
    ":6543/postgres"
)
HEROKU = (
    "postgres://uhq3pbd0m:p4f2c0ffeeHerokuPw@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d8k2l1m0n9"
)
RDS = (
    "postgresql://admin:Rds5ecretPw@mydb.abc123xyz.eu-west-1.rds.amazonaws.com:5432/app"
    "?sslmode=verify-full&sslrootcert=/etc/ssl/rds-global-bundle.pem"
)
UNIX_SOCKET = "postgresql://concierge@/concierge?host=/var/run/postgresql"


def asyncpg_arguments(raw: str) -> dict[str, object]:
    """What SQLAlchemy would hand to asyncpg.connect() for the normalised URL."""
    target = normalise_database_url(raw)
    engine = create_async_engine(target.url)
    _, kwargs = engine.dialect.create_connect_args(target.url)
    return {**kwargs, **target.connect_args}


@pytest.fixture
def config_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.WARNING, logger="persistence.config")
    return caplog


# -- PostgreSQL providers ------------------------------------------------------


def test_a_neon_url_works_as_pasted_with_ssl_required_and_channel_binding_dropped():
    target = normalise_database_url(NEON)

    assert target.url.drivername == "postgresql+asyncpg"
    assert target.dialect == "postgresql"
    assert target.url.host == "ep-cool-name-123456.us-east-2.aws.neon.tech"
    assert target.url.database == "neondb"
    assert target.url.username == "alex"
    assert target.url.password == "npg_Neon5ecret"
    assert dict(target.url.query) == {}
    assert target.connect_args == {"ssl": "require"}
    assert target.dropped_parameters == ("channel_binding",)


def test_dropping_a_parameter_logs_a_warning_that_names_it_but_not_the_password(config_log):
    normalise_database_url(NEON)

    warnings = [r for r in config_log.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    message = warnings[0].getMessage()
    assert "channel_binding" in message
    assert "npg_Neon5ecret" not in message
    assert "npg_Neon5ecret" not in config_log.text


def test_a_neon_url_gives_asyncpg_only_arguments_it_understands():
    arguments = asyncpg_arguments(NEON)

    assert arguments["ssl"] == "require"
    assert "channel_binding" not in arguments
    assert "sslmode" not in arguments
    assert arguments["host"] == "ep-cool-name-123456.us-east-2.aws.neon.tech"


def test_a_supabase_pooler_url_keeps_its_dotted_user_and_pooler_port(config_log):
    target = normalise_database_url(SUPABASE_POOLER)

    assert target.url.drivername == "postgresql+asyncpg"
    assert target.url.username == "postgres.abcdefghij"
    assert target.url.host == "aws-0-eu-central-1.pooler.supabase.com"
    assert target.url.port == 6543
    assert target.url.database == "postgres"
    assert target.connect_args == {}
    assert target.dropped_parameters == ()
    assert config_log.records == []


def test_a_heroku_postgres_scheme_becomes_asyncpg_with_nothing_dropped(config_log):
    target = normalise_database_url(HEROKU)

    assert target.url.drivername == "postgresql+asyncpg"
    assert target.url.host == "ec2-1-2-3-4.compute-1.amazonaws.com"
    assert target.url.port == 5432
    assert target.url.database == "d8k2l1m0n9"
    assert target.connect_args == {}
    assert target.dropped_parameters == ()
    assert config_log.records == []


def test_an_rds_url_verifies_the_server_and_drops_the_libpq_root_cert_with_a_warning(config_log):
    target = normalise_database_url(RDS)

    assert target.url.drivername == "postgresql+asyncpg"
    assert target.connect_args == {"ssl": "verify-full"}
    assert target.dropped_parameters == ("sslrootcert",)
    assert dict(target.url.query) == {}
    assert "sslrootcert" in config_log.text
    assert "Rds5ecretPw" not in config_log.text


def test_a_unix_socket_url_keeps_the_socket_directory_for_asyncpg():
    target = normalise_database_url(UNIX_SOCKET)

    assert target.url.drivername == "postgresql+asyncpg"
    assert target.url.host is None
    assert target.url.query["host"] == "/var/run/postgresql"
    assert target.dropped_parameters == ()
    arguments = asyncpg_arguments(UNIX_SOCKET)
    assert arguments["host"] == "/var/run/postgresql"
    assert arguments["database"] == "concierge"
    assert arguments["user"] == "concierge"


@pytest.mark.parametrize(
    "scheme",
    ["postgres", "postgresql", "postgresql+psycopg2", "postgresql+psycopg", "postgresql+asyncpg"],
)
def test_every_common_postgres_scheme_becomes_asyncpg(scheme):
    target = normalise_database_url(f"{scheme}://app:pw@db.example.com:5432/app")

    assert target.url.drivername == "postgresql+asyncpg"
    assert target.url.host == "db.example.com"
    assert target.url.database == "app"


@pytest.mark.parametrize(
    "mode", ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
)
def test_every_libpq_sslmode_becomes_the_asyncpg_ssl_argument(mode):
    target = normalise_database_url(f"postgresql://app@db.example.com/app?sslmode={mode}")

    assert target.connect_args == {"ssl": mode}
    assert "sslmode" not in target.url.query


def test_surrounding_whitespace_from_a_copy_paste_is_ignored():
    target = normalise_database_url(f"  {HEROKU}\n")

    assert target.url.drivername == "postgresql+asyncpg"
    assert target.url.database == "d8k2l1m0n9"


def test_parameters_asyncpg_understands_are_kept():
    target = normalise_database_url(
        "postgresql://app@db.example.com/app?application_name=x&prepared_statement_cache_size=0"
    )

    assert target.url.query == {"prepared_statement_cache_size": "0"}
    assert target.dropped_parameters == ("application_name",)


# -- SQLite ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "database"),
    [
        ("sqlite:///./concierge.db", "./concierge.db"),
        ("sqlite+aiosqlite:////var/lib/concierge/concierge.db", "/var/lib/concierge/concierge.db"),
        ("sqlite+pysqlite:///relative.db", "relative.db"),
        ("sqlite://", None),
        ("sqlite+aiosqlite:///:memory:", ":memory:"),
    ],
)
def test_sqlite_urls_get_the_aiosqlite_driver_and_keep_their_path(raw, database):
    target = normalise_database_url(raw)

    assert target.url.drivername == "sqlite+aiosqlite"
    assert target.dialect == "sqlite"
    assert target.url.database == database
    assert target.connect_args == {}
    assert target.dropped_parameters == ()


# -- what is refused ---------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "mysql://root:Mysql5ecret@db.example.com/app",
        "mysql+aiomysql://root:Mysql5ecret@db.example.com/app",
        "mssql+pyodbc://sa:Mysql5ecret@db.example.com/app",
        "oracle://scott:Mysql5ecret@db.example.com/app",
    ],
)
def test_an_unsupported_scheme_is_refused_without_quoting_the_password(raw):
    with pytest.raises(DatabaseUrlError) as refused:
        normalise_database_url(raw)

    assert "unsupported" in str(refused.value)
    assert "Mysql5ecret" not in str(refused.value)


@pytest.mark.parametrize("raw", ["", "not a url", "://nothing", "postgresql//missing-colon"])
def test_text_that_is_not_a_url_is_refused(raw):
    with pytest.raises(DatabaseUrlError):
        normalise_database_url(raw)


def test_an_unknown_sslmode_is_refused():
    with pytest.raises(DatabaseUrlError) as refused:
        normalise_database_url("postgresql://app:Ssl5ecret@db.example.com/app?sslmode=sometimes")

    assert "sometimes" in str(refused.value)
    assert "Ssl5ecret" not in str(refused.value)


def test_database_url_error_is_a_value_error():
    assert issubclass(DatabaseUrlError, ValueError)


# -- never leaking the password -------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "password"),
    [
        (NEON, "npg_Neon5ecret"),
        (SUPABASE_POOLER, "Supa5ecretPw"),
        (HEROKU, "p4f2c0ffeeHerokuPw"),
        (RDS, "Rds5ecretPw"),
        ("postgresql://app:p%40ss%2Fw0rd@db.example.com/app", "p@ss/w0rd"),
    ],
)
def test_display_and_repr_hide_the_password(raw, password):
    target = normalise_database_url(raw)

    assert target.url.password == password
    assert password not in target.display
    assert "***" in target.display
    assert target.display.startswith("postgresql+asyncpg://")
    assert password not in repr(target)
    assert password not in str(target)


def test_display_of_a_url_without_a_password_is_the_url_itself():
    target = normalise_database_url(UNIX_SOCKET)

    assert (
        target.display == "postgresql+asyncpg://concierge@/concierge?host=%2Fvar%2Frun%2Fpostgresql"
    )


# -- settings ------------------------------------------------------------------------


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> pytest.MonkeyPatch:
    """No DATABASE_URL in the environment and no `.env` file in the working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return monkeypatch


def test_settings_read_database_url_from_the_environment(clean_environment):
    clean_environment.setenv("DATABASE_URL", NEON)

    settings = Settings()

    assert settings.database_url.get_secret_value() == NEON
    assert settings.database.url.drivername == "postgresql+asyncpg"
    assert settings.database.connect_args == {"ssl": "require"}


def test_settings_default_to_the_embedded_sqlite_file(clean_environment):
    settings = Settings()

    assert settings.database_url.get_secret_value() == DEFAULT_DATABASE_URL
    assert settings.database.url.drivername == "sqlite+aiosqlite"
    assert settings.database.url.database == "./concierge.db"


def test_settings_read_database_url_from_a_dotenv_file(clean_environment, tmp_path):
    (tmp_path / ".env").write_text(f"DATABASE_URL={HEROKU}\n")

    settings = Settings()

    assert settings.database.url.database == "d8k2l1m0n9"


def test_settings_never_show_the_database_password(clean_environment):
    clean_environment.setenv("DATABASE_URL", NEON)

    settings = Settings()

    assert "npg_Neon5ecret" not in repr(settings)
    assert "npg_Neon5ecret" not in str(settings)
    assert "npg_Neon5ecret" not in settings.database.display
