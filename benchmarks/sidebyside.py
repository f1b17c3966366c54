"""Side-by-side lifecycle benchmark: this checkout against the reference server, in one run.

Why: issue 11's goals are ratios against the reference measured on the same machine in the same
run (absolute figures move between machines and runs). One command runs every cell the goals need
and prints the goals table with the ratios:

    .venv/bin/python benchmarks/sidebyside.py --reference /path/to/built/rc-unified-crm-extension
    .venv/bin/python benchmarks/sidebyside.py                 # appconnect only (no ratios)
    .venv/bin/python benchmarks/sidebyside.py --quick         # shorter windows, fewer cells

The harness is vendored in `benchmarks/harness/` (from the project's shared perf kit: a fake
Pipedrive over HTTPS, a closed-loop load generator, a start-up probe, a one-cell runner); pass
`--harness DIR` to use another copy. Needs PostgreSQL on 127.0.0.1:5432 (user postgres, trust) for
the PostgreSQL cells and the reference, `openssl` for the fake's certificate, and for the
reference a checkout built with `npm ci --ignore-scripts && npm run build:ts` (it runs as
`node .ts-build/src/server.js` on PostgreSQL). The venv running this script must have appconnect
installed (`pip install -e '.[dev,postgres]'`); it also runs the harness (aiohttp is a dependency).

Cells (each one: fresh fake CRM, fresh database, fresh server, a real login, then load):
  appconnect 1 worker SQLite and PostgreSQL at CRM latency 0 and 50 ms, concurrency 64;
  appconnect N workers PostgreSQL at 0 ms, c=64; appconnect SQLite at 50 ms, c=1;
  the reference at 0 and 50 ms, c=64, and 50 ms, c=1;
  a counted run (exactly 20 lifecycles at c=1) of each for SQL statements, CRM requests, log lines;
  start-up (launch to the first GET /isAlive 200 on a migrated database) of each.
A cell whose machine was busy with other work (`unattributed_cores` > 0.15) is repeated (--retries).

Not part of the test suite: timings are never asserted anywhere.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PG = "postgresql://postgres@127.0.0.1:5432"


def run_cell(harness: Path, env: dict[str, str], *args: str) -> None:
    command = [sys.executable, str(harness / "cell.py"), *args]
    print("$", " ".join(command[1:]), flush=True)
    completed = subprocess.run(command, env=env, text=True, capture_output=True)
    tail = (completed.stdout or "")[-1200:]
    print(tail.rstrip(), flush=True)
    if completed.returncode != 0:
        print((completed.stderr or "")[-2000:], file=sys.stderr, flush=True)
        raise SystemExit(f"cell failed: {' '.join(args)}")


def load_result(out: Path, tag: str, label: str, latency: int, conc: int) -> dict[str, Any] | None:
    """The last good attempt of a load cell (cell.py names retries -try1, -try2)."""
    base = f"{tag}-{label}-{latency}ms-c{conc}"
    for name in (f"{base}-try2", f"{base}-try1", base):
        path = out / f"{name}.json"
        if path.exists():
            data: dict[str, Any] = json.loads(path.read_text())
            return data
    return None


def startup(
    harness: Path, command: str, url: str, env: dict[str, str], cwd: Path, repeat: int
) -> dict[str, Any]:
    out = cwd / "startup.json"
    subprocess.run(
        [
            sys.executable,
            str(harness / "startup.py"),
            "--cmd",
            command,
            "--url",
            url,
            "--repeat",
            str(repeat),
            "--idle-s",
            "2",
            "--out",
            str(out),
        ],
        env=env,
        cwd=cwd,
        check=True,
        text=True,
        capture_output=True,
    )
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def app_startup(harness: Path, work: Path, repeat: int) -> dict[str, Any]:
    """`appconnect serve` on a migrated SQLite file (migrated once before the measured launches)."""
    folder = work / "startup-app"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"sqlite:///{folder / 'app.db'}",
            "APP_SERVER_SECRET_KEY": "startup-secret-0123456789abcdef",
            "HASH_KEY": "startup-hash",
            "IS_PROD": "true",
            "APPCONNECT_ALLOW_PRIVATE_NETWORKS": "true",
            "PORT": "7311",
            "APP_HOST": "127.0.0.1",
            "APPCONNECT_STATE_FILE": str(folder / "state.json"),
            "SAMPLE_CRM_DATABASE_URL": f"sqlite:///{folder / 'sample.db'}",
        }
    )
    appconnect = str(Path(sys.executable).parent / "appconnect")
    # Bytecode as an installed wheel has it: an editable checkout run with PYTHONDONTWRITEBYTECODE
    # would otherwise compile every module of the package on every measured launch.
    package = Path(importlib.util.find_spec("appconnect").origin).parent  # type: ignore[union-attr,arg-type]
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True, capture_output=True)
    subprocess.run([appconnect, "db", "upgrade"], env=env, cwd=folder, check=True, capture_output=True)
    return startup(harness, f"exec {appconnect} serve", "http://127.0.0.1:7311/isAlive", env, folder, repeat)


def ref_startup(harness: Path, reference: Path, work: Path, repeat: int) -> dict[str, Any]:
    """The reference on a PostgreSQL database whose tables exist (created by one launch first)."""
    folder = work / "startup-ref"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    name = "perf_sidebyside_startup_ref"
    subprocess.run(f"dropdb -h 127.0.0.1 -U postgres --if-exists --force {name}", shell=True, check=True)
    subprocess.run(f"createdb -h 127.0.0.1 -U postgres {name}", shell=True, check=True)
    env = dict(os.environ)
    env.update(
        {
            "NODE_ENV": "production",
            "IS_PROD": "true",
            "LOG_LEVEL": "INFO",
            "APP_SERVER_SECRET_KEY": "s" * 32,
            "HASH_KEY": "h",
            "APP_HOST": "127.0.0.1",
            "PORT": "7312",
            "DATABASE_URL": f"{PG}/{name}",
        }
    )
    env.pop("MIXPANEL_TOKEN", None)
    command = f"cd {reference} && exec node .ts-build/src/server.js"
    try:
        startup(harness, command, "http://127.0.0.1:7312/isAlive", env, folder, 1)  # creates the tables
        return startup(harness, command, "http://127.0.0.1:7312/isAlive", env, folder, repeat)
    finally:
        subprocess.run(f"dropdb -h 127.0.0.1 -U postgres --if-exists --force {name}", shell=True)


def ratio(mine: float | None, theirs: float | None) -> float | None:
    if mine is None or theirs is None or theirs == 0:
        return None
    return mine / theirs


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def server(result: dict[str, Any] | None, key: str) -> Any:
    return None if result is None else result["processes"].get("server", {}).get(key)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reference", type=Path, help="a built reference checkout (enables the ratios)")
    parser.add_argument("--harness", type=Path, default=HERE / "harness", help="the perf harness folder")
    parser.add_argument("--workers", type=int, default=2, help="workers of the N-worker PostgreSQL cell")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds per load cell")
    parser.add_argument("--retries", type=int, default=2, help="repeats of a cell the machine disturbed")
    parser.add_argument("--quick", action="store_true", help="10 s windows, one start-up launch each")
    parser.add_argument("--out", type=Path, help="results folder (default: a new temporary folder)")
    parser.add_argument("--tag", default=datetime.now(UTC).strftime("sbs%Y%m%d%H%M%S"))
    args = parser.parse_args()
    if args.quick:
        args.duration = min(args.duration, 10.0)
    work = args.out or Path(tempfile.mkdtemp(prefix="appconnect-sidebyside-"))
    work.mkdir(parents=True, exist_ok=True)
    results = work / "results"
    env = dict(os.environ)
    env.update(
        {
            "APP_VENV": str(Path(sys.executable).parent.parent),
            "PERF_PYTHON": sys.executable,
            "PERF_WORK": str(work),
            "PERF_OUT": str(results),
        }
    )
    if args.reference:
        env["REF_DIR"] = str(args.reference.resolve())
    duration = ["--duration", str(args.duration), "--retries", str(args.retries), "--tag", args.tag]
    started = time.time()

    # -- counted runs: SQL statements, CRM requests, log lines ----------------------------------
    run_cell(
        args.harness, env, "count", "--impl", "app", "--db", "pg", "--lifecycles", "20", "--tag", args.tag
    )
    if args.reference:
        run_cell(args.harness, env, "count", "--impl", "ref", "--lifecycles", "20", "--tag", args.tag)

    # -- load cells -------------------------------------------------------------------------------
    # Each reference cell runs in the middle of the cells compared with it: a shared machine's speed
    # drifts over minutes, and ratios of cells run far apart would measure the drift.
    sqlite1 = ["--impl", "app", "--db", "sqlite", "--workers", "1"]
    pg1 = ["--impl", "app", "--db", "pg", "--workers", "1"]
    pg_n = ["--impl", "app", "--db", "pg", "--workers", str(args.workers)]
    reference_cells = [("ref", ["--impl", "ref"])] if args.reference else []
    cells: list[tuple[str, list[str], int, int]] = [
        ("app-1w-sqlite", sqlite1, 0, 64),
        *((label, impl, 0, 64) for label, impl in reference_cells),
        ("app-1w-pg", pg1, 0, 64),
        (f"app-{args.workers}w-pg", pg_n, 0, 64),
        ("app-1w-sqlite", sqlite1, 50, 64),
        *((label, impl, 50, 64) for label, impl in reference_cells),
        *([("app-1w-pg", pg1, 50, 64)] if not args.quick else []),
        *((label, impl, 50, 1) for label, impl in reference_cells),
        ("app-1w-sqlite", sqlite1, 50, 1),
    ]
    for _label, impl, latency, conc in cells:
        run_cell(args.harness, env, "load", *impl, "--latency", str(latency), "--conc", str(conc), *duration)

    # -- start-up ---------------------------------------------------------------------------------
    repeat = 1 if args.quick else 5
    app_up = app_startup(args.harness, work, repeat)
    ref_up = ref_startup(args.harness, args.reference.resolve(), work, repeat) if args.reference else None

    # -- the goals table --------------------------------------------------------------------------
    def cell(label: str, latency: int, conc: int) -> dict[str, Any] | None:
        return load_result(results, args.tag, label, latency, conc)

    count_app = json.loads((results / f"{args.tag}-app-1w-pg-count.json").read_text())
    count_ref_path = results / f"{args.tag}-ref-count.json"
    count_ref = json.loads(count_ref_path.read_text()) if count_ref_path.exists() else None
    ref0, ref50, ref1 = cell("ref", 0, 64), cell("ref", 50, 64), cell("ref", 50, 1)
    rows: list[tuple[str, str, Any, Any, float | None, str]] = []

    def add(goal: str, target: str, mine: Any, theirs: Any, limit: float | None, better: str) -> None:
        r = ratio(mine, theirs) if theirs is not None else None
        if limit is None:
            verdict = "-"
        elif better == "lower-absolute":
            verdict = "yes" if mine is not None and mine <= limit else "no"
        elif r is None:
            verdict = "-"
        else:
            verdict = "yes" if (r <= limit if better == "lower" else r >= limit) else "no"
        rows.append((goal, target, mine, theirs, r, verdict))

    for label, name in (("app-1w-sqlite", "SQLite"), ("app-1w-pg", "PostgreSQL")):
        for latency, ref in ((0, ref0), (50, ref50)):
            mine = server(cell(label, latency, 64), "cpu_ms_per_lifecycle")
            add(
                f"CPU ms per lifecycle, 1 worker {name}, {latency} ms, c=64",
                "<= 1.0x",
                mine,
                server(ref, "cpu_ms_per_lifecycle"),
                1.0,
                "lower",
            )
    sqlite0, pgn0, pg10 = (
        cell("app-1w-sqlite", 0, 64),
        cell(f"app-{args.workers}w-pg", 0, 64),
        cell("app-1w-pg", 0, 64),
    )
    theirs0 = None if ref0 is None else ref0["lifecycles_per_s"]
    add(
        "lifecycles/s, 1 worker SQLite, 0 ms, c=64",
        ">= 1.0x",
        sqlite0 and sqlite0["lifecycles_per_s"],
        theirs0,
        1.0,
        "higher",
    )
    add(
        f"lifecycles/s, {args.workers} workers PostgreSQL, 0 ms, c=64",
        ">= 1.5x",
        pgn0 and pgn0["lifecycles_per_s"],
        theirs0,
        1.5,
        "higher",
    )
    add(
        f"lifecycles/s, {args.workers} workers / 1 worker PostgreSQL",
        "> 1.0",
        pgn0 and pgn0["lifecycles_per_s"],
        pg10 and pg10["lifecycles_per_s"],
        1.0,
        "higher",
    )
    p50 = cell("app-1w-sqlite", 50, 1)
    add(
        "lifecycle p50 ms, 50 ms, c=1",
        "<= 0.85x",
        p50 and p50["lifecycle_latency_ms"].get("p50"),
        ref1 and ref1["lifecycle_latency_ms"].get("p50"),
        0.85,
        "lower",
    )
    add(
        "start-up s (launch -> first /isAlive 200, migrated)",
        "<= 1.0 s",
        app_up["startup_s_median"],
        ref_up and ref_up["startup_s_median"],
        1.0,
        "lower-absolute",
    )
    peaks = [
        server(cell(label, lat, conc), "rss_peak_mb")
        for label, lat, conc in (
            ("app-1w-sqlite", 0, 64),
            ("app-1w-pg", 0, 64),
            ("app-1w-sqlite", 50, 64),
            ("app-1w-pg", 50, 64),
        )
    ]
    ref_peaks = [server(r, "rss_peak_mb") for r in (ref0, ref50)]
    add(
        "peak RSS MB, 1 worker",
        "<= 0.5x",
        max((p for p in peaks if p), default=None),
        max((p for p in ref_peaks if p), default=None) if args.reference else None,
        0.5,
        "lower",
    )
    add(
        "SQL statements per lifecycle (PostgreSQL, with BEGIN/COMMIT/ROLLBACK/pings)",
        "<= 17",
        count_app.get("pg_statements_total_per_lifecycle"),
        count_ref and count_ref.get("pg_statements_total_per_lifecycle"),
        17,
        "lower-absolute",
    )
    add(
        "log lines per lifecycle at INFO (access lines included)",
        "<= 5",
        count_app.get("log_lines_per_lifecycle"),
        count_ref and count_ref.get("log_lines_per_lifecycle"),
        5,
        "lower-absolute",
    )
    add(
        "CRM requests per lifecycle",
        "-",
        count_app.get("crm_total_per_lifecycle"),
        count_ref and count_ref.get("crm_total_per_lifecycle"),
        None,
        "lower",
    )
    window = (sqlite0 or {}).get("crm_window") or {}
    add(
        "CRM connections opened in the measured window, 1 worker SQLite, 0 ms, c=64",
        "0",
        window.get("connections_opened"),
        None,
        0,
        "lower-absolute",
    )

    lines = [
        f"Side-by-side run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}, {os.cpu_count()} cores, "
        f"{args.duration:g} s windows, {round(time.time() - started)} s in all; command: "
        f"python benchmarks/sidebyside.py{' --reference REF' if args.reference else ''}"
        f"{' --quick' if args.quick else ''}",
        "",
        "| goal | target | appconnect | reference | ratio | holds |",
        "|---|---|---:|---:|---:|---|",
    ]
    for goal, target, mine, theirs, r, verdict in rows:
        digits = 2 if target.endswith(" s") else 1  # seconds: a tenth is a tenth of the goal
        lines.append(
            f"| {goal} | {target} | {fmt(mine, digits)} | {fmt(theirs, digits)} | {fmt(r, 2)} | {verdict} |"
        )
    lines += [
        "",
        "| cell | lifecycles/s | p50 ms | server CPU ms/lifecycle | peak RSS MB | unattributed cores |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, _impl, latency, conc in cells:
        found = cell(label, latency, conc)
        if found is not None:
            lines.append(
                f"| {label} {latency} ms c={conc} | {fmt(found['lifecycles_per_s'])} | "
                f"{fmt(found['lifecycle_latency_ms'].get('p50'))} | "
                f"{fmt(server(found, 'cpu_ms_per_lifecycle'))} | "
                f"{fmt(server(found, 'rss_peak_mb'))} | {fmt(found['system'].get('unattributed_cores'), 2)} |"
            )
    report = "\n".join(lines)
    print()
    print(report)
    (work / "sidebyside.md").write_text(report + "\n")
    (work / "sidebyside.json").write_text(
        json.dumps({"rows": rows, "startup": {"app": app_up, "ref": ref_up}}, indent=2)
    )
    print(f"\nresults in {work}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
