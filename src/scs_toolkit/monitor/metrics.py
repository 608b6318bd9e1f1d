"""Prometheus metrics of one monitor app: its own registry (no global state), request counts and
latencies per route template (bounded labels), reports received, and database gauges read at scrape."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from .db import Certificate, Database, Report
from .services.status import subjects, utcnow


class _DatabaseCollector(Collector):
    def __init__(self, database: Database) -> None:
        self._database = database

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._database.session() as db:
            reports = db.scalar(select(func.count(Report.id))) or 0
            now = utcnow()
            valid = db.scalar(
                select(func.count(Certificate.id)).where(Certificate.revoked_at.is_(None), Certificate.expires_at > now)
            )
            revoked = db.scalar(select(func.count(Certificate.id)).where(Certificate.revoked_at.is_not(None)))
            listed = len(subjects(db))
        yield GaugeMetricFamily("scs_monitor_reports_stored", "Reports in the database", value=reports)
        yield GaugeMetricFamily("scs_monitor_subjects", "Subjects listed on the overview", value=listed)
        certificates = GaugeMetricFamily("scs_monitor_certificates", "Certificates by state", labels=["state"])
        certificates.add_metric(["valid"], valid or 0)
        certificates.add_metric(["revoked"], revoked or 0)
        yield certificates


class Metrics:
    def __init__(self, database: Database) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "scs_monitor_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "scs_monitor_http_request_duration_seconds", "Time to answer", ["method", "route"], registry=self.registry
        )
        self.reports = Counter("scs_monitor_reports_received", "Reports accepted", registry=self.registry)
        self.password_checks = Counter(
            "scs_monitor_password_hash_checks",
            "argon2 verifications run (an unknown account costs one, like a wrong password)",
            registry=self.registry,
        )
        self.auth_refusals = Counter(
            "scs_monitor_authentication_refusals",
            "Refused logins: wrong credentials, or rate limited",
            ["reason"],
            registry=self.registry,
        )
        self.registry.register(_DatabaseCollector(database))


class MeasuredRequests:
    """Count and time every request by method, route template (bounded label values, not the URL)
    and status. Plain ASGI: Starlette's BaseHTTPMiddleware runs each request through a task group
    and a memory stream, a cost every request paid for two metric updates."""

    def __init__(self, app: Any, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status_code = 500  # what the client gets when the app fails before answering (ServerErrors)

        async def remember_status(message: Any) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember_status)
        finally:
            template = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], template, str(status_code)).inc()
            self.metrics.latency.labels(scope["method"], template).observe(time.perf_counter() - started)
