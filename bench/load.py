"""Driving a live server with wrk: POST bodies, the bearer token, fixed concurrency.

A generated Lua script rotates over the workload's bodies, counts responses that
are not HTTP 200 or carry GraphQL errors, and prints one JSON line of results.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.workloads import Workload

_SCRIPT = """
local bodies = {%(bodies)s}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"

local threads = {}
function setup(thread) table.insert(threads, thread) end

local sent = 0
failed = 0
function request()
  sent = sent + 1
  return wrk.format(nil, "/graphql", nil, bodies[(sent %% #bodies) + 1])
end

function response(status, headers, body)
  if status ~= 200 or string.find(body, '"errors":%%s*%%[%%s*{') then
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local graphql = 0
  for _, thread in ipairs(threads) do graphql = graphql + thread:get("failed") end
  local e = summary.errors
  io.write(string.format(
    'WRK-RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"socket_errors": %%d, "failed": %%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, graphql))
end
"""


@dataclass(frozen=True)
class LoadRun:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError("wrk is not installed: run `bash .ci/ensure-wrk`")
    return found


def run_wrk(
    url: str, workload: Workload, token: str, *, connections: int, seconds: float
) -> LoadRun:
    """Run wrk against ``url`` for ``seconds`` and read its results line."""
    bodies = ", ".join(f"[==[{body.decode()}]==]" for body in workload.bodies)
    script = _SCRIPT % {"bodies": bodies, "token": token}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        completed = subprocess.run(
            [
                wrk_path(),
                f"-t{min(2, connections)}",
                f"-c{connections}",
                f"-d{seconds:g}s",
                "--timeout",
                "10s",
                "-s",
                file.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        )
    finally:
        Path(file.name).unlink()
    for line in completed.stdout.splitlines():
        if line.startswith("WRK-RESULT "):
            result = json.loads(line.removeprefix("WRK-RESULT "))
            return LoadRun(
                requests=result["requests"],
                seconds=result["duration_us"] / 1e6,
                p50_ms=result["p50_us"] / 1000,
                p99_ms=result["p99_us"] / 1000,
                errors=result["socket_errors"] + result["failed"],
            )
    raise RuntimeError(f"wrk printed no result:\n{completed.stdout}\n{completed.stderr}")
