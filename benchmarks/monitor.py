"""Print how the compliance monitor copes with a realistic history: ingestion rate and page latencies.

Run: .venv/bin/python benchmarks/monitor.py [--subjects 200] [--days 548] [--uploads 300] [--requests 40]
Generates SUBJECTS x DAYS daily reports of every scs-compatible-iaas testcase (bulk-loaded into a
SQLite file, as history), then measures signed HTTP uploads from 8 concurrent clients and the p50/p95
latency of the overview, details, badge and history requests over HTTP. Then the hostile side:
`/healthz` latency alone and while 8 clients guess passwords (issue 13: 37 ms -> 787 ms before the
argon2 limiter and the login limits), and how long refusing a YAML alias bomb takes (10.9 s and a
300 MB row before the expansion bound).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import random
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from sqlalchemy import insert

from scs_toolkit import standards
from scs_toolkit._serving import BackgroundServer
from scs_toolkit.monitor.accounts import ROLES, hash_api_key
from scs_toolkit.monitor.app import create_app
from scs_toolkit.monitor.db import (
    Account,
    ApiKey,
    Database,
    Delegation,
    LatestResult,
    PublicKey,
    Report,
    Result,
    migrate,
)
from scs_toolkit.reports import sign

SCOPE = standards.load_scope("scs-compatible-iaas")
TESTCASES = sorted({tc for v in SCOPE.versions for tc in v.required})


def bulk_history(database: Database, subjects: list[str], days: int, now: dt.datetime) -> tuple[int, float]:
    """Daily reports per subject; a few subjects fail one testcase now and then."""
    rng = random.Random(1)
    started = time.perf_counter()
    report_id = 0
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    with database.engine.begin() as connection:
        for subject in subjects:
            flaky = rng.random() < 0.2
            reports, results = [], []
            for offset in range(days, 0, -1):
                report_id += 1
                checked_at = now - dt.timedelta(days=offset, hours=rng.random())
                run = str(uuid.uuid4())
                reports.append(
                    {"id": report_id, "uuid": run, "subject": subject, "scope_uuid": SCOPE.uuid,
                     "checked_at": checked_at, "received_at": checked_at, "uploader": "bench-ci", "data": "{}"}
                )  # fmt: skip
                for testcase in TESTCASES:
                    value = -1 if flaky and rng.random() < 0.01 else 1
                    row = {"report_id": report_id, "subject": subject, "scope_uuid": SCOPE.uuid,
                           "testcase": testcase, "value": value, "checked_at": checked_at}  # fmt: skip
                    results.append(row)
                    latest[subject, testcase] = {**row, "report_uuid": run}
            connection.execute(insert(Report), reports)
            connection.execute(insert(Result), results)
        connection.execute(
            insert(LatestResult), [{k: v for k, v in r.items() if k != "report_id"} for r in latest.values()]
        )
    return report_id, time.perf_counter() - started


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=200)
    parser.add_argument("--days", type=int, default=548)
    parser.add_argument("--uploads", type=int, default=300, help="signed HTTP uploads to time")
    parser.add_argument("--requests", type=int, default=40, help="requests per page kind")
    args = parser.parse_args()
    subjects = [f"cloud-{n:03d}" for n in range(args.subjects)]
    key = ed25519.Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{Path(directory) / 'monitor.db'}"
        migrate(url)
        database = Database(url)
        accounts(database, subjects, public)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        reports, seconds = bulk_history(database, subjects, args.days, now)
        print(f"history: {reports} reports x {len(TESTCASES)} testcases bulk-loaded in {seconds:.1f} s")
        with BackgroundServer(create_app(database)) as server, httpx.Client(timeout=60) as client:
            headers = {"Content-Type": "application/x-signed-yaml"}
            bodies = [upload_body(subjects[n % len(subjects)], key) for n in range(args.uploads)]

            def send(body: bytes) -> int:
                return client.post(
                    f"{server.url}/reports", content=body, headers=headers, auth=("bench-ci", "bench-secret")
                ).status_code

            started = time.perf_counter()
            with ThreadPoolExecutor(8) as pool:
                codes = list(pool.map(send, bodies))
            elapsed = time.perf_counter() - started
            refused = sum(1 for c in codes if c != 201)
            print(
                f"ingestion over HTTP (8 clients, argon2 + SSHSIG per upload): {args.uploads / elapsed:6.1f} reports/s ({refused} refused)"
            )
            rng = random.Random(2)
            pages = {
                "overview /": lambda: "/",
                "details /subjects/S": lambda: f"/subjects/{rng.choice(subjects)}",
                "badge /badges/S/iaas.svg": lambda: f"/badges/{rng.choice(subjects)}/scs-compatible-iaas.svg",
                "status JSON /api/subjects/S": lambda: f"/api/subjects/{rng.choice(subjects)}",
                "history /subjects/S/history": lambda: f"/subjects/{rng.choice(subjects)}/history",
            }
            for name, path in pages.items():
                samples = []
                for _ in range(args.requests):
                    started = time.perf_counter()
                    reply = client.get(server.url + path())
                    samples.append(time.perf_counter() - started)
                    assert reply.status_code == 200, (name, reply.status_code)
                print(f"{name:32s} {percentiles(samples)}")
            certificates = len(json.loads(client.get(f"{server.url}/api/certificates").text))
            print(f"certificates issued by the uploads: {certificates}")
            hostile(server.url, client, key, args.requests)
        database.close()


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
