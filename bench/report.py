"""The results as a markdown table, with the ratios and targets of the issue."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.profile import ProfileSummary
from bench.usage import Usage
from bench.workloads import APOLLO_VARIANTS, STATEMENT_TARGETS

SERVERS = ("concierge", "concierge-loader", "naive", "postgraphile", "floor")
# Concierge's req/s before compiled reads, on this machine (the loader path then
# was the only one): the loader path, compiled reads off, is to reach 2x these.
LOADER_BEFORE = {"inbox": 71.0, "deep": 22.5}


@dataclass(frozen=True)
class Measurement:
    workload: str
    server: str
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    statements: float
    usage: Usage = field(default_factory=Usage)

    @property
    def cpu_ms(self) -> float | None:
        """Server and PostgreSQL CPU per request: what a request costs the machine."""
        if self.usage.server_cpu_ms is None or self.usage.postgres_cpu_ms is None:
            return None
        return self.usage.server_cpu_ms + self.usage.postgres_cpu_ms


@dataclass
class Report:
    dataset: str
    connections: int
    seconds: float
    machine: str
    measurements: list[Measurement]
    profile: ProfileSummary | None = None
    loaded_seconds: float | None = None
    finished_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def find(self, workload: str, server: str) -> Measurement | None:
        for measurement in self.measurements:
            if measurement.workload == workload and measurement.server == server:
                return measurement
        return None

    def workloads(self) -> list[str]:
        return list(dict.fromkeys(m.workload for m in self.measurements))

    def ratio(self, workload: str, other: str) -> float | None:
        """Concierge's throughput over ``other``'s (floor: its per-request time over ours)."""
        ours, theirs = self.find(workload, "concierge"), self.find(workload, other)
        if ours is None or theirs is None or not theirs.per_second:
            return None
        return ours.per_second / theirs.per_second

    def loader_speedup(self, workload: str) -> float | None:
        """The loader path's req/s (compiled reads off) over Concierge's before them."""
        loader, before = self.find(workload, "concierge-loader"), LOADER_BEFORE.get(workload)
        return loader.per_second / before if loader is not None and before else None

    def cpu_ratio(self, workload: str, other: str) -> float | None:
        """Concierge's CPU per request (server + PostgreSQL) over ``other``'s."""
        ours, theirs = self.find(workload, "concierge"), self.find(workload, other)
        if ours is None or theirs is None or ours.cpu_ms is None or not theirs.cpu_ms:
            return None
        return ours.cpu_ms / theirs.cpu_ms

    def markdown(self) -> str:
        lines = [
            f"# Concierge benchmark, {self.finished_at:%Y-%m-%d %H:%M} UTC",
            "",
            f"Machine: {self.machine}. Dataset: {self.dataset}"
            + (f" (loaded in {self.loaded_seconds:.1f} s)" if self.loaded_seconds else "")
            + f". Load: wrk, {self.connections} connections x {self.seconds:g} s per workload"
            " over loopback to uvicorn (1 worker, uvloop, httptools) for Concierge and the"
            " naive baseline, and to PostGraphile 5 (library mode, Amber preset, grafserv on"
            " node:http, 1 process, Node 24); the floor is timed in-process at the same"
            " concurrency. Every server answered each workload with the same rows before"
            " anything was timed.",
            "",
            "CPU ms/request: utime + stime over the run, divided by the requests served, of"
            " the server process (the floor: the bench process, its load loop included) and"
            " of PostgreSQL's backends for the benchmark's database. Peak RSS: the server's"
            " VmHWM during the run. SQL/request: Concierge and the naive baseline counted in"
            " process, PostGraphile on the wire (Query and Execute messages through a proxy).",
            "",
            "| workload | server | req/s | p50 ms | p99 ms | errors | SQL/request "
            "| server CPU ms/req | PostgreSQL CPU ms/req | peak RSS MB |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for workload in self.workloads():
            for server in SERVERS:
                m = self.find(workload, server)
                if m is not None:
                    lines.append(
                        f"| {workload} | {server} | {m.per_second:,.0f} | {m.p50_ms:.2f} "
                        f"| {m.p99_ms:.2f} | {m.errors} | {m.statements:g} "
                        f"| {_ms(m.usage.server_cpu_ms)} | {_ms(m.usage.postgres_cpu_ms)} "
                        f"| {_mb(m.usage.peak_rss_mb)} |"
                    )
        lines += [
            "",
            "| workload | Concierge/PostGraphile (req/s) | Concierge/PostGraphile (CPU/req) "
            "| Concierge/naive (req/s) | Concierge/floor (req/s) "
            "| floor time / Concierge time | SQL target | met |",
            "|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for workload in self.workloads():
            naive, floor = self.ratio(workload, "naive"), self.ratio(workload, "floor")
            peer = self.ratio(workload, "postgraphile")
            ours = self.find(workload, "concierge")
            target = STATEMENT_TARGETS.get(workload)
            met = "" if target is None or ours is None else _yes(ours.statements <= target)
            lines.append(
                f"| {workload} | {_x(peer)} | {_x(self.cpu_ratio(workload, 'postgraphile'))} "
                f"| {_x(naive)} | {_x(floor)} "
                f"| {_x(1 / floor if floor else None)} | {target or '-'} | {met} |"
            )
        lines += ["", *self.apollo(), "", *self.targets()]
        if self.profile is not None:
            lines += ["", *profile_section(self.profile)]
        return "\n".join(lines) + "\n"

    def apollo(self) -> list[str]:
        """What Apollo's additions (``__typename`` everywhere, named fragments) cost
        each server: a variant's throughput over its plain workload's."""
        lines = [
            "| Apollo variant / plain (req/s) | concierge | postgraphile |",
            "|---|---:|---:|",
        ]
        for variant, plain in APOLLO_VARIANTS.items():
            shares = []
            for server in ("concierge", "postgraphile"):
                a, b = self.find(variant, server), self.find(plain, server)
                share = a.per_second / b.per_second if a and b and b.per_second else None
                shares.append(_x(share))
            lines.append(f"| {variant} / {plain} | {shares[0]} | {shares[1]} |")
        return lines

    def targets(self) -> list[str]:
        found = ["Targets of the issue:", ""]
        for workload in ("inbox", "deep"):
            naive, floor = self.ratio(workload, "naive"), self.ratio(workload, "floor")
            if naive is not None:
                found.append(f"- {workload}: >= 10x naive: {_yes(naive >= 10)} ({_x(naive)})")
            if floor is not None:
                slower = 1 / floor if floor else float("inf")
                found.append(
                    f"- {workload}: within 3x of the floor: {_yes(slower <= 3)}"
                    f" (Concierge takes {slower:.1f}x the floor's time per request)"
                )
        for workload in self.workloads():
            peer = self.ratio(workload, "postgraphile")
            if peer is not None:
                found.append(
                    f"- {workload}: at PostGraphile's speed (>= 1x its req/s):"
                    f" {_yes(peer >= 1)} ({_x(peer)})"
                )
            cpu = self.cpu_ratio(workload, "postgraphile")
            if cpu is not None:
                found.append(
                    f"- {workload}: server + PostgreSQL CPU per request <= PostGraphile's:"
                    f" {_yes(cpu <= 1)} ({_x(cpu)})"
                )
        for workload, before in LOADER_BEFORE.items():
            speedup = self.loader_speedup(workload)
            if speedup is not None:
                found.append(
                    f"- {workload}: loader path (compiled reads off) >= 2x the {before:g} req/s"
                    f" before compiled reads: {_yes(speedup >= 2)} ({_x(speedup)})"
                )
        ours = [m.usage.peak_rss_mb for m in self.measurements if m.server == "concierge"]
        theirs = [m.usage.peak_rss_mb for m in self.measurements if m.server == "postgraphile"]
        if all(ours) and all(theirs) and ours and theirs:
            found.append(
                f"- peak RSS under load <= PostGraphile's: {_yes(max(ours) <= max(theirs))}"  # type: ignore[type-var]
                f" ({_mb(max(ours))} against {_mb(max(theirs))} MB)"  # type: ignore[type-var]
            )
        return found


def profile_section(profile: ProfileSummary) -> list[str]:
    lines = [
        f"## Profile of the deep workload ({profile.requests} requests in process, "
        f"{1000 * profile.seconds / profile.requests:.1f} ms each, pyinstrument)",
        "",
        "| where (self time) | share |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {share:.1f}% |" for name, share in profile.by_package]
    lines += ["", "| hottest functions (self time) | share |", "|---|---:|"]
    lines += [f"| `{name}` | {share:.1f}% |" for name, share in profile.by_function]
    return lines


def describe_machine() -> str:
    import os

    cpus = os.cpu_count() or 0
    return f"{cpus} cores, {platform.machine()}, Python {platform.python_version()}"


def _x(value: float | None) -> str:
    """A ratio with two significant digits below 1 (0.12x), one decimal above."""
    if value is None:
        return "-"
    return f"{value:.2f}x" if value < 1 else f"{value:.1f}x"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"
