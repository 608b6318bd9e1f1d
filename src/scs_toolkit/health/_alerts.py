"""Alert rules over a sliding window: error rate and p95 latency per service, failed iterations.

An alert is announced when it starts firing and when it resolves (not on every evaluation): a
WARNING log line, a row in the store, and optionally a JSON POST to a webhook.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass
from typing import Any

import httpx

from .._time import iso
from ._store import HealthStore

LOG = logging.getLogger("scs_toolkit.health.alerts")


@dataclass(frozen=True)
class AlertRules:
    window: dt.timedelta = dt.timedelta(minutes=15)
    max_error_rate: float = 0.05
    max_p95_latency_s: float = 5.0
    max_failed_iterations: int = 2
    #: Fewer calls than this in the window say too little about a service's error rate.
    min_calls: int = 10


@dataclass(frozen=True)
class Alert:
    cloud: str
    rule: str
    firing: bool
    message: str
    at: dt.datetime

    def document(self) -> dict[str, Any]:
        return {
            "cloud": self.cloud,
            "rule": self.rule,
            "state": "firing" if self.firing else "resolved",
            "message": self.message,
            "at": iso(self.at),
        }


class Alerter:
    def __init__(self, store: HealthStore, rules: AlertRules | None = None, webhook: str | None = None) -> None:
        self.store, self.rules, self.webhook = store, rules or AlertRules(), webhook
        self._firing: dict[tuple[str, str], bool] = {}
        #: (cloud, rule) -> the alert as it fires now: since when (`at`), and its latest message.
        self._active: dict[tuple[str, str], Alert] = {}
        self._lock = threading.Lock()

    def evaluate(self, cloud: str) -> list[Alert]:
        """Check the rules for `cloud` now; announce changes; returns the alerts that changed state."""
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        since = now - self.rules.window
        conditions: dict[str, str | None] = {}
        for stats in self.store.service_stats(cloud, since):
            rate_rule, latency_rule = f"error-rate:{stats.service}", f"latency:{stats.service}"
            conditions[rate_rule] = (
                f"{stats.service}: {stats.error_rate:.0%} of {stats.calls} API calls failed in the last "
                f"{_minutes(self.rules.window)} (limit {self.rules.max_error_rate:.0%})"
                if stats.calls >= self.rules.min_calls and stats.error_rate > self.rules.max_error_rate
                else None
            )
            conditions[latency_rule] = (
                f"{stats.service}: p95 latency {stats.p95_s:.2f} s in the last {_minutes(self.rules.window)} "
                f"(limit {self.rules.max_p95_latency_s:.2f} s)"
                if stats.p95_s > self.rules.max_p95_latency_s
                else None
            )
        failed = self.store.failed_iterations(cloud, since)
        conditions["failed-iterations"] = (
            f"{failed} failed iterations in the last {_minutes(self.rules.window)} "
            f"(limit {self.rules.max_failed_iterations})"
            if failed >= self.rules.max_failed_iterations
            else None
        )
        changed = []
        with self._lock:
            for rule, message in conditions.items():
                firing = message is not None
                if self._firing.get((cloud, rule), False) != firing:
                    self._firing[cloud, rule] = firing
                    changed.append(Alert(cloud, rule, firing, message or f"{rule} is back to normal", now))
                if message is None:
                    self._active.pop((cloud, rule), None)
                else:
                    since = self._active[cloud, rule].at if (cloud, rule) in self._active else now
                    self._active[cloud, rule] = Alert(cloud, rule, True, message, since)
        for alert in changed:
            self._announce(alert)
        return changed

    def firing(self, cloud: str) -> list[Alert]:
        """The alerts of `cloud` firing after its last evaluation: each since it started, with its latest
        message (what the status page bridge turns into incidents)."""
        with self._lock:
            return sorted((a for (c, _), a in self._active.items() if c == cloud), key=lambda a: a.rule)

    def _announce(self, alert: Alert) -> None:
        state = "FIRING" if alert.firing else "resolved"
        LOG.warning("alert %s %s on %s: %s", state, alert.rule, alert.cloud, alert.message)
        self.store.add_alert(alert.cloud, alert.rule, alert.firing, alert.message, alert.at)
        if self.webhook:
            try:
                httpx.post(self.webhook, json=alert.document(), timeout=5).raise_for_status()
            except httpx.HTTPError as error:
                LOG.warning("alert webhook %s failed: %s", self.webhook, error)


def _minutes(window: dt.timedelta) -> str:
    return f"{window.total_seconds() / 60:.0f} min"
