"""`python -m bench` (or `make bench`): seed PostgreSQL, serve Concierge and the
naive baseline with uvicorn and PostGraphile with node, check that they answer
with the same rows, load each with wrk, time the floor, report."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench import naive, peer
from bench.equivalence import check_equivalence
from bench.floor import FLOOR_WORKLOADS, run_floor
from bench.load import run_wrk, wrk_path
from bench.processes import Served, answers_get, free_port, running
from bench.profile import profile_requests
from bench.report import Measurement, Report, describe_machine
from bench.statements import check_response, count_statements
from bench.usage import Meter
from bench.workloads import (
    APOLLO_VARIANTS,
    Targets,
    Workload,
    find_targets,
    postgraphile_workloads,
    workloads,
)
from gql.auth.tokens import issue_token
from gql.cli import DEMO_PASSWORD
from gql.server.app import create_app
from gql.settings import Settings
from persistence import migrations
from persistence.config import normalise_database_url
from persistence.demo import SIZES, seed_demo
from persistence.engine import create_engine
from persistence.models import Message, User
from persistence.services.credentials import Passwords

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/concierge_bench"
)
SECRET_KEY = "concierge-benchmark-signing-key-0123456789"


@dataclass
class BenchOptions:
    database_url: str = DEFAULT_DATABASE_URL
    size: str = "bench"
    seed: int = 1
    connections: int = 16
    seconds: float = 10.0
    output: Path | None = PROJECT_ROOT / "bench" / "results"
    profile: bool = True
    profile_requests: int = 30
    reseed: bool = False
    log: bool = True

    def say(self, message: str) -> None:
        if self.log:
            print(message, file=sys.stderr, flush=True)


def bench_settings(options: BenchOptions) -> Settings:
    return Settings(
        DATABASE_URL=options.database_url, CONCIERGE_ENV="production", SECRET_KEY=SECRET_KEY
    )


async def ensure_database(url: str) -> None:
    """Create the benchmark's database when the server does not have it yet."""
    target = normalise_database_url(url)
    name = target.url.database
    admin = create_async_engine(
        target.url.set(database="postgres"),
        isolation_level="AUTOCOMMIT",
        connect_args=target.connect_args,
    )
    try:
        async with admin.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()


async def prepare_database(options: BenchOptions, settings: Settings) -> float | None:
    """Migrate and (re)seed unless the dataset is there untouched; returns load seconds."""
    await ensure_database(options.database_url)
    await migrations.upgrade(options.database_url)
    size = SIZES[options.size]
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            users = await connection.scalar(select(func.count()).select_from(User))
            messages = await connection.scalar(select(func.count()).select_from(Message))
        if (users, messages) == (size.operators, size.messages) and not options.reseed:
            options.say(f"dataset {size.name} already loaded")
            await settle(engine)
            return None
        options.say(f"loading the {size.name} dataset ({size.rows:,} rows)")
        started = time.perf_counter()
        await seed_demo(
            engine,
            hashed_password=Passwords(settings).hash_now(DEMO_PASSWORD),
            size=size,
            seed=options.seed,
            reset=True,
        )
        loaded = time.perf_counter() - started
        options.say(f"loaded in {loaded:.1f} s")
        await settle(engine)
        return loaded
    finally:
        await engine.dispose()


# PostGraphile orders the inbox by the column (its schema has no expression to
# order by): an index for that order, so that neither server scans and sorts.
PEER_INDEX = (
    "CREATE INDEX IF NOT EXISTS bench_conversations_owner_last_message"
    " ON conversations (owner_id, last_message_at DESC, id DESC)"
)


async def settle(engine: AsyncEngine) -> None:
    """The state a production database is in: PostGraphile's inbox index, the
    visibility map written and fresh planner statistics (VACUUM ANALYZE)."""
    async with engine.connect() as connection:
        autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
        await autocommit.execute(text(PEER_INDEX))
        await autocommit.execute(text("VACUUM ANALYZE"))


@contextlib.contextmanager
def serving(
    name: str, app: str, settings: Settings, extra_env: dict[str, str] | None = None
) -> Iterator[Served]:
    """Run ``app`` (an ASGI factory) under uvicorn: 1 worker, uvloop, httptools."""
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": settings.database_url.get_secret_value(),
        "CONCIERGE_ENV": settings.environment,
        "SECRET_KEY": SECRET_KEY,
        **(extra_env or {}),
    }
    command = [
        sys.executable, "-m", "uvicorn", app, "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with running(
        name,
        command,
        url=f"http://127.0.0.1:{port}/graphql",
        ready=answers_get(f"http://127.0.0.1:{port}/healthz"),
        env=env,
        cwd=PROJECT_ROOT,
    ) as served:
        yield served


def warm_up(url: str, jobs: list[Workload], token: str, seconds: float) -> None:
    """Every workload for at least 5 requests and ``seconds``, failing loudly if a
    server answers with errors. The time lets node's JIT compiler reach its
    steady state too, as Python's caches reach theirs in a few requests."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with httpx.Client(timeout=30) as client:
        for workload in jobs:
            sent, until = 0, time.monotonic() + seconds
            while sent < 5 or time.monotonic() < until:
                body = workload.bodies[sent % len(workload.bodies)]
                check_response(workload.name, client.post(url, content=body, headers=headers))
                sent += 1


def plan(targets: Targets) -> dict[str, list[Workload]]:
    """Which workloads each server runs, in its own documents: the naive baseline
    skips the Apollo variants (what they add is Concierge's and PostGraphile's
    concern, and the baseline's runs are the slowest) and PostGraphile the write."""
    ours = workloads(targets)
    return {
        "concierge": ours,
        # The loader path alone: what answers whatever compiled reads do not cover.
        "concierge-loader": [job for job in ours if job.name != "write"],
        "naive": [job for job in ours if job.name not in APOLLO_VARIANTS],
        "postgraphile": postgraphile_workloads(targets),
    }


def load(
    server: Served,
    workload: Workload,
    token: str,
    statements: float,
    options: BenchOptions,
    database: str,
) -> Measurement:
    """One timed wrk run of ``workload`` against ``server``, with its CPU and memory."""
    options.say(f"{workload.name}: {server.name}")
    meter = Meter(server.pid, database)
    meter.start()
    run = run_wrk(
        server.url, workload, token, connections=options.connections, seconds=options.seconds
    )
    usage = meter.stop(run.requests)
    return Measurement(
        workload.name, server.name, run.per_second, run.p50_ms, run.p99_ms, run.errors,
        statements, usage,
    )  # fmt: skip


async def load_floor(
    dsn: str, targets: Targets, workload: str, options: BenchOptions, database: str
) -> Measurement:
    """The floor's timed run of ``workload``; its CPU is the bench process's own."""
    options.say(f"{workload}: floor")
    run = await run_floor(
        dsn, targets, workload, connections=options.connections, seconds=options.seconds,
        meter=Meter(os.getpid(), database, rss=False, sample=False),
    )  # fmt: skip
    return Measurement(
        workload, "floor", run.requests / run.seconds, run.p50_ms, run.p99_ms, run.errors,
        run.statements_per_request, run.usage,
    )  # fmt: skip


async def count_in_process(
    settings: Settings, engine: AsyncEngine, jobs: dict[str, list[Workload]], token: str
) -> dict[tuple[str, str], float]:
    """Statements per request of Concierge and the naive baseline, on their engine."""
    statements: dict[tuple[str, str], float] = {}
    loader = settings.model_copy(update={"compiled_reads": False})
    for server, factory, configured in (
        ("concierge", create_app, settings),
        ("concierge-loader", create_app, loader),
        ("naive", naive.create_app, settings),
    ):
        for workload in jobs[server]:
            statements[server, workload.name] = await count_statements(
                factory, configured, engine, workload, token
            )
    return statements


async def prepare_operator(options: BenchOptions) -> tuple[str, Targets]:
    """Seed the dataset if needed; the demo operator's bearer token and the targets."""
    settings = bench_settings(options)
    await prepare_database(options, settings)
    engine = create_engine(settings)
    try:
        targets = await find_targets(engine)
    finally:
        await engine.dispose()
    return issue_token(User(id=targets.operator_id), settings), targets


async def run_bench(options: BenchOptions) -> Report:
    """The whole benchmark; returns the report (also written to ``options.output``)."""
    wrk_path()
    peer.ensure_installed(options.say)
    settings = bench_settings(options)
    loaded = await prepare_database(options, settings)
    engine = create_engine(settings)
    try:
        targets: Targets = await find_targets(engine)
        token = issue_token(User(id=targets.operator_id), settings)
        jobs = plan(targets)
        statements = await count_in_process(settings, engine, jobs, token)
        profile = None
        if options.profile:
            options.say("profiling the deep workload")
            deep = next(job for job in jobs["concierge"] if job.name == "deep")
            profile = await profile_requests(
                create_app(settings, engine), deep, token, requests=options.profile_requests
            )
    finally:
        await engine.dispose()

    dsn = settings.database.url.set(drivername="postgresql").render_as_string(hide_password=False)
    database = settings.database.url.database or ""
    options.say("counting PostGraphile's statements on the wire")
    for name, count in peer.count_statements(dsn, jobs["postgraphile"]).items():
        statements["postgraphile", name] = count
    measurements: list[Measurement] = []
    # Workload by workload, every server in turn: reads all see the same rows,
    # and the writes (last) change nothing another server reads afterwards.
    with (
        serving("concierge", "gql.server.app:create_app", settings) as concierge,
        serving(
            "concierge-loader",
            "gql.server.app:create_app",
            settings,
            {"COMPILED_READS": "false"},
        ) as loader,
        serving("naive", "bench.naive:create_app", settings) as baseline,
        peer.serving(dsn) as postgraphile,
    ):
        servers = {
            "concierge": concierge,
            "concierge-loader": loader,
            "naive": baseline,
            "postgraphile": postgraphile,
        }
        for name, server in servers.items():
            warm_up(server.url, jobs[name], token, seconds=min(1.0, options.seconds / 10))
        options.say("checking that every server answers with the same rows")
        await check_equivalence(servers, jobs, token, dsn, targets)
        for workload in jobs["concierge"]:
            for name, server in servers.items():
                job = next((job for job in jobs[name] if job.name == workload.name), None)
                if job is not None:
                    measurements.append(
                        load(server, job, token, statements[name, job.name], options, database)
                    )
            if workload.name in FLOOR_WORKLOADS:
                measurements.append(
                    await load_floor(dsn, targets, workload.name, options, database)
                )
    report = Report(
        dataset=f"{options.size} (seed {options.seed})",
        connections=options.connections,
        seconds=options.seconds,
        machine=describe_machine(),
        measurements=measurements,
        profile=profile,
        loaded_seconds=loaded,
    )
    if options.output is not None:
        write_results(report, options)
    return report


def write_results(report: Report, options: BenchOptions) -> Path:
    assert options.output is not None
    options.output.mkdir(parents=True, exist_ok=True)
    stamp = f"{report.finished_at:%Y-%m-%d}"
    path = options.output / f"{stamp}-{options.size}.md"
    path.write_text(report.markdown(), encoding="utf-8")
    if report.profile is not None:
        (options.output / f"{stamp}-{options.size}-profile-deep.txt").write_text(
            report.profile.text.replace(f"{PROJECT_ROOT}/", ""), encoding="utf-8"
        )
    options.say(f"wrote {path}")
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--size", default="bench", choices=sorted(SIZES))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--reseed", action="store_true", help="load the dataset even if present")
    parser.add_argument("--output", type=Path, default=BenchOptions.output)
    args = parser.parse_args(argv)
    options = BenchOptions(
        database_url=args.database_url,
        size=args.size,
        seed=args.seed,
        connections=args.connections,
        seconds=args.seconds,
        output=args.output,
        profile=not args.no_profile,
        reseed=args.reseed,
    )
    report = asyncio.run(run_bench(options))
    print(report.markdown())
