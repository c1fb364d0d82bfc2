"""The APQ benchmark line (bench/apq.py) on a tiny dataset for a second per mode,
so it cannot rot: both modes answer without errors, the hash-only body is smaller."""

from __future__ import annotations

import asyncio

from bench.apq import run_apq_bench
from bench.run import BenchOptions
from tests.conftest import _create_postgres_database, _drop_postgres_database


async def test_the_apq_benchmark_times_full_documents_and_hashes(tmp_path):
    name, url = await _create_postgres_database()
    try:
        options = BenchOptions(
            database_url=url, size="tiny", seconds=1, connections=2, output=tmp_path, log=False
        )
        results = await asyncio.to_thread(run_apq_bench, options)
    finally:
        await _drop_postgres_database(name)

    full, hashed = results
    assert (full.mode, hashed.mode) == ("full document", "APQ hash only")
    assert hashed.body_bytes < full.body_bytes
    for result in results:
        assert result.run.requests > 0
        assert result.run.errors == 0
