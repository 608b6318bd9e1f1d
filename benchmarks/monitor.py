"""Print how the compliance monitor copes with a realistic history: ingestion rate and page latencies.

Run: .venv/bin/python benchmarks/monitor.py [--subjects 200] [--days 540] [--uploads 300] [--requests 40]
     [--concurrency 10] [--database-url postgresql+psycopg://user@127.0.0.1:5432/postgres]

Generates SUBJECTS x DAYS daily reports of every scs-compatible-iaas testcase, written straight into
the tables (executemany on SQLite, COPY on PostgreSQL: 200 x 540 is 108,000 reports and 6 M results),
starts the monitor in a separate process (as one replica runs: the benchmark's client threads do not
share its interpreter), measures signed HTTP uploads from CONCURRENCY clients and then the p50/p95
latency of every public read route with CONCURRENCY clients at once. Without `--database-url` the
history goes to a temporary SQLite file; with it (a PostgreSQL server), into a new database created
on that server for the run and dropped afterwards. Then the hostile side: `/healthz` latency alone
and while 8 clients guess passwords (issue 13: 37 ms -> 787 ms before the argon2 limiter and the
login limits), and how long refusing a YAML alias bomb takes (10.9 s and a 300 MB row before the
expansion bound). Figures only: nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import itertools
import json
import multiprocessing
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import text

from scs_toolkit import standards
from scs_toolkit._database import throwaway_database
from scs_toolkit.monitor.accounts import ROLES, hash_api_key
from scs_toolkit.monitor.db import Account, ApiKey, Database, Delegation, PublicKey, migrate
from scs_toolkit.monitor.services import changes
from scs_toolkit.reports import sign

SCOPE = standards.load_scope("scs-compatible-iaas")
TESTCASES = sorted({tc for v in SCOPE.versions for tc in v.required})
REPORT_COLUMNS = ("id", "uuid", "subject", "scope_uuid", "checked_at", "received_at", "uploader", "data")
RESULT_COLUMNS = ("report_id", "subject", "scope_uuid", "testcase", "value", "checked_at")
LATEST_COLUMNS = ("subject", "scope_uuid", "testcase", "value", "checked_at", "report_uuid")


def history_rows(
    subjects: list[str], days: int, now: dt.datetime
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Per subject: its daily reports, their results and its newest result per testcase (plain tuples
    in the tables' column order). A fifth of the subjects fail a testcase now and then."""
    rng = random.Random(1)
    report_id = 0
    for subject in subjects:
        flaky = rng.random() < 0.2
        reports, results, latest = [], [], {}
        for offset in range(days, 0, -1):
            report_id += 1
            checked_at = now - dt.timedelta(days=offset, hours=rng.random())
            run = str(uuid.uuid4())
            reports.append((report_id, run, subject, SCOPE.uuid, checked_at, checked_at, "bench-ci", "{}"))
            for testcase in TESTCASES:
                value = -1 if flaky and rng.random() < 0.01 else 1
                results.append((report_id, subject, SCOPE.uuid, testcase, value, checked_at))
                latest[testcase] = (subject, SCOPE.uuid, testcase, value, checked_at, run)
        yield reports, results, list(latest.values())


def bulk_history(database: Database, subjects: list[str], days: int, now: dt.datetime) -> tuple[int, float]:
    """The history straight into the tables, in one transaction: COPY on PostgreSQL, executemany on SQLite."""
    started = time.perf_counter()
    count = 0
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        postgresql = database.engine.dialect.name == "postgresql"
        for reports, results, latest in history_rows(subjects, days, now):
            count += len(reports)
            for table, columns, rows in (
                ("report", REPORT_COLUMNS, reports),
                ("result", RESULT_COLUMNS, results),
                ("latest_result", LATEST_COLUMNS, latest),
            ):
                if postgresql:
                    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                        copy.write(_copy_text(rows))
                else:
                    marks = ", ".join("?" * len(columns))
                    cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        if postgresql:  # COPY gave the reports their ids: the sequence must continue after them
            cursor.execute("SELECT setval(pg_get_serial_sequence('report', 'id'), (SELECT max(id) FROM report))")
        raw.commit()
    finally:
        raw.close()
    with database.session() as session:  # what an ingestion would have recorded: every subject changed
        changes.record(session, subjects)
    if database.engine.dialect.name == "postgresql":
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))
    return count, time.perf_counter() - started


def _copy_text(rows: list[tuple[Any, ...]]) -> str:
    """COPY's text format (our values hold no tabs, newlines or backslashes)."""
    out = io.StringIO()
    for row in rows:
        out.write("\t".join(v.isoformat(sep=" ") if isinstance(v, dt.datetime) else str(v) for v in row))
        out.write("\n")
    return out.getvalue()


def accounts(database: Database, subjects: list[str], public_key: str) -> None:
    """One CI uploader (append_any, signing key, API key) to which every subject delegates."""
    with database.session() as session:
        uploader = Account(subject="bench-ci", roles=ROLES["append_any"])
        uploader.api_keys = [ApiKey(hash=hash_api_key("bench-secret"))]
        uploader.public_keys = [PublicKey(name="ci", key_type="ssh-ed25519", key=public_key.split()[1])]
        session.add(uploader)
        clouds = [Account(subject=s, display_name=s.upper(), layer="IaaS") for s in subjects]
        session.add_all(clouds)
        session.flush()
        session.add_all(Delegation(principal_id=c.id, delegate_id=uploader.id) for c in clouds)


def upload_body(subject: str, key: ed25519.Ed25519PrivateKey) -> bytes:
    document = {
        "spec": {"uuid": SCOPE.uuid, "name": SCOPE.name, "url": SCOPE.url},
        "checked_at": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" "),
        "subject": subject,
        "run": {
            "uuid": str(uuid.uuid4()),
            "invocations": {"i": {"results": dict.fromkeys(TESTCASES, 1), "stdout": []}},
        },
    }
    payload = yaml.safe_dump(document, explicit_start=True).encode()
    return sign(payload, key).encode() + b"&" + payload


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


@contextlib.contextmanager
def benchmark_database(url: str | None) -> Iterator[str]:
    """A temporary SQLite file, or a new database on the PostgreSQL server `url` names (dropped after)."""
    if url is None:
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{Path(directory) / 'monitor.db'}"
        return
    with throwaway_database(url, "scs_bench") as database_url:
        yield database_url


def serve(url: str, ready: Any, stop: Any) -> None:
    """The monitor as one replica runs it, in a process of its own (started by `multiprocessing`)."""
    from scs_toolkit._serving import BackgroundServer, freeze_startup_heap
    from scs_toolkit.monitor.app import create_app

    database = Database(url)
    with BackgroundServer(create_app(database)) as server:
        freeze_startup_heap()  # as `scs monitor serve` does
        ready.put(server.url)
        stop.wait()
    database.close()


@contextlib.contextmanager
def monitor_process(url: str) -> Iterator[str]:
    context = multiprocessing.get_context("spawn")
    ready, stop = context.Queue(), context.Event()
    process = context.Process(target=serve, args=(url, ready, stop), daemon=True)
    process.start()
    try:
        yield ready.get(timeout=120)
    finally:
        stop.set()
        process.join(30)
        if process.is_alive():
            process.terminate()


def timed(client: httpx.Client, base: str, paths: Callable[[], str], requests: int, concurrency: int) -> list[float]:
    """`requests` GETs from `concurrency` threads at once; every answer must be 200. Timed to the last
    byte received, as load generators (wrk, ab) time: decoding a compressed body is the client's own
    work (inflating the 4 MB `/status` takes this 2-core machine's client ~5 ms of the same cores)."""

    def one(path: str) -> float:
        started = time.perf_counter()
        with client.stream("GET", base + path) as reply:
            for _ in reply.iter_raw():
                pass
        elapsed = time.perf_counter() - started
        assert reply.status_code == 200, (path, reply.status_code)  # a wrong answer, not a timing
        return elapsed

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, [paths() for _ in range(requests)]))


def visiting_each_once(subjects: list[str], template: str, rng: random.Random) -> Callable[[], str]:
    """Paths for `template` (with {s}) over the subjects in random order, each once before any again."""
    order: list[str] = []

    def next_path() -> str:
        if not order:
            order.extend(rng.sample(subjects, len(subjects)))
        return template.format(s=order.pop())

    return next_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=200)
    parser.add_argument("--days", type=int, default=540)
    parser.add_argument("--uploads", type=int, default=300, help="signed HTTP uploads to time")
    parser.add_argument("--requests", type=int, default=40, help="requests per route")
    parser.add_argument("--concurrency", type=int, default=10, help="clients at once (uploads and reads)")
    parser.add_argument("--database-url", help="a PostgreSQL server to run on (default: a temporary SQLite file)")
    args = parser.parse_args()
    subjects = [f"cloud-{n:03d}" for n in range(args.subjects)]
    key = ed25519.Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    with benchmark_database(args.database_url) as url:
        migrate(url)
        database = Database(url)
        accounts(database, subjects, public)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        reports, seconds = bulk_history(database, subjects, args.days, now)
        kind = database.engine.dialect.name
        print(
            f"history on {kind}: {args.subjects} subjects x {args.days} days = {reports} reports x "
            f"{len(TESTCASES)} testcases, bulk-loaded in {seconds:.1f} s"
        )
        limits = httpx.Limits(max_connections=max(args.concurrency, 8) + 8)
        with monitor_process(url) as base, httpx.Client(timeout=120, limits=limits) as client:
            measure(client, base, subjects, key, args)
            hostile(base, client, key, args.requests)
        database.close()


def measure(
    client: httpx.Client, base: str, subjects: list[str], key: ed25519.Ed25519PrivateKey, args: argparse.Namespace
) -> None:
    headers = {"Content-Type": "application/x-signed-yaml"}
    bodies = [upload_body(subjects[n % len(subjects)], key) for n in range(args.uploads)]

    def send(body: bytes) -> int:
        auth = ("bench-ci", "bench-secret")
        return client.post(f"{base}/reports", content=body, headers=headers, auth=auth).status_code

    send(upload_body(subjects[0], key))  # the first login pays for argon2 once (the verified-key cache)
    started = time.perf_counter()
    with ThreadPoolExecutor(args.concurrency) as pool:
        codes = list(pool.map(send, bodies))
    elapsed = time.perf_counter() - started
    refused = sum(1 for c in codes if c != 201)
    print(
        f"ingestion over HTTP ({args.concurrency} clients, SSHSIG per upload): "
        f"{args.uploads / elapsed:6.1f} reports/s ({refused} refused)"
    )
    rng = random.Random(2)
    started = time.perf_counter()
    assert client.get(f"{base}/").status_code == 200
    print(f"{'overview / after the uploads':34s} {(time.perf_counter() - started) * 1000:7.1f} ms (first, computes)")
    client.get(f"{base}/api/feed.json")  # the 30/90-day shares, computed once
    pages: dict[str, Callable[[], str]] = {
        "overview /": lambda: "/",
        "overview JSON /api/subjects": lambda: "/api/subjects",
        "status JSON /status (all)": lambda: "/status",
        "feed /api/feed.json": lambda: "/api/feed.json",
    }
    per_subject = {  # each subject's values are computed on its first visit, then kept until it changes
        "subject page /subjects/S": "/subjects/{s}",
        "subject JSON /api/subjects/S": "/api/subjects/{s}",
        "status JSON /status?subject=S": "/status?subject={s}",
        "badge /badges/S/iaas.svg": "/badges/{s}/scs-compatible-iaas.svg",
        "history /subjects/S/history": "/subjects/{s}/history",
    }
    print(f"reads, {args.concurrency} clients at once, {args.requests} requests per route (to the last byte):")
    for name, path in pages.items():
        timed(client, base, path, 1, 1)  # untimed: the first request imports and compiles what the route needs
        print(f"  {name:32s} {percentiles(timed(client, base, path, args.requests, args.concurrency))}")
    visited = subjects[: max(1, min(len(subjects), args.requests))]
    for name, template in per_subject.items():
        timed(client, base, lambda template=template: template.format(s=subjects[-1]), 1, 1)
        first = timed(client, base, visiting_each_once(visited, template, rng), len(visited), args.concurrency)
        again = timed(client, base, visiting_each_once(visited, template, rng), args.requests, args.concurrency)
        print(f"  {name:32s} {percentiles(again)}   first visits: {percentiles(first)}")
    after: list[float] = []
    for number in range(min(5, len(subjects))):  # a new report, then the overview: recomputes the changed subject
        assert send(upload_body(subjects[number], key)) == 201
        started = time.perf_counter()
        assert client.get(f"{base}/").status_code == 200
        after.append(time.perf_counter() - started)
    print(f"  {'overview / right after an upload':32s} {percentiles(after)}")
    certificates = len(json.loads(client.get(f"{base}/api/certificates").text))
    print(f"certificates issued by the uploads: {certificates}")


def hostile(url: str, client: httpx.Client, key: ed25519.Ed25519PrivateKey, requests: int) -> None:
    """/healthz while 8 clients guess passwords (counted: 401 wrong, 429 limited), and a YAML bomb."""

    def healthz() -> float:
        started = time.perf_counter()
        client.get(f"{url}/healthz")
        return time.perf_counter() - started

    print(f"{'/healthz alone':32s} {percentiles([healthz() for _ in range(requests)])}")
    levels = "abcdefg"  # each level 10 aliases of the one before: 10^7 nodes once expanded
    lines = ["a: &a [" + ", ".join(["x"] * 10) + "]"]
    lines += [
        f"{name}: &{name} [" + ", ".join([f"*{before}"] * 10) + "]" for before, name in itertools.pairwise(levels)
    ]
    document = {
        "spec": {"uuid": SCOPE.uuid},
        "checked_at": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" "),
        "subject": "cloud-000",
        "run": {"uuid": str(uuid.uuid4()), "invocations": {"i": {"results": {TESTCASES[0]: 1}}}},
    }
    bomb = yaml.safe_dump(document, explicit_start=True) + "bomb:\n" + "".join(f"  {line}\n" for line in lines)
    body = sign(bomb.encode(), key).encode() + b"&" + bomb.encode()
    started = time.perf_counter()
    reply = client.post(
        f"{url}/reports",
        content=body,
        headers={"Content-Type": "application/x-signed-yaml"},
        auth=("bench-ci", "bench-secret"),
    )
    print(
        f"report with a YAML alias bomb ({len(bomb)} bytes, 10^7 nodes expanded): {reply.status_code} "
        f"in {time.perf_counter() - started:.3f} s"
    )

    answers: list[int] = []

    def guess(number: int) -> None:
        with httpx.Client(timeout=60) as guesser:
            for _ in range(15):
                user = "bench-ci" if number % 2 else f"nobody-{number}"  # existing and unknown accounts
                answers.append(guesser.get(f"{url}/api/reports/x?full=true", auth=(user, "guess")).status_code)

    samples = []
    with ThreadPoolExecutor(8) as pool:
        guessers = [pool.submit(guess, number) for number in range(8)]
        while not all(g.done() for g in guessers):
            samples.append(healthz())
    print(f"{'/healthz, 8 clients guessing':32s} {percentiles(samples)}")
    print(f"guesses answered: {answers.count(401)} x 401 (argon2 ran), {answers.count(429)} x 429 (limited first)")


if __name__ == "__main__":
    main()
