"""The outage soak at any size: nothing lost when Pipedrive fails in the middle of many calls.

Why: issue 12's promise (every CRM write the server accepts reaches the CRM once, through
outages) is tested in the suite at 200 lifecycles per fault (tests/e2e/test_outbox_pipedrive.py);
this runs the same soak, with the same driver and fakes (tests/support/outage_soak.py,
tests/fakes/pipedrive), at a size the suite cannot afford, against the real server process.

How to run (from the project root; one command, nothing to set up):

    .venv/bin/python benchmarks/outage_soak.py --lifecycles 2000 --fault 503 --database sqlite
    .venv/bin/python benchmarks/outage_soak.py --lifecycles 2000 --fault 429 --database postgresql
    .venv/bin/python benchmarks/outage_soak.py --lifecycles 500 --fault refused --burst-limit 400

It starts `python -m appconnect serve` on a free port in a temporary directory, with a fresh
database (SQLite file; or a new PostgreSQL database on `--postgres-url`, dropped afterwards) and
the server's own outbox settings unless `--backoff`/`--max-backoff`/`--poll` say otherwise, in
front of fake Pipedrive over HTTPS (in this process; behind a TCP proxy that refuses connections
for `--fault refused`). An extension that never retries runs the lifecycles (create while ringing,
final duration and result, recording link), `--concurrency` at a time; Pipedrive fails for the
middle third of them. Then it waits for the outbox to drain and prints: calls logged exactly
once, calls never logged, duplicates, lost final data and recording links, dead jobs, and the time
the lifecycles and the drain took. Exit status 1 when anything was lost or duplicated.

Fake Pipedrive keeps Pipedrive's burst limit (80 requests per 2 s; a lifecycle costs about eight),
so at the default the drain is paced by the CRM, as it would be in production; raise
`--burst-limit` to measure the server instead.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the shared soak driver and fakes live in the test tree

import httpx  # noqa: E402

from tests.fakes.pipedrive import FakePipedrive  # noqa: E402
from tests.support.databases import POSTGRES_ENV, fresh_database_url  # noqa: E402
from tests.support.outage_soak import (  # noqa: E402
    FAULTS,
    PIPEDRIVE_USER_ID,
    Extension,
    RefusingProxy,
    login,
    outage,
    soak,
)
from tests.support.processes import operator_env, serving  # noqa: E402


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lifecycles", type=int, default=2000, help="calls (default 2000)")
    parser.add_argument("--fault", choices=FAULTS, default="503", help="what Pipedrive does in the window")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(POSTGRES_ENV, "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL server to create the throw-away database on",
    )
    parser.add_argument("--concurrency", type=int, default=16, help="lifecycles at a time (default 16)")
    parser.add_argument("--workers", type=int, default=1, help="`appconnect serve --workers N` (default 1)")
    parser.add_argument("--burst-limit", type=int, default=80, help="fake Pipedrive's requests per 2 s")
    parser.add_argument("--backoff", type=float, help="APPCONNECT_OUTBOX_BACKOFF_SECONDS")
    parser.add_argument("--max-backoff", type=float, help="APPCONNECT_OUTBOX_MAX_BACKOFF_SECONDS")
    parser.add_argument("--poll", type=float, help="APPCONNECT_OUTBOX_POLL_SECONDS")
    parser.add_argument("--drain-timeout", type=float, default=900.0, help="seconds to wait for the drain")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args(argv)


def server_env(
    args: argparse.Namespace, pipedrive: FakePipedrive, database_url: str, tmp: Path
) -> dict[str, str]:
    env = operator_env(
        DATABASE_URL=database_url,
        APP_SERVER_SECRET_KEY=secrets.token_urlsafe(32),
        HASH_KEY=secrets.token_urlsafe(16),
        SSL_CERT_FILE=pipedrive.ca_pem_path,
        APPCONNECT_STATE_FILE=str(tmp / "state.json"),
        SAMPLE_CRM_DATABASE_URL=f"sqlite:///{tmp / 'sample-crm.db'}",
        LOG_LEVEL="WARNING",
        **pipedrive.environment(),
    )
    if args.fault == "refused":
        env["APPCONNECT_CRM_TIMEOUT"] = "5"
    for option, name in (
        ("backoff", "APPCONNECT_OUTBOX_BACKOFF_SECONDS"),
        ("max_backoff", "APPCONNECT_OUTBOX_MAX_BACKOFF_SECONDS"),
        ("poll", "APPCONNECT_OUTBOX_POLL_SECONDS"),
    ):
        if getattr(args, option) is not None:
            env[name] = str(getattr(args, option))
    return env


async def run(args: argparse.Namespace) -> dict[str, Any]:
    if args.database == "postgresql":
        os.environ[POSTGRES_ENV] = args.postgres_url
    else:
        os.environ.pop(POSTGRES_ENV, None)
    with (
        tempfile.TemporaryDirectory(prefix="appconnect-soak-") as directory,
        FakePipedrive() as pipedrive,
        fresh_database_url(Path(directory)) as database_url,
    ):
        tmp = Path(directory)
        pipedrive.state.add_user("Jordan Lee", user_id=PIPEDRIVE_USER_ID)
        person = pipedrive.state.add_person("Ann Example", "+1 (415) 555-0100")
        env = server_env(args, pipedrive, database_url, tmp)
        hostname = pipedrive.hostname
        proxy = None
        if args.fault == "refused":
            proxy = RefusingProxy(pipedrive.server.port).start()
            hostname = f"localhost:{proxy.port}"
            env["PIPEDRIVE_API_BASE_URL"] = f"https://{hostname}"
            pipedrive.state.api_host = hostname
        output: list[str] = []
        try:
            with serving(tmp, env, "--workers", str(args.workers), output=output) as (url, _process):
                limits = httpx.Limits(max_connections=max(50, args.concurrency * 2))
                async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
                    auth = await login(client, pipedrive, hostname)
                    extension = Extension(
                        client=client, auth=auth, pipedrive=pipedrive, person_id=int(person["id"])
                    )
                    report = await soak(
                        extension,
                        args.lifecycles,
                        outage(args.fault, pipedrive, proxy),
                        concurrency=args.concurrency,
                        drain_seconds=args.drain_timeout,
                        burst_limit=args.burst_limit,
                    )
        finally:
            if proxy is not None:
                proxy.stop()
    print(
        f"server: appconnect serve --workers {args.workers}, {args.database}; "
        f"fake Pipedrive burst limit {args.burst_limit} per 2 s; concurrency {args.concurrency}"
    )
    print(*report.lines(), sep="\n")
    problems = report.tally.problems()
    if problems:
        print(f"LOST OR DUPLICATED (first calls of each): {json.dumps(problems)}")
    tally = report.tally
    return {
        "fault": args.fault,
        "database": args.database,
        "lifecycles": args.lifecycles,
        "queuedAnswers": report.queued_answers,
        "otherFailedAnswers": len(report.other_failures),
        "loggedExactlyOnce": tally.logged_once,
        "neverLogged": len(tally.never_logged),
        "duplicated": len(tally.duplicated),
        "lostFinal": len(tally.lost_final),
        "lostRecording": len(tally.lost_recording),
        "notMatched": len(tally.not_matched),
        "dead": report.outbox.get("dead"),
        "runSeconds": round(report.run_seconds, 2),
        "drainSeconds": round(report.drain_seconds, 2),
        "ok": not problems and not report.other_failures and report.outbox.get("dead") == 0,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    figures = asyncio.run(run(args))
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
