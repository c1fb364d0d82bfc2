"""The read-replica benchmark line (bench/replicas.py) on a tiny dataset for a
second per workload, so it cannot rot: a primary and a replica of its own are
started, every read answers without errors, and with the replica configured
the reads are answered by it."""

from __future__ import annotations

import asyncio

from bench.replicas import run_replica_bench
from bench.run import BenchOptions


async def test_the_replica_benchmark_reads_from_the_primary_then_the_replica(tmp_path):
    options = BenchOptions(size="tiny", seconds=1, connections=2, output=tmp_path, log=False)
    results = await asyncio.to_thread(run_replica_bench, options, ("inbox", "by-id"))

    assert [(r.workload, r.mode, r.on_replica) for r in results] == [
        ("inbox", "primary only", False),
        ("by-id", "primary only", False),
        ("inbox", "primary + 1 replica", True),
        ("by-id", "primary + 1 replica", True),
    ]
    for result in results:
        assert result.run.requests > 0
        assert result.run.errors == 0
