"""Upload throughput and the server's memory while files stream in.

For each size, a fresh Concierge (uvicorn, 1 worker, SQLite in a temporary
directory, FILES_DIR beside it) takes a warm-up upload, then uploads of that
many megabytes of random bytes streamed from disk by httpx. Reported per
size: MB/s of the best run, and the server's peak resident memory (VmHWM)
after the warm-up and after the uploads. Streaming means the peak does not
grow with the file: compare the 5 MB and 50 MB rows.

    python -m bench.uploads                 # 5 MB and 50 MB, 3 uploads each
    python -m bench.uploads --sizes 1 --repeat 1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson

from bench.processes import Served, answers_get, free_port, running
from persistence import migrations

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MB = 1_000_000
UPLOAD = (
    "mutation($file: Upload!) { uploadFile(input: {file: $file}) "
    "{ file { sizeBytes } errors { message } } }"
)


@dataclass(frozen=True)
class Measured:
    size_mb: int
    seconds: float
    peak_rss_after_warm_up_mb: float
    peak_rss_after_uploads_mb: float

    @property
    def mb_per_s(self) -> float:
        return self.size_mb / self.seconds


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident set size so far (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / MB
    raise RuntimeError("no VmHWM in /proc status")


@contextlib.contextmanager
def concierge(directory: Path, max_upload_bytes: int) -> Iterator[Served]:
    url = f"sqlite+aiosqlite:///{directory / 'concierge.db'}"
    asyncio.run(migrations.upgrade(url))
    port = free_port()
    env = os.environ | {
        "DATABASE_URL": url,
        "CONCIERGE_ENV": "development",
        "FILES_DIR": str(directory / "files"),
        "MAX_UPLOAD_BYTES": str(max_upload_bytes),
        "ARGON2_TIME_COST": "1",
        "ARGON2_MEMORY_KIB": "8",
        "ARGON2_PARALLELISM": "1",
        "LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable, "-m", "uvicorn", "gql.server.app:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    with running(
        "concierge",
        command,
        url=f"http://127.0.0.1:{port}/graphql",
        ready=answers_get(f"http://127.0.0.1:{port}/healthz"),
        env=env,
        cwd=PROJECT_ROOT,
    ) as served:
        yield served


def sign_up(client: httpx.Client, url: str) -> str:
    query = (
        'mutation { signUp(input: {email: "bench@example.com", username: "bench", '
        'password: "correct-horse-1"}) { token } }'
    )
    return str(client.post(url, json={"query": query}).json()["data"]["signUp"]["token"])


def random_file(path: Path, size: int) -> Path:
    with path.open("wb") as out:
        for start in range(0, size, MB):
            out.write(os.urandom(min(MB, size - start)))
    return path


def upload(client: httpx.Client, url: str, token: str, path: Path) -> float:
    """Upload ``path`` (streamed from disk); the seconds it took."""
    operations = orjson.dumps({"query": UPLOAD, "variables": {"file": None}})
    started = time.perf_counter()
    with path.open("rb") as data:
        response = client.post(
            url,
            data={"operations": operations, "map": b'{"0": ["variables.file"]}'},
            files={"0": (path.name, data, "application/octet-stream")},
            headers={"Authorization": f"Bearer {token}", "Apollo-Require-Preflight": "true"},
        )
    elapsed = time.perf_counter() - started
    payload = response.json()["data"]["uploadFile"]
    if response.status_code != 200 or payload["errors"]:
        raise RuntimeError(f"upload failed: {response.status_code} {response.text[:300]}")
    if payload["file"]["sizeBytes"] != path.stat().st_size:
        raise RuntimeError("the stored size differs from the file's")
    return elapsed


def measure(size_mb: int, repeat: int) -> Measured:
    with tempfile.TemporaryDirectory(prefix="concierge-uploads-") as raw:
        directory = Path(raw)
        files = [random_file(directory / f"{n}.bin", size_mb * MB) for n in range(repeat)]
        warm = random_file(directory / "warm.bin", 64 * 1024)
        with concierge(directory, size_mb * MB + MB) as served, httpx.Client(timeout=600) as c:
            token = sign_up(c, served.url)
            upload(c, served.url, token, warm)
            upload(c, served.url, token, warm)
            before = peak_rss_mb(served.pid)
            seconds = min(upload(c, served.url, token, path) for path in files)
            after = peak_rss_mb(served.pid)
    return Measured(size_mb, seconds, before, after)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 50], help="in MB")
    parser.add_argument("--repeat", type=int, default=3, help="uploads per size (best counts)")
    arguments = parser.parse_args(argv)
    print("size MB | best s | MB/s | peak RSS after warm-up MB | after uploads MB | growth MB")
    for size in arguments.sizes:
        m = measure(size, arguments.repeat)
        growth = m.peak_rss_after_uploads_mb - m.peak_rss_after_warm_up_mb
        print(
            f"{m.size_mb:7d} | {m.seconds:6.3f} | {m.mb_per_s:6.1f} | "
            f"{m.peak_rss_after_warm_up_mb:25.1f} | {m.peak_rss_after_uploads_mb:16.1f} | "
            f"{growth:9.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
