"""Print how the status page copes with a long history: overview page and API latencies at 1,000 incidents.

Run: .venv/bin/python benchmarks/statuspage.py [--incidents 1000] [--components 50] [--requests 30]
Generates INCIDENTS incidents over the last 90 days (a few open, some maintenance, 1-4 updates each)
on COMPONENTS components in a SQLite file (bulk-loaded), serves the status page inside the compliance
monitor on loopback, and prints p50/p95 latency of the pages and the 1.1.2 reads over HTTP, plus
update writes from 4 concurrent writers.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from sqlalchemy import insert, select

from scs_toolkit._serving import BackgroundServer
from scs_toolkit.monitor.app import create_app
from scs_toolkit.monitor.db import Database, migrate
from scs_toolkit.statuspage.db import Component, Impact, ImpactType, Incident, IncidentUpdate
from scs_toolkit.statuspage.model import Actor
from scs_toolkit.statuspage.services import tokens


def load(database: Database, incidents: int, components: int, now: dt.datetime) -> tuple[float, list[str]]:
    rng = random.Random(15)
    started = time.perf_counter()
    with database.session() as db:
        types = list(db.scalars(select(ImpactType.id)))
    component_ids = [uuid.uuid4() for _ in range(components)]
    rows, impacts, updates = [], [], []
    for number in range(incidents):
        began = now - dt.timedelta(minutes=rng.randrange(90 * 24 * 60))
        maintenance = number % 10 == 0
        open_now = number % 97 == 0 and not maintenance
        ended = None if open_now else began + dt.timedelta(minutes=rng.randrange(10, 600))
        incident_id = uuid.uuid4()
        rows.append(
            {
                "id": incident_id,
                "display_name": f"Incident {number}",
                "description": "Generated for the benchmark.",
                "began_at": began,
                "ended_at": ended,
                "source": "human",
                "owner": "benchmark",
                "proposed": False,
                "clean_iterations": 0,
                "created_at": began,
                "updated_at": ended or began,
            }
        )
        for component in rng.sample(component_ids, rng.randint(1, 3)):
            impacts.append(
                {
                    "incident_id": incident_id,
                    "component_id": component,
                    "impact_type_id": rng.choice(types),
                    "severity": 0 if maintenance else rng.randint(1, 100),
                }
            )
        for order in range(rng.randint(1, 4)):
            updates.append(
                {
                    "incident_id": incident_id,
                    "position": order,
                    "display_name": f"Update {order}",
                    "description": "Still looking.",
                    "created_at": began + dt.timedelta(minutes=order * 7),
                    "author": "benchmark",
                }
            )
    with database.engine.begin() as connection:
        connection.execute(
            insert(Component),
            [
                {
                    "id": c,
                    "display_name": f"Component {n}",
                    "labels": {"cloud": f"cloud-{n % 10}"},
                    "created_at": now,
                    "updated_at": now,
                }
                for n, c in enumerate(component_ids)
            ],
        )
        connection.execute(insert(Incident), rows)
        connection.execute(insert(Impact), impacts)
        connection.execute(insert(IncidentUpdate.__table__), updates)
    return time.perf_counter() - started, [str(r["id"]) for r in rows]


def timed(client: httpx.Client, path: str, requests: int, **params: str) -> tuple[float, float, int]:
    durations = []
    size = 0
    for _ in range(requests):
        started = time.perf_counter()
        answer = client.get(path, params=params)
        durations.append(time.perf_counter() - started)
        answer.raise_for_status()
        size = len(answer.content)
    durations.sort()
    return statistics.median(durations), durations[min(len(durations) - 1, int(len(durations) * 0.95))], size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--components", type=int, default=50)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'monitor.db'}"
        migrate(url)
        database = Database(url)
        seconds, ids = load(database, args.incidents, args.components, now)
        print(f"loaded {args.incidents} incidents on {args.components} components in {seconds:.2f} s")
        with database.session() as db:
            writer = tokens.create(db, Actor("benchmark", "admin"), "bench-writer", "writer")
        with (
            BackgroundServer(create_app(database)) as server,
            httpx.Client(base_url=server.url + "/status", timeout=60) as client,
        ):
            start = (now - dt.timedelta(days=90)).isoformat() + "Z"
            end = now.isoformat() + "Z"
            some = ids[len(ids) // 2]
            component = client.get("/components").json()["data"][0]["id"]
            cases = [
                ("page  /  (overview, 90-day bars)", "/", {}),
                ("page  /pages/incidents", "/pages/incidents", {}),
                ("page  /pages/incidents/{id}", f"/pages/incidents/{some}", {}),
                ("page  /pages/maintenance", "/pages/maintenance", {}),
                ("page  /pages/clouds/{name}", "/pages/clouds/cloud-3", {}),
                ("api   GET /components", "/components", {}),
                ("api   GET /components?at=", "/components", {"at": start}),
                ("api   GET /incidents (90 days)", "/incidents", {"start": start, "end": end}),
                ("api   GET /incidents/{id}", f"/incidents/{some}", {}),
                ("api   GET /incidents/{id}/updates", f"/incidents/{some}/updates", {}),
                ("api   GET /components/{id}/uptime", f"/components/{component}/uptime", {}),
                ("feed  GET /feed.atom", "/feed.atom", {}),
            ]
            timed(client, "/", 2)  # warm up: templates, first connections
            print(f"{'request':40} {'p50 ms':>8} {'p95 ms':>8} {'bytes':>9}")
            for label, path, params in cases:
                p50, p95, size = timed(client, path, args.requests, **params)
                print(f"{label:40} {p50 * 1000:8.1f} {p95 * 1000:8.1f} {size:9d}")
            headers = {"Authorization": f"Bearer {writer}"}

            def write(number: int) -> float:
                with httpx.Client(base_url=server.url + "/status", headers=headers, timeout=60) as own:
                    started = time.perf_counter()
                    own.post(f"/incidents/{some}/updates", json={"displayName": f"bench {number}"}).raise_for_status()
                    return time.perf_counter() - started

            with ThreadPoolExecutor(4) as pool:
                durations = sorted(pool.map(write, range(args.requests * 2)))
            print(
                f"{'api   POST updates (4 writers)':40} {statistics.median(durations) * 1000:8.1f} "
                f"{durations[int(len(durations) * 0.95)] * 1000:8.1f}"
            )
        database.close()


if __name__ == "__main__":
    main()
