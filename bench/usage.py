"""What a timed run cost the machine, read from /proc (Linux only, as the bench is).

Requests per second compare servers that share two cores with wrk and
PostgreSQL; CPU per request says which side of the socket did the work:
the server process (utime + stime of all its threads) or PostgreSQL (the
backends serving the benchmark's database). Peak RSS is the server's VmHWM
over the run: the kernel's high-water mark is reset before each run
(``clear_refs`` 5), so each workload shows its own peak.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Usage:
    """Per request over one timed run; None where it could not be read."""

    server_cpu_ms: float | None = None
    postgres_cpu_ms: float | None = None
    peak_rss_mb: float | None = None


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of ``pid`` (every thread), or None once it is gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after it.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def postgres_backends(database: str) -> list[int]:
    """PostgreSQL's backend processes connected to ``database``, by their process
    title ("postgres: [cluster:] user database host(port) state"), so that other
    databases on the same server (another engineer's tests) do not count."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if title.startswith("postgres:") and database in title.split()[1:]:
            found.append(int(entry.name))
    return found


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM of ``pid`` in MiB: its resident set's high-water mark."""
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def reset_peak_rss(pid: int) -> bool:
    """Start ``pid``'s high-water mark again from its current RSS (Linux >= 4.0)."""
    with contextlib.suppress(OSError):
        (PROC / str(pid) / "clear_refs").write_text("5")
        return True
    return False


class Meter:
    """Readings of one server and of the database's backends around a timed run.

    Backends are read at both ends of the run and every ``SAMPLE_S`` during it:
    one that connects during the run counts from zero, and one that disconnects
    before its end counts up to its last reading. (Read only at both ends, a pool
    that opened and closed overflow connections under load hid most of its
    statements' CPU: Concierge's inbox showed 0.26 ms of PostgreSQL CPU per
    request where its backends spent about 1.5.)"""

    SAMPLE_S = 0.1

    def __init__(self, pid: int, database: str, *, rss: bool = True, sample: bool = True) -> None:
        self.pid = pid
        self.database = database
        self.rss = rss
        # Off when ``pid`` is this process (the floor): its sampling would be counted.
        self.sample = sample
        self._server: float | None = None
        self._postgres: dict[int, float] = {}
        self._seen: dict[int, float] = {}
        self._running = threading.Event()
        self._sampler: threading.Thread | None = None

    def _sample(self) -> None:
        while not self._running.wait(self.SAMPLE_S):
            self._seen.update(self._postgres_now())

    def _postgres_now(self) -> dict[int, float]:
        readings = {pid: cpu_seconds(pid) for pid in postgres_backends(self.database)}
        return {pid: seconds for pid, seconds in readings.items() if seconds is not None}

    def start(self) -> None:
        if self.rss:
            reset_peak_rss(self.pid)
        self._server = cpu_seconds(self.pid)
        self._postgres = self._postgres_now()
        self._seen = dict(self._postgres)
        self._running.clear()
        if self.sample:
            self._sampler = threading.Thread(target=self._sample, daemon=True)
            self._sampler.start()

    def stop(self, requests: int) -> Usage:
        """The usage since ``start``, per request of the ``requests`` served."""
        server = cpu_seconds(self.pid)
        self._running.set()
        if self._sampler is not None:
            self._sampler.join()
        postgres = {**self._seen, **self._postgres_now()}
        if not requests:
            return Usage()
        server_ms = None
        if server is not None and self._server is not None:
            server_ms = 1000 * (server - self._server) / requests
        postgres_ms = None
        if postgres:
            spent = sum(now - self._postgres.get(pid, 0.0) for pid, now in postgres.items())
            postgres_ms = 1000 * spent / requests
        return Usage(server_ms, postgres_ms, peak_rss_mb(self.pid) if self.rss else None)
