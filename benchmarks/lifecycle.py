"""End-to-end benchmark of the call-log lifecycle, driven over HTTP like the browser extension does.

Why: the server's hot path is the call-log lifecycle. This script measures it through the real
server process (uvicorn, middleware, database, sample CRM) rather than in-process, so a change
anywhere on that path shows up here.

How to run (from the project root; one command, nothing to set up):

    .venv/bin/python benchmarks/lifecycle.py --calls 200 --concurrency 20
    .venv/bin/python benchmarks/lifecycle.py --calls 200 --concurrency 20 --workers 2 --json out.json
    .venv/bin/python benchmarks/lifecycle.py --database-url postgresql://user:pw@host/db   # operator's DB
    .venv/bin/python benchmarks/lifecycle.py --url http://127.0.0.1:6066                  # running server

Unless `--url` is given, the script starts `python -m appconnect serve` on a free port in a
temporary directory with a fresh SQLite database, a fresh sample-CRM database, a throw-away state
file and generated secrets, waits for `GET /isAlive`, and stops the server at the end.

Each simulated call (a distinct session id) goes through: `GET /isAlive` (a probe of pure HTTP
overhead, measured under the same load as the rest), `GET /contact`, `POST /callLog`,
`PATCH /callLog` with the final duration and result, `PATCH /callLog` with the recording link and
`GET /callLog?requireDetails=true`. Every answer must be HTTP 200 with `successful: true`, and the
read-back must show the recording link; anything else counts as an error, and a run with errors
says so loudly and exits 1.

Phases: an untimed warm-up, a sequential baseline (concurrency 1), then the measured run at
concurrency C. Each simulated agent logs in once (`POST /apiKeyLogin`, not timed).

Absolute figures depend on the machine (and the client shares it with the server), so the
project's rule is to compare *ratios measured in one run* across commits: each route's p50 over
the `GET /isAlive` p50 of the same phase, throughput at C over throughput at 1, and peak memory
over idle memory. The script prints both.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import psutil  # type: ignore[import-untyped]

CONTACT_NUMBERS = ("+14155550100", "+14155550101", "+442071234567")  # seeded in the sample CRM
AGENT_NUMBER = "+16505550199"

ALIVE = "GET /isAlive"
CONTACT = "GET /contact"
CREATE = "POST /callLog"
FINAL = "PATCH /callLog (duration, result)"
RECORDING = "PATCH /callLog (recordingLink)"
DETAILS = "GET /callLog (requireDetails)"
STEPS = (ALIVE, CONTACT, CREATE, FINAL, RECORDING, DETAILS)

EXIT_OK, EXIT_ERRORS, EXIT_SETUP = 0, 1, 2


class StepFailed(Exception):
    """One lifecycle step got a wrong answer; the message names the step and what came back."""


class SetupError(Exception):
    """The benchmark could not start (server did not come up, login refused, ...)."""


# -- measurements ---------------------------------------------------------------------------------


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolated percentile (numpy's default) of an already sorted list; NaN if empty."""
    if not sorted_values:
        return math.nan
    position = (len(sorted_values) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


@dataclass
class Phase:
    """Latencies and errors of one phase (a number of lifecycles at a fixed concurrency)."""

    name: str
    calls: int
    concurrency: int
    latencies: dict[str, list[float]] = field(default_factory=lambda: {step: [] for step in STEPS})
    errors: Counter[str] = field(default_factory=Counter)
    failed_lifecycles: int = 0
    requests: int = 0
    elapsed: float = 0.0

    async def call(
        self, client: httpx.AsyncClient, step: str, method: str, url: str, **kwargs: Any
    ) -> dict[str, Any]:
        """Send one request, time it (body read included) and return the JSON if it is a success."""
        self.requests += 1
        start = time.perf_counter()
        try:
            response = await client.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            raise StepFailed(f"{step}: {type(error).__name__}: {error}") from error
        self.latencies[step].append(time.perf_counter() - start)
        if response.status_code != 200:
            raise StepFailed(f"{step}: HTTP {response.status_code}: {response.text[:200]}")
        if step == ALIVE:
            return {}
        try:
            body = response.json()
        except ValueError as error:
            raise StepFailed(f"{step}: not JSON: {response.text[:200]}") from error
        if not isinstance(body, dict) or body.get("successful") is not True:
            message = body.get("returnMessage") if isinstance(body, dict) else body
            raise StepFailed(f"{step}: not successful: {json.dumps(message)[:200]}")
        return body

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def lifecycles_per_second(self) -> float:
        return self.calls / self.elapsed if self.elapsed else math.nan

    def requests_per_second(self) -> float:
        return self.requests / self.elapsed if self.elapsed else math.nan

    def stats(self, step: str) -> dict[str, float]:
        values = sorted(self.latencies[step])
        return {
            "count": len(values),
            "p50_ms": percentile(values, 0.50) * 1000,
            "p95_ms": percentile(values, 0.95) * 1000,
            "p99_ms": percentile(values, 0.99) * 1000,
        }

    def p50_over_alive(self, step: str) -> float:
        alive = percentile(sorted(self.latencies[ALIVE]), 0.5)
        return percentile(sorted(self.latencies[step]), 0.5) / alive if alive else math.nan

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "concurrency": self.concurrency,
            "elapsed_s": self.elapsed,
            "requests": self.requests,
            "lifecycles_per_s": self.lifecycles_per_second(),
            "requests_per_s": self.requests_per_second(),
            "failed_lifecycles": self.failed_lifecycles,
            "errors": dict(self.errors),
            "routes": {
                step: {**self.stats(step), "p50_over_isAlive_p50": self.p50_over_alive(step)}
                for step in STEPS
            },
        }


class MemorySampler:
    """Samples the summed RSS of a process and all its descendants (the uvicorn workers) in a thread."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.process = psutil.Process(pid)
        self.interval = interval
        self.peak = 0
        self.peak_processes = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def measure(self) -> tuple[int, int]:
        """(summed RSS in bytes, number of processes) right now."""
        total, count = 0, 0
        try:
            tree = [self.process, *self.process.children(recursive=True)]
        except psutil.Error:
            return 0, 0
        for proc in tree:
            try:
                total += proc.memory_info().rss
                count += 1
            except psutil.Error:  # a process that just exited
                continue
        return total, count

    def settled(self, min_processes: int, timeout: float = 15.0) -> int:
        """RSS once the expected processes exist and the total has stopped moving (idle baseline)."""
        deadline = time.monotonic() + timeout
        history: list[int] = []
        while time.monotonic() < deadline:
            rss, count = self.measure()
            history = [*history[-4:], rss] if count >= min_processes else []
            if len(history) == 5 and max(history) - min(history) <= 0.01 * max(history):
                return rss
            time.sleep(0.1)
        return self.measure()[0]

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, count = self.measure()
            self.samples += 1
            if rss > self.peak:
                self.peak, self.peak_processes = rss, count
            self._stop.wait(self.interval)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# -- the server -----------------------------------------------------------------------------------


@dataclass
class Server:
    url: str
    pid: int | None
    description: str


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_alive(url: str, process: subprocess.Popen[bytes], log_path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SetupError(f"the server exited with code {process.returncode}:\n{tail(log_path)}")
        try:
            if httpx.get(f"{url}/isAlive", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SetupError(f"the server did not answer GET /isAlive within {timeout:.0f}s:\n{tail(log_path)}")


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (uvicorn shuts its workers down gracefully), then SIGKILL the group we created."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # start_new_session=True: the group is ours alone
        process.wait()


@contextmanager
def started_server(workers: int, database_url: str | None, log_level: str | None) -> Iterator[Server]:
    """Run `python -m appconnect serve` in a temporary directory with fresh databases and secrets."""
    with tempfile.TemporaryDirectory(prefix="appconnect-bench-") as tmp:
        directory = Path(tmp)
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url or f"sqlite:///{directory / 'appconnect.db'}",
            "SAMPLE_CRM_DATABASE_URL": f"sqlite:///{directory / 'sample-crm.db'}",
            "APPCONNECT_STATE_FILE": str(directory / "state.json"),
            "APP_SERVER_SECRET_KEY": secrets.token_urlsafe(48),
            "HASH_KEY": secrets.token_urlsafe(48),
            "APPCONNECT_AUTO_MIGRATE": "true",
        }
        if log_level:
            env["LOG_LEVEL"] = log_level
        command = [sys.executable, "-m", "appconnect", "serve", "--host", "127.0.0.1", "--port", str(port)]
        command += ["--workers", str(workers)]
        log_path = directory / "server.log"
        with log_path.open("wb") as log:  # the child keeps its own descriptor
            process = subprocess.Popen(
                command, cwd=directory, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_alive(url, process, log_path)
            database = "PostgreSQL/other (--database-url)" if database_url else "fresh SQLite"
            yield Server(url, process.pid, f"started here: workers={workers}, database={database}")
        finally:
            stop_server(process)


# -- the simulated extension ----------------------------------------------------------------------


def call_record(session_id: str, phone: str, name: str) -> dict[str, Any]:
    """The `logInfo` the extension sends for an inbound call (see tests/e2e/conftest.py)."""
    return {
        "sessionId": session_id,
        "telephonySessionId": f"tel-{session_id}",
        "id": f"rc-{session_id}",
        "direction": "Inbound",
        "startTime": "2026-11-25T10:00:00.000Z",
        "duration": "pending",
        "result": "Call connected",
        "from": {"phoneNumber": phone, "name": name},
        "to": {"phoneNumber": AGENT_NUMBER, "extensionNumber": "101", "name": "Agent"},
        "customSubject": f"Inbound call from {name}",
    }


async def login(client: httpx.AsyncClient, api_key: str) -> str:
    try:
        response = await client.post("/apiKeyLogin", json={"platform": "sample", "apiKey": api_key})
        token = response.json().get("jwtToken") if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError) as error:
        raise SetupError(f"POST /apiKeyLogin failed: {error}") from error
    if not isinstance(token, str):
        raise SetupError(f"POST /apiKeyLogin refused: HTTP {response.status_code}: {response.text[:200]}")
    return token


async def lifecycle(client: httpx.AsyncClient, phase: Phase, token: str, session_id: str, phone: str) -> None:
    """One call from lookup to read-back; raises StepFailed at the first wrong answer."""
    auth = {"Authorization": f"Bearer {token}"}
    await phase.call(client, ALIVE, "GET", "/isAlive")
    found = await phase.call(client, CONTACT, "GET", "/contact", params={"phoneNumber": phone}, headers=auth)
    contacts = [c for c in found.get("contact") or [] if isinstance(c, dict) and not c.get("isNewContact")]
    if not contacts:
        raise StepFailed(f"{CONTACT}: no contact found for {phone}")
    contact = contacts[0]
    created = await phase.call(
        client,
        CREATE,
        "POST",
        "/callLog",
        headers=auth,
        json={
            "logInfo": call_record(session_id, phone, str(contact.get("name"))),
            "contactId": contact.get("id"),
            "contactName": contact.get("name"),
            "contactType": contact.get("type"),
            "note": "Benchmark call",
        },
    )
    log_id = str(created.get("logId"))
    final = await phase.call(
        client,
        FINAL,
        "PATCH",
        "/callLog",
        headers=auth,
        json={"sessionId": session_id, "duration": 95, "result": "Accepted"},
    )
    if str(final.get("logId")) != log_id:
        raise StepFailed(f"{FINAL}: logId {final.get('logId')!r}, expected {log_id!r}")
    link = f"https://media.example.com/rec/{session_id}"
    await phase.call(
        client,
        RECORDING,
        "PATCH",
        "/callLog",
        headers=auth,
        json={"sessionId": session_id, "recordingLink": link},
    )
    details = await phase.call(
        client,
        DETAILS,
        "GET",
        "/callLog",
        headers=auth,
        params={"sessionIds": session_id, "requireDetails": "true"},
    )
    logs = details.get("logs") or [{}]
    entry = logs[0] if isinstance(logs[0], dict) else {}
    body = str((entry.get("logData") or {}).get("fullBody", ""))
    if not entry.get("matched") or str(entry.get("logId")) != log_id or link not in body:
        raise StepFailed(f"{DETAILS}: read-back does not show the logged call: {json.dumps(entry)[:200]}")


async def run_phase(
    url: str, name: str, calls: int, concurrency: int, prefix: str, request_timeout: float
) -> Phase:
    """`calls` lifecycles shared by `concurrency` simulated agents, each with its own login."""
    phase = Phase(name, calls, concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=request_timeout, limits=limits) as client:
        tokens = [await login(client, f"{prefix}-agent-{i}") for i in range(concurrency)]
        numbers = iter(range(calls))  # shared by the agents: each takes the next call

        async def agent(token: str) -> None:
            for n in numbers:
                try:
                    phone = CONTACT_NUMBERS[n % len(CONTACT_NUMBERS)]
                    await lifecycle(client, phase, token, f"{prefix}-{name}-{n}", phone)
                except StepFailed as error:
                    phase.failed_lifecycles += 1
                    phase.errors[str(error)] += 1

        start = time.perf_counter()
        await asyncio.gather(*(agent(token) for token in tokens))
        phase.elapsed = time.perf_counter() - start
    return phase


async def server_version(url: str) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=5) as client:
        try:
            return str((await client.get("/serverVersionInfo")).json().get("version", "?"))
        except (httpx.HTTPError, ValueError, AttributeError):
            return "?"


# -- report ---------------------------------------------------------------------------------------


def mb(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 1e6:.1f} MB"


def report(results: dict[str, Any], sequential: Phase, concurrent: Phase) -> str:
    memory, ratios, c = results["memory"], results["ratios"], concurrent.concurrency
    lines = [
        f"appconnect lifecycle benchmark: server {results['server_version']}, Python {results['python']}, "
        f"{platform.system()}, {results['cpus']} CPUs shared by server and client",
        f"server: {results['server']} at {results['url']}",
        "",
        f"{'phase':<12}{'calls':>7}{'conc':>6}{'lifecycles/s':>14}{'requests/s':>12}{'errors':>8}",
    ]
    for phase in (sequential, concurrent):
        lines.append(
            f"{phase.name:<12}{phase.calls:>7}{phase.concurrency:>6}{phase.lifecycles_per_second():>14.1f}"
            f"{phase.requests_per_second():>12.1f}{phase.error_count:>8}"
        )
    lines += [
        "",
        "latency in ms; 'x alive' = p50 / p50 of GET /isAlive in the same phase",
        f"{'':<34}{'--- concurrent (C=' + str(c) + ') ---':^32} | {'-- C=1 --':^15}",
        f"{'route':<34}{'p50':>8}{'p95':>8}{'p99':>8}{'x alive':>8} | {'p50':>7}{'x alive':>8}",
    ]
    for step in STEPS:
        now, base = concurrent.stats(step), sequential.stats(step)
        lines.append(
            f"{step:<34}{now['p50_ms']:>8.2f}{now['p95_ms']:>8.2f}{now['p99_ms']:>8.2f}"
            f"{concurrent.p50_over_alive(step):>8.1f} | {base['p50_ms']:>7.2f}"
            f"{sequential.p50_over_alive(step):>8.1f}"
        )
    peak_over_idle = ratios["peak_rss_over_idle"]
    lines += [
        "",
        (
            f"memory: server peak RSS {mb(memory['peak_rss_bytes'])} summed over"
            f" {memory['peak_processes']} process(es) (idle after start {mb(memory['idle_rss_bytes'])};"
            f" {memory['samples']} samples)"
            if memory["samples"]
            else "memory: not sampled (server not started here)"
        ),
        "",
        "ratios measured in this run (compare these across commits):",
        f"  throughput C={c} / C=1:             {ratios['throughput_c_over_1']:.2f}x"
        f" (parallel efficiency {ratios['throughput_c_over_1'] / c:.0%})",
        f"  lifecycle p50 / isAlive p50 (C=1): {ratios['lifecycle_p50_over_alive_p50_sequential']:.1f}x",
        "  peak RSS / idle RSS:               "
        + ("n/a" if peak_over_idle is None else f"{peak_over_idle:.2f}x"),
        "",
    ]
    errors = sequential.errors + concurrent.errors
    if errors:
        failed = sequential.failed_lifecycles + concurrent.failed_lifecycles
        lines.append(
            f"!!! FAILED: {sum(errors.values())} error(s) in {failed} lifecycle(s);"
            " the figures above are NOT valid !!!"
        )
        lines += [f"  {count:>5} x {message}" for message, count in errors.most_common(10)]
    else:
        lines.append(
            f"OK: 0 errors in {sequential.calls + concurrent.calls} lifecycles"
            f" ({sequential.requests + concurrent.requests} requests)"
        )
    return "\n".join(lines)


def redact(value: Any) -> Any:
    """Arguments as JSON-safe values, without the password of a database URL."""
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, str) and "://" in value:
        parts = urlsplit(value)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
            return urlunsplit(parts._replace(netloc=netloc))
    return value


def lifecycle_p50_sum(phase: Phase) -> float:
    """Sum of the p50s of the lifecycle's routes (isAlive excluded): a 'typical lifecycle' latency."""
    return sum(percentile(sorted(phase.latencies[step]), 0.5) for step in STEPS if step != ALIVE)


# -- main -----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the call-log lifecycle through a real appconnect server.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--calls", type=int, default=200, help="lifecycles in the measured phase")
    parser.add_argument("--concurrency", type=int, default=20, help="simulated agents in the measured phase")
    parser.add_argument(
        "--baseline-calls",
        type=int,
        default=None,
        help="lifecycles at concurrency 1 (default: calls/5, 10..50)",
    )
    parser.add_argument("--warmup", type=int, default=5, help="untimed lifecycles before measuring")
    parser.add_argument("--url", help="benchmark an already running server instead of starting one")
    parser.add_argument("--workers", type=int, default=1, help="`appconnect serve --workers`")
    parser.add_argument("--database-url", help="DATABASE_URL for the started server (default: fresh SQLite)")
    parser.add_argument("--log-level", help="LOG_LEVEL for the started server (default: the server's)")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-request timeout in seconds")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON to PATH")
    args = parser.parse_args(argv)
    if args.calls < 1 or args.concurrency < 1 or args.workers < 1 or args.warmup < 0:
        parser.error("--calls, --concurrency and --workers must be at least 1, --warmup at least 0")
    if args.url and (args.workers != 1 or args.database_url or args.log_level):
        parser.error(
            "--workers, --database-url and --log-level apply only to a server started here (no --url)"
        )
    args.concurrency = min(args.concurrency, args.calls)
    if args.baseline_calls is None:
        args.baseline_calls = max(10, min(50, args.calls // 5))
    return args


async def drive(args: argparse.Namespace, url: str) -> tuple[Phase, Phase]:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"  # session ids unique even in a reused (PostgreSQL) database
    if args.warmup:
        warmup = await run_phase(url, "warmup", args.warmup, 1, prefix, args.timeout)
        if warmup.errors:
            message, _ = warmup.errors.most_common(1)[0]
            raise SetupError(f"the warm-up failed ({warmup.error_count} errors), first: {message}")
    sequential = await run_phase(url, "sequential", args.baseline_calls, 1, prefix, args.timeout)
    concurrent = await run_phase(url, "concurrent", args.calls, args.concurrency, prefix, args.timeout)
    return sequential, concurrent


def benchmark(args: argparse.Namespace, server: Server) -> int:
    sampler = MemorySampler(server.pid) if server.pid else None
    idle = sampler.settled(min_processes=1 + (args.workers if args.workers > 1 else 0)) if sampler else None
    if sampler:
        sampler.start()
    try:
        sequential, concurrent = asyncio.run(drive(args, server.url))
    finally:
        if sampler:
            sampler.stop()
    peak = sampler.peak if sampler else None
    alive_seq = percentile(sorted(sequential.latencies[ALIVE]), 0.5)
    results: dict[str, Any] = {
        "server_version": asyncio.run(server_version(server.url)),
        "server": server.description,
        "url": server.url,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "arguments": {k: redact(v) for k, v in vars(args).items()},
        "phases": {"sequential": sequential.to_json(), "concurrent": concurrent.to_json()},
        "memory": {
            "peak_rss_bytes": peak,
            "idle_rss_bytes": idle,
            "peak_processes": sampler.peak_processes if sampler else None,
            "samples": sampler.samples if sampler else 0,
        },
        "ratios": {
            "throughput_c_over_1": concurrent.lifecycles_per_second() / sequential.lifecycles_per_second(),
            "lifecycle_p50_over_alive_p50_sequential": lifecycle_p50_sum(sequential) / alive_seq,
            "route_p50_over_alive_p50_sequential": {s: sequential.p50_over_alive(s) for s in STEPS},
            "route_p50_over_alive_p50_concurrent": {s: concurrent.p50_over_alive(s) for s in STEPS},
            "peak_rss_over_idle": peak / idle if peak and idle else None,
        },
        "errors": sequential.error_count + concurrent.error_count,
    }
    print(report(results, sequential, concurrent))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"results written to {args.json}")
    return EXIT_ERRORS if results["errors"] else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.url:
            return benchmark(args, Server(args.url.rstrip("/"), None, "external (--url); memory not sampled"))
        with started_server(args.workers, args.database_url, args.log_level) as server:
            return benchmark(args, server)
    except SetupError as error:
        print(f"!!! benchmark could not run: {error}", file=sys.stderr)
        return EXIT_SETUP


if __name__ == "__main__":
    sys.exit(main())
