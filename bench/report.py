"""The results as a markdown table, with the ratios and targets of the issue."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.profile import ProfileSummary
from bench.usage import Usage
from bench.workloads import STATEMENT_TARGETS

SERVERS = ("concierge", "naive", "floor")


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

    def markdown(self) -> str:
        lines = [
            f"# Concierge benchmark, {self.finished_at:%Y-%m-%d %H:%M} UTC",
            "",
            f"Machine: {self.machine}. Dataset: {self.dataset}"
            + (f" (loaded in {self.loaded_seconds:.1f} s)" if self.loaded_seconds else "")
            + f". Load: wrk, {self.connections} connections x {self.seconds:g} s per workload"
            " over loopback to uvicorn (1 worker, uvloop, httptools); the floor is timed"
            " in-process at the same concurrency.",
            "",
            "CPU ms/request: utime + stime over the run, divided by the requests served, of"
            " the server process (the floor: the bench process, its load loop included) and"
            " of PostgreSQL's backends for the benchmark's database. Peak RSS: the server's"
            " VmHWM during the run. SQL/request: counted in process.",
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
            "| workload | Concierge/naive (req/s) | Concierge/floor (req/s) "
            "| floor time / Concierge time | SQL target | met |",
            "|---|---:|---:|---:|---:|---|",
        ]
        for workload in self.workloads():
            naive, floor = self.ratio(workload, "naive"), self.ratio(workload, "floor")
            ours = self.find(workload, "concierge")
            target = STATEMENT_TARGETS.get(workload)
            met = "" if target is None or ours is None else _yes(ours.statements <= target)
            lines.append(
                f"| {workload} | {_x(naive)} | {_x(floor)} "
                f"| {_x(1 / floor if floor else None)} | {target or '-'} | {met} |"
            )
        lines += ["", *self.targets()]
        if self.profile is not None:
            lines += ["", *profile_section(self.profile)]
        return "\n".join(lines) + "\n"

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
    return "-" if value is None else f"{value:.1f}x"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _mb(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _yes(ok: bool) -> str:
    return "yes" if ok else "**no**"
