"""The `concierge` command: serve, check, migrate, export and diff the schema, register
trusted documents, manage admins, seed demo data."""

from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(
    help="Concierge: a GraphQL API over your assistants' data.\n\n"
    "Settings come from the environment or .env (DATABASE_URL, SECRET_KEY, ...); "
    "`concierge check` tells whether they are usable.",
    no_args_is_help=True,
)
migrate_app = typer.Typer(
    help="Database migrations (Alembic). Without a subcommand: upgrade to the newest.",
    no_args_is_help=False,
)
app.add_typer(migrate_app, name="migrate")
vectors_app = typer.Typer(
    help="How memories are searched by embedding: pgvector (HNSW) or exact search.",
    no_args_is_help=True,
)
app.add_typer(vectors_app, name="vectors")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Serve the API with uvicorn. The embedded SQLite database is migrated first.

    GraphiQL is at /graphql (outside production), health at /healthz and /readyz,
    metrics at /metrics when METRICS_ENABLED=true. Logs go to stderr: one line per
    request (LOG_FORMAT=text or json, LOG_LEVEL).
    """
    import logging.config

    import uvicorn

    from gql.server.log_config import log_config
    from gql.settings import get_settings
    from persistence import migrations

    settings = get_settings()
    settings.signing_key  # noqa: B018  (fails fast in production without SECRET_KEY)
    logging.config.dictConfig(log_config(settings))
    if settings.database.dialect == "sqlite":
        asyncio.run(migrations.upgrade())
    typer.echo(f"Concierge on http://{host}:{port}/graphql ({settings.database.display})")
    uvicorn.run(
        "gql.server.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        proxy_headers=True,
        log_config=log_config(settings, serving=True),
        # The fastest event loop and HTTP parser; both come with uvicorn[standard].
        loop="uvloop",
        http="httptools",
        access_log=False,  # Concierge logs each request itself, with more detail
    )


@app.command()
def check() -> None:
    """Check settings, secret key, database connection, migrations and GraphiQL assets.

    Prints OK, WARN, FAIL or SKIP per check and how to fix each problem; exits 1
    when any check fails, so deploy scripts can run it before starting the service.
    """
    from gql.cli.checks import Outcome, report, run_checks

    checks = asyncio.run(run_checks())
    typer.echo(report(checks))
    if any(check.outcome is Outcome.FAIL for check in checks):
        raise typer.Exit(1)


@migrate_app.callback(invoke_without_command=True)
def migrate(ctx: typer.Context) -> None:
    """Upgrade the database to the newest revision (or see the subcommands)."""
    if ctx.invoked_subcommand is None:
        upgrade()


@migrate_app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. head or +1.")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from persistence import migrations

    asyncio.run(migrations.upgrade(revision=revision))
    typer.echo(f"database upgraded to {revision}")


@migrate_app.command()
def downgrade(revision: Annotated[str, typer.Argument(help="e.g. -1 or base")]) -> None:
    """Revert migrations down to REVISION."""
    from persistence import migrations

    asyncio.run(migrations.downgrade(revision=revision))
    typer.echo(f"database downgraded to {revision}")


@migrate_app.command()
def current() -> None:
    """Print the database's revision and the newest one."""
    from gql.settings import get_settings
    from persistence import migrations
    from persistence.engine import create_engine

    async def read() -> str | None:
        engine = create_engine(get_settings())
        try:
            return await migrations.current_revision(engine)
        finally:
            await engine.dispose()

    typer.echo(f"current: {asyncio.run(read()) or '(none)'}  head: {migrations.head_revision()}")


@migrate_app.command()
def history() -> None:
    """List the migrations, newest first."""
    from alembic import command
    from persistence import migrations

    command.history(migrations.alembic_config())


@vectors_app.command("status")
def vectors_status() -> None:
    """Print which vector search the database offers."""
    from gql.settings import get_settings
    from persistence import vectors
    from persistence.engine import create_engine

    async def read() -> str:
        engine = create_engine(get_settings())
        try:
            return await vectors.describe(engine)
        finally:
            await engine.dispose()

    typer.echo(asyncio.run(read()))


@vectors_app.command("enable")
def vectors_enable(
    dimensions: Annotated[
        int, typer.Option(help="The embedding length to index (one HNSW index per length).")
    ] = 1536,
) -> None:
    """Install pgvector in the database, convert the embedding column to `vector` and
    build the HNSW index; restart servers afterwards. Safe to run again."""
    from gql.settings import get_settings
    from persistence import vectors
    from persistence.engine import create_engine

    async def run() -> str:
        engine = create_engine(get_settings())
        try:
            await vectors.enable(engine, dimensions)
            return await vectors.describe(engine)
        finally:
            await engine.dispose()

    try:
        typer.echo(asyncio.run(run()))
    except vectors.PgvectorUnavailable as error:
        typer.echo(f"cannot enable pgvector: {error}", err=True)
        raise typer.Exit(1) from error


@app.command()
def purge(
    apply: Annotated[
        bool, typer.Option("--apply", help="Delete; without it, only report (a dry run).")
    ] = False,
    batch_size: Annotated[
        int, typer.Option(min=1, max=100_000, help="Messages deleted per transaction.")
    ] = 1000,
) -> None:
    """Delete messages older than each owner's retention (messageRetentionDays), in
    short batches; a dry run unless --apply. Meant for cron, e.g. nightly."""
    from gql.settings import get_settings
    from persistence.engine import create_engine, create_session_factory
    from persistence.services import lifecycle

    settings = get_settings()

    async def run() -> None:
        engine = create_engine(settings)
        try:
            factory = create_session_factory(engine)
            expiring = await lifecycle.expiring_messages(factory)
            total = sum(item.messages for item in expiring)
            for item in expiring:
                typer.echo(
                    f"owner {item.owner_id}: {item.messages} messages older than "
                    f"{item.retention_days} days (before {item.cutoff:%Y-%m-%d %H:%M} UTC)"
                )
            if not apply:
                typer.echo(f"dry run: {total} messages would be deleted; add --apply to delete")
                return
            deleted = 0
            with typer.progressbar(length=total, label="deleting messages") as bar:
                for item in expiring:
                    deleted += await lifecycle.purge_messages(
                        factory, item, batch=batch_size, progress=bar.update
                    )
            typer.echo(f"deleted {deleted} messages")
        finally:
            await engine.dispose()

    asyncio.run(run())


@app.command("export-schema")
def export_schema(
    output: Annotated[Path, typer.Option(help="Where to write the SDL; - for stdout.")] = Path(
        "schema.graphql"
    ),
    possible_types: Annotated[
        Path | None,
        typer.Option(help="Also write Apollo Client's possibleTypes JSON here."),
    ] = None,
    urql_keys: Annotated[
        Path | None,
        typer.Option(help="Also write urql graphcache's keys (types without an id) here."),
    ] = None,
) -> None:
    """Write the GraphQL schema (SDL) to OUTPUT, and the client cache files asked for."""
    import orjson

    from gql.cli.client_caches import keyless_types
    from gql.cli.client_caches import possible_types as abstract_types
    from gql.schema import build_schema, export_sdl
    from gql.settings import Settings

    schema = build_schema(Settings(CONCIERGE_ENV="development"))
    sdl = export_sdl(schema)
    if str(output) == "-":
        sys.stdout.write(sdl)
    else:
        output.write_text(sdl, encoding="utf-8")
        typer.echo(f"wrote {output}")
    extras = ((possible_types, abstract_types), (urql_keys, keyless_types))
    for path, content in extras:
        if path is not None:
            data = orjson.dumps(content(schema._schema), option=orjson.OPT_INDENT_2)
            path.write_bytes(data + b"\n")
            typer.echo(f"wrote {path}", err=str(output) == "-")


@app.command("register-documents")
def register_documents(
    manifests: Annotated[
        list[Path],
        typer.Argument(exists=True, dir_okay=False, help="Relay's or Apollo's manifest files."),
    ],
    check: Annotated[
        bool, typer.Option(help="Only check the documents against the schema; register nothing.")
    ] = False,
) -> None:
    """Register the operations of persisted-query manifests as trusted documents.

    Reads Relay's persisted_queries.json ({hash: text}) and Apollo's
    persisted-query-manifest.json, checks each id against its document and each
    document against the schema, then stores them in Redis (REDIS_URL), shared by
    every instance. Nothing is registered when any document is refused.
    """
    from gql.cli.documents import DocumentsRefused, register

    try:
        typer.echo(asyncio.run(register(manifests, check_only=check)))
    except DocumentsRefused as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error


@app.command("schema-diff")
def schema_diff(
    old: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The old SDL file.")],
    new: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="The new SDL file.")],
    fail_on_dangerous: Annotated[
        bool, typer.Option(help="Also exit 1 on dangerous changes.")
    ] = False,
) -> None:
    """Report breaking, dangerous and safe changes; exit 1 if any change is breaking."""
    from graphql import GraphQLError

    from gql.cli.schema_diff import diff_schemas

    try:
        diff = diff_schemas(old.read_text(encoding="utf-8"), new.read_text(encoding="utf-8"))
    except GraphQLError as error:
        typer.echo(f"cannot read schema: {error.message}", err=True)
        raise typer.Exit(2) from error
    typer.echo(diff.report())
    if diff.breaking or (fail_on_dangerous and diff.dangerous):
        raise typer.Exit(1)


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(prompt=True, help="The admin's email address.")],
    username: Annotated[str, typer.Option(prompt=True, help="The admin's user name.")],
    password: Annotated[
        str | None, typer.Option(help="Read from a prompt when omitted.", show_default=False)
    ] = None,
) -> None:
    """Create an administrator account (or promote an existing user with that email)."""
    from gql.cli.admins import ensure_admin

    secret = password or getpass.getpass("Password: ")
    outcome = asyncio.run(ensure_admin(email, username, secret))
    typer.echo(outcome)


DEMO_PASSWORD = "concierge-demo"


@app.command("seed-demo")
def seed_demo(
    seed: Annotated[int, typer.Option(help="Same seed, same data.")] = 1,
    size: Annotated[
        str, typer.Option(help="tiny, small (to explore), medium, or bench (400k messages).")
    ] = "small",
    reset: Annotated[bool, typer.Option(help="Delete every row of the database first.")] = False,
) -> None:
    """Migrate the database and fill it with realistic demo data; prints a login."""
    from gql.settings import get_settings
    from persistence import migrations
    from persistence.demo import SIZES, DemoDataExists
    from persistence.demo import seed_demo as seed_database
    from persistence.engine import create_engine
    from persistence.services.credentials import Passwords

    if size not in SIZES:
        raise typer.BadParameter(f"choose one of {', '.join(SIZES)}", param_hint="--size")
    settings = get_settings()
    chosen = SIZES[size]

    async def run(advance: Callable[[str, int], None]) -> None:
        await migrations.upgrade()
        engine = create_engine(settings)
        try:
            await seed_database(
                engine,
                hashed_password=Passwords(settings).hash_now(DEMO_PASSWORD),
                size=chosen,
                seed=seed,
                reset=reset,
                progress=advance,
            )
        finally:
            await engine.dispose()

    typer.echo(f"seeding {settings.database.display} with the {size} demo dataset (seed {seed})")
    with typer.progressbar(length=chosen.rows, label="rows") as bar:
        try:
            asyncio.run(run(lambda _table, count: bar.update(count)))
        except DemoDataExists as error:
            typer.echo(f"\n{error}: add --reset to replace every row", err=True)
            raise typer.Exit(1) from error
    typer.echo(f"log in as `demo` with password `{DEMO_PASSWORD}` (logIn mutation)")
