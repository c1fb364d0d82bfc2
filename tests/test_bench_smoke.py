"""The benchmark end to end on a tiny dataset, two seconds per workload, so it cannot rot.

Needs PostgreSQL, wrk and npm (`make test` provides them); PostGraphile is
installed from the npm registry into bench/postgraphile/ on the first run."""

from __future__ import annotations

from pathlib import Path

from bench.report import SERVERS
from bench.run import BenchOptions, run_bench
from bench.workloads import APOLLO_VARIANTS, STATEMENT_TARGETS
from tests.conftest import _create_postgres_database, _drop_postgres_database

WORKLOADS = ("inbox", "inbox-apollo", "deep", "deep-apollo", "by-id", "write")


def _runs(workload: str, server: str) -> bool:
    """Which servers time which workload (bench.run.plan and FLOOR_WORKLOADS)."""
    if server == "concierge-loader":  # compiled reads off: the reads only
        return workload != "write"
    if workload in APOLLO_VARIANTS:
        return server in ("concierge", "postgraphile")
    return not (workload == "write" and server == "postgraphile")


async def test_the_benchmark_runs_end_to_end_and_meets_its_statement_targets(tmp_path: Path):
    name, url = await _create_postgres_database()
    try:
        # run_bench checks that every server answers with the same rows before
        # it times anything, and raises if they differ.
        report = await run_bench(
            BenchOptions(
                database_url=url,
                size="tiny",
                seconds=2,  # a slow server still completes requests on a busy machine
                connections=4,
                output=tmp_path,
                log=False,
                profile_requests=5,
            )
        )
    finally:
        await _drop_postgres_database(name)

    for workload in WORKLOADS:
        for server in SERVERS:
            measured = report.find(workload, server)
            if not _runs(workload, server):
                assert measured is None, measured
                continue
            assert measured is not None, (workload, server)
            assert measured.per_second > 0, measured
            assert measured.errors == 0, measured
            assert measured.p99_ms >= measured.p50_ms > 0, measured
            assert measured.statements >= 1, measured
            assert measured.usage.server_cpu_ms, measured
            assert measured.usage.postgres_cpu_ms, measured
            assert (measured.usage.peak_rss_mb is None) == (server == "floor"), measured
    for workload, target in STATEMENT_TARGETS.items():
        concierge = report.find(workload, "concierge")
        assert concierge is not None
        assert concierge.statements <= target, concierge
        loader = report.find(workload, "concierge-loader")  # the loader path keeps its bounds
        assert loader is not None and loader.statements <= target, loader
        naive = report.find(workload, "naive")
        if naive is not None:
            assert naive.statements > concierge.statements or workload == "by-id"
    markdown = report.markdown()
    for column in (
        "req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "SQL/request",
        "server CPU ms/req",
        "PostgreSQL CPU ms/req",
        "peak RSS MB",
        "Concierge/naive",
        "Concierge/PostGraphile (req/s)",
    ):
        assert column in markdown
    assert "| inbox | postgraphile |" in markdown
    assert "| inbox | concierge-loader |" in markdown
    assert "loader path (compiled reads off)" in markdown
    assert report.profile is not None and report.profile.by_package
    assert _results_written_to(tmp_path) == [markdown]


def _results_written_to(folder: Path) -> list[str]:
    return [path.read_text() for path in folder.glob("*-tiny.md")]
