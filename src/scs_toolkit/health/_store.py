"""The local time series: iterations, API calls and alerts in SQLite (or any SQLAlchemy URL).

Queries read only the requested window (indexed by cloud and time) and compute percentiles in
Python over it; old rows are pruned after each iteration so the file stays small.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    delete,
    func,
    insert,
    select,
)

from .._database import database_engine
from .._time import aware, naive
from ._model import IterationResult

METADATA = MetaData()
ITERATION = Table(
    "iteration",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("cloud", String(128), nullable=False),
    Column("number", Integer, nullable=False),
    Column("started_at", DateTime, nullable=False),
    Column("duration_s", Float, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("summary", Text, nullable=False),
    Index("ix_iteration_cloud_time", "cloud", "started_at"),
)
API_CALL = Table(
    "api_call",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("iteration_id", Integer, ForeignKey("iteration.id", ondelete="CASCADE"), nullable=False),
    Column("cloud", String(128), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("service", String(32), nullable=False),
    Column("operation", String(256), nullable=False),
    Column("status", Integer, nullable=False),
    Column("duration_s", Float, nullable=False),
    Index("ix_api_call_cloud_time", "cloud", "at"),
)
ALERT = Table(
    "alert",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("cloud", String(128), nullable=False),
    Column("at", DateTime, nullable=False),
    Column("rule", String(128), nullable=False),
    Column("firing", Boolean, nullable=False),
    Column("message", Text, nullable=False),
)


@dataclass(frozen=True)
class ServiceStats:
    service: str
    calls: int
    errors: int
    p50_s: float
    p95_s: float

    @property
    def error_rate(self) -> float:
        return self.errors / self.calls if self.calls else 0.0


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


class HealthStore:
    def __init__(self, url: str, retention: dt.timedelta = dt.timedelta(days=30)) -> None:
        self.engine = database_engine(url)
        METADATA.create_all(self.engine)
        self.retention = retention

    def add(self, result: IterationResult) -> None:
        with self.engine.begin() as connection:
            inserted = connection.execute(
                insert(ITERATION).values(
                    cloud=result.cloud,
                    number=result.iteration,
                    started_at=naive(result.started_at),
                    duration_s=result.duration_s,
                    ok=result.ok,
                    summary=json.dumps(result.summary()),
                )
            ).inserted_primary_key
            assert inserted is not None
            iteration_id = inserted[0]
            if result.calls:
                connection.execute(
                    insert(API_CALL),
                    [
                        {
                            "iteration_id": iteration_id,
                            "cloud": result.cloud,
                            "at": naive(c.at),
                            "service": c.service,
                            "operation": c.operation,
                            "status": c.status,
                            "duration_s": c.duration_s,
                        }
                        for c in result.calls
                    ],
                )
            cutoff = naive(result.started_at) - self.retention
            connection.execute(delete(API_CALL).where(API_CALL.c.at < cutoff))
            connection.execute(delete(ITERATION).where(ITERATION.c.started_at < cutoff))

    def add_alert(self, cloud: str, rule: str, firing: bool, message: str, at: dt.datetime) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                insert(ALERT).values(cloud=cloud, rule=rule, firing=firing, message=message, at=naive(at))
            )

    def clouds(self) -> list[str]:
        with self.engine.connect() as connection:
            return sorted(connection.scalars(select(ITERATION.c.cloud).distinct()))

    def service_stats(self, cloud: str, since: dt.datetime) -> list[ServiceStats]:
        since = naive(since)
        durations: dict[str, list[float]] = defaultdict(list)
        errors: dict[str, int] = defaultdict(int)
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(API_CALL.c.service, API_CALL.c.status, API_CALL.c.duration_s).where(
                    API_CALL.c.cloud == cloud, API_CALL.c.at >= since
                )
            )
            for service, status, duration in rows:
                durations[service].append(duration)
                errors[service] += status == 0 or status >= 500 or status == 429
        return [
            ServiceStats(s, len(d), errors[s], percentile(d, 0.5), percentile(d, 0.95))
            for s, d in sorted(durations.items())
        ]

    def series(self, cloud: str, since: dt.datetime, buckets: int = 48) -> dict[str, list[dict[str, Any]]]:
        """Per service, `buckets` equal time slices since `since`: calls, error rate, p50 and p95 latency."""
        since, now = naive(since), naive(dt.datetime.now(dt.UTC))
        width = max((now - since) / buckets, dt.timedelta(seconds=1))
        grouped: dict[str, dict[int, list[tuple[int, float]]]] = defaultdict(lambda: defaultdict(list))
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(API_CALL.c.service, API_CALL.c.at, API_CALL.c.status, API_CALL.c.duration_s).where(
                    API_CALL.c.cloud == cloud, API_CALL.c.at >= since
                )
            )
            for service, at, status, duration in rows:
                grouped[service][min(int((at - since) / width), buckets - 1)].append((status, duration))
        series: dict[str, list[dict[str, Any]]] = {}
        for service, by_bucket in sorted(grouped.items()):
            points = []
            for index in range(buckets):
                calls = by_bucket.get(index, [])
                durations = [d for _, d in calls]
                failed = sum(1 for s, _ in calls if s == 0 or s >= 500 or s == 429)
                points.append(
                    {
                        "start": aware(since + index * width),
                        "calls": len(calls),
                        "error_rate": failed / len(calls) if calls else None,
                        "p50_s": statistics.median(durations) if durations else None,
                        "p95_s": percentile(durations, 0.95) if durations else None,
                    }
                )
            series[service] = points
        return series

    def iterations(
        self, cloud: str | None = None, limit: int = 20, since: dt.datetime | None = None
    ) -> list[dict[str, Any]]:
        query = select(ITERATION.c.summary).order_by(ITERATION.c.started_at.desc()).limit(limit)
        if cloud is not None:
            query = query.where(ITERATION.c.cloud == cloud)
        if since is not None:
            query = query.where(ITERATION.c.started_at >= naive(since))
        with self.engine.connect() as connection:
            return [json.loads(s) for s in connection.scalars(query)]

    def failed_iterations(self, cloud: str, since: dt.datetime) -> int:
        with self.engine.connect() as connection:
            return int(
                connection.scalar(
                    select(func.count(ITERATION.c.id)).where(
                        ITERATION.c.cloud == cloud, ITERATION.c.started_at >= naive(since), ITERATION.c.ok.is_(False)
                    )
                )
                or 0
            )

    def alerts(self, cloud: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
        query = select(ALERT).order_by(ALERT.c.at.desc(), ALERT.c.id.desc()).limit(limit)
        if cloud is not None:
            query = query.where(ALERT.c.cloud == cloud)
        with self.engine.connect() as connection:
            return [{**row._mapping, "at": aware(row.at)} for row in connection.execute(query)]

    def close(self) -> None:
        self.engine.dispose()
