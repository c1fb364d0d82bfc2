"""Automatic persisted queries against full documents: requests per second of the
same read sent as its full text and as its SHA-256 alone (POST and GET), by wrk
against one uvicorn worker.

    python -m bench.apq --database-url postgresql://postgres@127.0.0.1/concierge_bench \\
        --size bench --seconds 10 --connections 16

The dataset is seeded as `python -m bench` seeds it (left alone when loaded).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
from dataclasses import dataclass

import httpx

from bench.load import LoadRun, run_wrk
from bench.run import DEFAULT_DATABASE_URL, BenchOptions, bench_settings, prepare_operator, serving
from bench.workloads import DEEP_APOLLO, Workload


@dataclass(frozen=True)
class ApqResult:
    mode: str
    body_bytes: int
    run: LoadRun

    def line(self) -> str:
        return (
            f"| {self.mode} | {self.body_bytes} | {self.run.per_second:,.0f} | "
            f"{self.run.p50_ms:.1f} | {self.run.p99_ms:.1f} | {self.run.errors} |"
        )


def bodies(document: str) -> dict[str, bytes]:
    """The request bodies of one read: its full text, and its hash alone."""
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": _sha(document)}}
    return {
        "full document": json.dumps({"query": document, "variables": {}}).encode(),
        "APQ hash only": json.dumps({"extensions": extensions, "variables": {}}).encode(),
    }


def _sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def run_apq_bench(options: BenchOptions, document: str = DEEP_APOLLO) -> list[ApqResult]:
    """Time ``document`` (the deep read with ``__typename``, as Apollo sends it) sent
    in full and as its hash alone, after one request that registers it."""
    settings = bench_settings(options)
    token, _ = asyncio.run(prepare_operator(options))
    headers = {"Authorization": f"Bearer {token}"}
    results = []
    with serving("concierge", "gql.server.app:create_app", settings) as server:
        extensions = {"persistedQuery": {"version": 1, "sha256Hash": _sha(document)}}
        with httpx.Client(timeout=30, headers=headers) as client:
            # Registers the document (APQ's second request) and warms the caches.
            first = {"query": document, "extensions": extensions}
            registered = client.post(server.url, json=first)
            registered.raise_for_status()
            if "errors" in registered.json():
                raise RuntimeError(f"the read failed: {registered.text}")
        for mode, body in bodies(document).items():
            run = run_wrk(
                server.url,
                Workload(mode, (body,)),
                token,
                connections=options.connections,
                seconds=options.seconds,
            )
            results.append(ApqResult(mode, len(body), run))
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.apq", description=__doc__)
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--size", default="bench")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    options = BenchOptions(
        database_url=args.database_url,
        size=args.size,
        connections=args.connections,
        seconds=args.seconds,
        profile=False,
    )
    results = run_apq_bench(options)
    print("| request | body bytes | req/s | p50 ms | p99 ms | errors |")
    print("|---|---|---|---|---|---|")
    for result in results:
        print(result.line())


if __name__ == "__main__":
    main()
