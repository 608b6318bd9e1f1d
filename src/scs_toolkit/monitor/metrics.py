"""Prometheus metrics of one monitor app: its own registry (no global state), request counts and
latencies per route template (bounded labels), reports received, and database gauges read at scrape."""

from __future__ import annotations

from collections.abc import Iterator

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
