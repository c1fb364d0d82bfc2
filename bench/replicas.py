"""Read throughput with one replica beside the primary: the benchmark's reads,
by wrk against one uvicorn worker, first reading from the primary alone, then
with ``DATABASE_REPLICA_URL`` naming a streaming replica.

    python -m bench.replicas --size bench --seconds 10 --connections 16

The primary and the replica are PostgreSQL servers of the benchmark's own
(bench/replication.py: initdb, then pg_basebackup -R), on this machine; the
dataset is seeded on the primary and replayed by the replica before anything is
timed. On one machine the replica shares its cores with the primary, Concierge
and wrk, so this measures what routing costs and spreads, not what a second
machine would add.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import time
from dataclasses import dataclass

import httpx

from bench.load import LoadRun, run_wrk
from bench.replication import StreamingPair
from bench.run import BenchOptions, bench_settings, prepare_operator, serving
from bench.workloads import workloads

READS = ("inbox", "deep", "by-id")
DATABASE = "concierge_bench"


@dataclass(frozen=True)
class ReplicaResult:
    workload: str
    mode: str
    run: LoadRun
    on_replica: bool
    round: int = 1

    def line(self) -> str:
        return (
            f"| {self.round} | {self.workload} | {self.mode} | {self.run.per_second:,.0f} | "
            f"{self.run.p50_ms:.1f} | {self.run.p99_ms:.1f} | {self.run.errors} | "
            f"{'replica-1' if self.on_replica else 'primary'} |"
        )


def read_from(server_timing: str) -> bool:
    """Whether a response's ``Server-Timing`` names a replica."""
    return any(entry.strip().startswith("replica;") for entry in server_timing.split(","))


def run_replica_bench(
    options: BenchOptions, reads: tuple[str, ...] = READS, rounds: int = 1
) -> list[ReplicaResult]:
    """Each read timed in each mode, the modes taking turns ``rounds`` times (so that
    neither profits alone from what the other warmed up)."""
    pair = StreamingPair().start()
    try:
        pair.primary.sql(f"CREATE DATABASE {DATABASE}")
        options = dataclasses.replace(options, database_url=pair.primary.url(DATABASE))
        settings = bench_settings(options)
        token, targets = asyncio.run(prepare_operator(options))
        deadline = time.monotonic() + 120
        while not pair.caught_up():
            if time.monotonic() > deadline:
                raise RuntimeError("the replica did not catch up with the seeded primary")
            time.sleep(0.2)
        chosen = [workload for workload in workloads(targets) if workload.name in reads]
        modes = {
            "primary only": {},
            "primary + 1 replica": {"DATABASE_REPLICA_URL": pair.replica.url(DATABASE)},
        }
        results = []
        for round_ in range(1, rounds + 1):
            for mode, env in modes.items():
                with serving("concierge", "gql.server.app:create_app", settings, env) as server:
                    for workload in chosen:
                        on_replica = _warm(server.url, workload.bodies[0], token, bool(env))
                        run = run_wrk(
                            server.url,
                            workload,
                            token,
                            connections=options.connections,
                            seconds=options.seconds,
                        )
                        results.append(ReplicaResult(workload.name, mode, run, on_replica, round_))
        return results
    finally:
        pair.stop()


def _warm(url: str, body: bytes, token: str, expect_replica: bool) -> bool:
    """A few requests first (caches, the replica's first check); whether the last was
    read from the replica (it must be when one is configured)."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    deadline = time.monotonic() + 30
    with httpx.Client(timeout=30, headers=headers) as client:
        while True:
            response = client.post(url, content=body)
            response.raise_for_status()
            if "errors" in response.json():
                raise RuntimeError(f"the read failed: {response.text}")
            on_replica = read_from(response.headers["server-timing"])
            if on_replica == expect_replica or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    if on_replica != expect_replica:
        raise RuntimeError("reads did not go where the configuration says")
    return on_replica


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.replicas", description=__doc__)
    parser.add_argument("--size", default="bench")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    options = BenchOptions(
        size=args.size, connections=args.connections, seconds=args.seconds, profile=False
    )
    results = run_replica_bench(options, rounds=args.rounds)
    print("| round | workload | reads from | req/s | p50 ms | p99 ms | errors | answered by |")
    print("|---:|---|---|---:|---:|---:|---:|---|")
    for result in results:
        print(result.line())


if __name__ == "__main__":
    main()
