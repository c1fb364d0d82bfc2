"""A PostgreSQL primary and a streaming replica of their own, in one directory.

The primary is made with ``initdb``; the replica is ``pg_basebackup -R`` of it
(``-R`` writes ``standby.signal`` and the connection it streams from), so it
replays the primary's WAL as a production standby does. Both listen on
127.0.0.1 at free ports and accept ``postgres`` without a password. Used by the
read-replica tests and by the benchmark's replica line.

PostgreSQL refuses to run as root: under root, every server command runs as
the ``postgres`` user (``runuser``), which owns the directory.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

# Settings for throwaway servers: nothing needs to survive a crash.
_SERVER_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
    "-c full_page_writes=off -c max_connections=100 -c shared_buffers=64MB "
    "-c wal_level=replica -c max_wal_senders=5 -c hot_standby=on "
    "-c wal_receiver_status_interval=1 -c hot_standby_feedback=on"
)


def postgres_bin() -> Path:
    """The directory of PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup)."""
    pg_config = shutil.which("pg_config")
    if pg_config is not None:
        found = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        if found and Path(found, "initdb").exists():
            return Path(found)
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    raise RuntimeError("PostgreSQL's server programs (initdb, pg_basebackup) are not installed")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """One PostgreSQL server: its data directory and port."""

    data: Path
    port: int
    log: Path
    pair: StreamingPair = field(repr=False)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self.pair.run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
            "-o", f"-p {self.port} -k {self.pair.root} {_SERVER_OPTIONS}", "start",
        )  # fmt: skip

    def stop(self) -> None:
        self.pair.run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement with psql; its output, unaligned and without headers."""
        completed = subprocess.run(
            ["psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.url(database),
             "-c", statement],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return completed.stdout.strip()


class StreamingPair:
    """A primary and its streaming replica under ``root`` (a new temporary directory
    by default), started by :meth:`start` and removed by :meth:`stop`."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root or Path(tempfile.mkdtemp(prefix="concierge-replication-"))
        self.bin = postgres_bin()
        self._as_postgres = os.geteuid() == 0
        self.primary = Server(self.root / "primary", free_port(), self.root / "primary.log", self)
        self.replica = Server(self.root / "replica", free_port(), self.root / "replica.log", self)

    def run(self, program: str, *arguments: str) -> None:
        command = [str(self.bin / program), *arguments]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        completed = subprocess.run(command, capture_output=True, text=True, check=False)
        if completed.returncode != 0:
            logs = "".join(
                f"\n--- {log.name}\n{log.read_text()[-2000:]}"
                for log in (self.primary.log, self.replica.log)
                if log.exists()
            )
            raise RuntimeError(
                f"{program} failed ({completed.returncode}): {completed.stderr.strip()}{logs}"
            )

    def start(self) -> StreamingPair:
        self.root.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self.root.chmod(0o700)
        self.run(
            "initdb", "-D", str(self.primary.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        self.primary.start()
        self.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
            "-D", str(self.replica.data), "-R", "-X", "stream", "-c", "fast", "--no-sync",
        )  # fmt: skip
        self.replica.start()
        return self

    def pause_replay(self) -> None:
        """The replica keeps receiving WAL but stops applying it: it falls behind.
        Returns once it has stopped (pausing is a request the replica acts on)."""
        self.replica.sql("SELECT pg_wal_replay_pause()")
        deadline = time.monotonic() + 30
        while self.replica.sql("SELECT pg_get_wal_replay_pause_state()") != "paused":
            if time.monotonic() > deadline:
                raise RuntimeError("the replica did not pause its replay")
            time.sleep(0.01)

    def resume_replay(self) -> None:
        self.replica.sql("SELECT pg_wal_replay_resume()")

    def caught_up(self) -> bool:
        """Whether the replica has replayed everything the primary has written."""
        written = self.primary.sql("SELECT pg_current_wal_lsn()")
        return self.replica.sql(f"SELECT pg_last_wal_replay_lsn() >= '{written}'::pg_lsn") == "t"

    def stop(self) -> None:
        for server in (self.replica, self.primary):
            with contextlib.suppress(RuntimeError):
                server.stop()
        shutil.rmtree(self.root, ignore_errors=True)
