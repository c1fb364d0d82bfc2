"""``concierge check``: is this installation ready to serve? Each check says what it
found and, when something is wrong, how to fix it."""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from pathlib import Path

import redis.asyncio as aioredis
from pydantic import ValidationError
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from gql.server import graphiql
from gql.server.documents import InvalidManifest, read_manifest
from gql.settings import Settings
from persistence import vectors
from persistence.config import DatabaseTarget, DatabaseUrlError
from persistence.engine import create_engine
from persistence.health import round_trip
from persistence.migrations import head_revision

# Settings fields are reported by the environment variable that sets them.
_ENV_NAMES = {
    name: str(field.validation_alias or name).upper()
    for name, field in Settings.model_fields.items()
}
_MIN_SECRET_KEY_CHARS = 32


class Outcome(enum.StrEnum):
    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True)
class Check:
    name: str
    outcome: Outcome
    detail: str
    fix: str | None = None


async def run_checks() -> list[Check]:
    """Check settings, secret key, database, migrations and GraphiQL assets, in that
    order; checks that depend on a failed one are skipped."""
    try:
        settings = Settings()
    except ValidationError as error:
        return [_invalid_settings(error)]
    checks = [_settings(settings)]
    try:
        target = settings.database
    except DatabaseUrlError as error:
        checks.append(
            Check(
                "database",
                Outcome.FAIL,
                str(error),
                "set DATABASE_URL to postgresql://user:password@host:5432/name "
                "or sqlite:///./concierge.db",
            )
        )
        target = None
    checks.append(_secret_key(settings))
    if target is not None:
        checks.extend(await _database_and_migrations(settings, target))
    else:
        checks.append(Check("migrations", Outcome.SKIP, "needs a usable database"))
    checks.append(_graphiql_assets(settings))
    if target is not None and target.dialect == "postgresql":
        checks.append(_pgbouncer(settings, target))
    if settings.database_replica_url is not None:
        checks.extend(await _replicas(settings))
    checks.append(_trusted_documents(settings))
    if settings.redis_url or settings.rate_limit_storage == "redis":
        checks.append(await _redis(settings))
    return checks


async def _replicas(settings: Settings) -> list[Check]:
    """Each replica reachable and replaying (a standby), within HEALTH_TIMEOUT_S."""
    try:
        targets = settings.replicas
    except DatabaseUrlError as error:
        return [
            Check(
                "replicas",
                Outcome.FAIL,
                str(error),
                "name PostgreSQL standbys of a PostgreSQL DATABASE_URL, comma-separated",
            )
        ]
    checks = []
    marks = "in Redis" if settings.redis_url else "per process (set REDIS_URL for several)"
    for index, target in enumerate(targets, start=1):
        name = f"replica-{index}"
        engine = create_engine(settings, target)
        try:
            async with asyncio.timeout(settings.health_timeout_s):
                async with engine.connect() as connection:
                    standby = await connection.scalar(text("SELECT pg_is_in_recovery()"))
        except Exception as error:
            checks.append(_unreachable(target, error, settings.health_timeout_s, name))
            continue
        finally:
            await engine.dispose()
        if not standby:
            checks.append(
                Check(
                    name,
                    Outcome.WARN,
                    f"{target.display} is not a standby (not replaying): queries skip it",
                    "name a streaming replica of the primary (pg_basebackup -R, or your "
                    "provider's read replica)",
                )
            )
            continue
        detail = f"{target.display} replays the primary; writers' positions kept {marks}"
        checks.append(Check(name, Outcome.OK, detail))
    return checks


def _trusted_documents(settings: Settings) -> Check:
    try:
        manifests = {
            path: len(read_manifest(Path(path).read_bytes()))
            for path in settings.trusted_document_manifests
        }
    except (OSError, InvalidManifest) as error:
        return Check(
            "documents",
            Outcome.FAIL,
            f"TRUSTED_DOCUMENT_MANIFESTS: {error}",
            "list readable Relay or Apollo manifests (`concierge register-documents --check`)",
        )
    count = sum(manifests.values())
    if not settings.trusted_documents:
        mode = "on" if settings.persisted_queries else "off"
        return Check("documents", Outcome.OK, f"any document runs; persisted queries {mode}")
    if not manifests and not settings.redis_url:
        return Check(
            "documents",
            Outcome.FAIL,
            "TRUSTED_DOCUMENTS=true but no document can be registered: every request is refused",
            "list manifests in TRUSTED_DOCUMENT_MANIFESTS, or set REDIS_URL and run "
            "`concierge register-documents`",
        )
    shared = " and those registered in Redis" if settings.redis_url else ""
    return Check("documents", Outcome.OK, f"only {count} trusted documents{shared} run")


async def _redis(settings: Settings) -> Check:
    if not settings.redis_url:
        return Check(
            "redis", Outcome.FAIL, "RATE_LIMIT_STORAGE=redis without REDIS_URL", "set REDIS_URL"
        )
    client = aioredis.Redis.from_url(
        settings.redis_url, socket_connect_timeout=settings.health_timeout_s
    )
    try:
        await client.ping()
    except RedisError as error:
        return Check(
            "redis",
            Outcome.FAIL,
            f"REDIS_URL does not answer ({type(error).__name__})",
            "start Redis or correct REDIS_URL (redis://host:6379/0)",
        )
    finally:
        await client.aclose()
    return Check("redis", Outcome.OK, "answers (persisted documents, rate limits shared)")


def _invalid_settings(error: ValidationError) -> Check:
    problems = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else "?"
        problems.append(f"{_ENV_NAMES.get(name, name.upper())}: {item['msg']}")
    return Check(
        "settings",
        Outcome.FAIL,
        "; ".join(problems),
        "correct or unset these variables (in the environment or .env); "
        "the README's configuration table lists what each accepts",
    )


def _settings(settings: Settings) -> Check:
    if settings.default_page_size > settings.max_page_size:
        return Check(
            "settings",
            Outcome.FAIL,
            f"DEFAULT_PAGE_SIZE ({settings.default_page_size}) exceeds "
            f"MAX_PAGE_SIZE ({settings.max_page_size})",
            "lower DEFAULT_PAGE_SIZE or raise MAX_PAGE_SIZE",
        )
    return Check("settings", Outcome.OK, f"environment {settings.environment}")


def _secret_key(settings: Settings) -> Check:
    key = settings.secret_key.get_secret_value() if settings.secret_key else None
    generate = 'generate one with: python -c "import secrets; print(secrets.token_urlsafe(48))"'
    if key is None:
        if settings.is_production:
            return Check(
                "secret key",
                Outcome.FAIL,
                "SECRET_KEY is not set and CONCIERGE_ENV=production",
                f"set SECRET_KEY; {generate}",
            )
        return Check(
            "secret key", Outcome.OK, "development key in use (set SECRET_KEY for production)"
        )
    if len(key) < _MIN_SECRET_KEY_CHARS:
        outcome = Outcome.FAIL if settings.is_production else Outcome.WARN
        return Check(
            "secret key",
            outcome,
            f"SECRET_KEY has {len(key)} characters; tokens signed with it can be forged",
            f"use at least {_MIN_SECRET_KEY_CHARS} random characters; {generate}",
        )
    return Check("secret key", Outcome.OK, "set")


async def _database_and_migrations(settings: Settings, target: DatabaseTarget) -> list[Check]:
    if target.dialect == "sqlite" and not _sqlite_file_exists(target):
        # Connecting would create an empty file; say what will happen instead.
        return [
            Check("database", Outcome.OK, f"{target.display} (file not created yet)"),
            Check(
                "migrations",
                Outcome.FAIL,
                "the database has no schema yet",
                "run `concierge migrate` (`concierge serve` also does it for SQLite)",
            ),
        ]
    engine = create_engine(settings, target)
    try:
        try:
            database, current = await asyncio.wait_for(
                round_trip(engine), settings.health_timeout_s
            )
        except Exception as error:  # every failure to reach the database is reported
            return [
                _unreachable(target, error, settings.health_timeout_s),
                Check("migrations", Outcome.SKIP, "needs a reachable database"),
            ]
        checks = [
            Check(
                "database", Outcome.OK, f"{target.display} ({target.dialect} {database.version})"
            ),
            _migrations(current, head_revision()),
        ]
        if current is not None:
            search = await asyncio.wait_for(vectors.describe(engine), settings.health_timeout_s)
            checks.append(Check("vector search", Outcome.OK, search))
        return checks
    finally:
        await engine.dispose()


def _sqlite_file_exists(target: DatabaseTarget) -> bool:
    database = target.url.database
    return not database or database == ":memory:" or Path(database).exists()


def _driver_error(error: BaseException) -> BaseException:
    """The driver's own exception under SQLAlchemy's wrappers, which says more."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        error = error.orig
    return error.__cause__ or error


def _unreachable(
    target: DatabaseTarget, error: BaseException, timeout_s: float, name: str = "database"
) -> Check:
    variable = "DATABASE_URL" if name == "database" else "DATABASE_REPLICA_URL"
    error = _driver_error(error)
    reason = f"{type(error).__name__}: {error}".strip().rstrip(":")
    kind = type(error).__name__
    if isinstance(error, TimeoutError):
        reason = f"no answer within {timeout_s:g}s"
        fix = "check the host and port and any firewall; or raise HEALTH_TIMEOUT_S"
    elif kind in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
        fix = f"check the user name and password in {variable}"
    elif kind == "InvalidCatalogNameError":
        fix = f"create the database first, e.g. `createdb {target.url.database}`"
    elif isinstance(error, OSError):
        fix = (
            f"start the database server at {target.url.host}:{target.url.port or 5432} "
            f"(`make postgres` starts a local one) or correct {variable}"
        )
    else:
        fix = f"check {variable}; `concierge check` reads it from the environment or .env"
    return Check(name, Outcome.FAIL, f"cannot connect to {target.display}: {reason}", fix)


def _migrations(current: str | None, head: str | None) -> Check:
    if current == head:
        return Check("migrations", Outcome.OK, f"at head ({head})")
    if current is None:
        return Check(
            "migrations",
            Outcome.FAIL,
            f"the database has no schema yet (head is {head})",
            "run `concierge migrate`",
        )
    return Check(
        "migrations",
        Outcome.FAIL,
        f"the database is at {current}, the code expects {head}",
        "run `concierge migrate`; if the database is newer than this code, "
        "deploy the newer code or `concierge migrate downgrade "
        f"{head}` with the code that wrote it",
    )


def _graphiql_assets(settings: Settings) -> Check:
    if not settings.graphiql_enabled:
        return Check("graphiql", Outcome.OK, "off (GRAPHIQL=false or production)")
    missing = [
        name for name in graphiql.REQUIRED_ASSETS if not (graphiql.STATIC_DIR / name).is_file()
    ]
    if missing:
        return Check(
            "graphiql",
            Outcome.FAIL,
            f"assets missing from {graphiql.STATIC_DIR}: {', '.join(missing)}",
            "reinstall Concierge, or run .ci/vendor-graphiql in a checkout",
        )
    return Check("graphiql", Outcome.OK, "served at /graphql with local assets")


def _pgbouncer(settings: Settings, target: DatabaseTarget) -> Check:
    host = target.url.host or ""
    # Supabase's transaction pooler listens on 6543; Neon's pooled hosts say "-pooler".
    looks_pooled = target.url.port == 6543 or "pooler" in host
    if looks_pooled and not settings.db_pgbouncer:
        return Check(
            "pgbouncer",
            Outcome.WARN,
            f"{host}:{target.url.port} looks like a transaction-mode pooler",
            "set DB_PGBOUNCER=true, or prepared statements will fail intermittently",
        )
    mode = "on" if settings.db_pgbouncer else "off"
    return Check("pgbouncer", Outcome.OK, f"PgBouncer compatibility {mode}")


def report(checks: list[Check]) -> str:
    """The checks as aligned lines, each failure followed by its fix."""
    width = max(len(check.name) for check in checks)
    lines = []
    for check in checks:
        lines.append(f"{check.outcome.value:<5} {check.name:<{width}}  {check.detail}")
        if check.fix and check.outcome in (Outcome.FAIL, Outcome.WARN):
            lines.append(f"{'':<5} {'':<{width}}  fix: {check.fix}")
    failed = sum(check.outcome is Outcome.FAIL for check in checks)
    lines.append(f"{failed} check{'s' if failed != 1 else ''} failed" if failed else "all good")
    return "\n".join(lines)
