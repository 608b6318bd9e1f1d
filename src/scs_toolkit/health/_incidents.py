"""The bridge from health alerts to status page incidents.

After every iteration of a cloud the health monitor calls the bridge with the iteration and the
alerts firing then; the bridge POSTs both to the status page's `/ingest/healthmon` with a machine
token. The status page keeps the state (which incident belongs to which symptom, how many clean
iterations followed): it opens an incident per symptom on the cloud's components, adds updates while
the symptom lasts, and resolves it after `resolve_after` clean iterations, or only proposes incidents
for a person to confirm (mode "propose"). Sending every iteration, clean or not, makes the exchange
self-healing: one that fails (status page down) is made up for by the next.

The bridge never raises into the health monitor: a status page that is down costs a log line.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from .._time import aware, iso, utcnow
from ._alerts import Alert
from ._model import IterationResult

LOG = logging.getLogger("scs_toolkit.health.incidents")
MODES = ("open", "propose")


@dataclass(frozen=True)
class Symptom:
    """How one kind of alert shows on the status page."""

    title: str
    impact_type: str
    severity: int


def symptom(cloud: str, rule: str) -> Symptom:
    """Alert rules of scs_toolkit.health._alerts as incidents: slow APIs degrade performance, failing
    APIs are connectivity problems, failing iterations mean the cloud cannot be used as a whole."""
    kind, _, service = rule.partition(":")
    if kind == "latency":
        return Symptom(f"{cloud}: {service} API is slow", "Performance Degradation", 50)
    if kind == "error-rate":
        return Symptom(f"{cloud}: {service} API requests fail", "Connectivity Problems", 60)
    if kind == "failed-iterations":
        return Symptom(f"{cloud}: health checks fail repeatedly", "Unknown", 75)
    return Symptom(f"{cloud}: {rule}", "Unknown", 50)


@dataclass(frozen=True)
class BridgeSettings:
    #: Where the status page answers its 1.1.2 paths (e.g. http://monitor:8080/status).
    url: str
    #: A machine token: NAME.SECRET (`scs status token add NAME --scope machine`).
    token: str
    #: The health dashboard's base URL, for the evidence links of each update.
    dashboard_url: str | None = None
    mode: str = "open"
    resolve_after: int = 3
    #: How far before an alert's start the evidence link reaches (the alert rules' window).
    window: dt.timedelta = dt.timedelta(minutes=15)
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.resolve_after < 1:
            raise ValueError("resolve_after must be at least 1")


class StatusPageBridge:
    """Callable as HealthMonitor's `after_evaluation`; thread-safe (one HTTP client for every cloud)."""

    def __init__(self, settings: BridgeSettings, client: httpx.Client | None = None) -> None:
        self.settings = settings
        self._client = client or httpx.Client(timeout=settings.timeout_s)
        self._said: set[str] = set()
        self._lock = threading.Lock()
        #: The last answer per cloud (what the status page did), for the CLI, the demo and tests.
        self.last: dict[str, dict[str, Any]] = {}

    def report(self, result: IterationResult, firing: list[Alert]) -> dict[str, Any]:
        """What is POSTed for one iteration."""
        now = utcnow()
        document: dict[str, Any] = {
            "cloud": result.cloud,
            "iteration": {
                "number": result.iteration,
                "startedAt": iso(result.started_at),
                "ok": result.ok,
                "failures": [f[:2000] for f in result.failures[:50]],
            },
            "firing": [
                {
                    "symptom": alert.rule,
                    "title": symptom(result.cloud, alert.rule).title,
                    "message": alert.message,
                    "since": iso(alert.at),
                    "severity": symptom(result.cloud, alert.rule).severity,
                    "impactType": symptom(result.cloud, alert.rule).impact_type,
                }
                for alert in firing
            ],
            "mode": self.settings.mode,
            "resolveAfter": self.settings.resolve_after,
        }
        if self.settings.dashboard_url:
            base = self.settings.dashboard_url.rstrip("/")
            start = min([aware(a.at) for a in firing] + [aware(result.started_at)]) - self.settings.window
            document["evidenceUrl"] = evidence_url(base, result.cloud, start, now)
            document["dashboardUrl"] = f"{base}/clouds/{quote(result.cloud, safe='')}"
        return document

    def __call__(self, result: IterationResult, firing: list[Alert]) -> None:
        try:
            answer = self._client.post(
                self.settings.url.rstrip("/") + "/ingest/healthmon",
                json=self.report(result, firing),
                headers={"Authorization": f"Bearer {self.settings.token}"},
            )
        except httpx.HTTPError as error:
            self._say(f"status page {self.settings.url} unreachable: {type(error).__name__}: {error}")
            return
        if answer.status_code != 200:
            message = _message(answer)
            self._say(f"status page refused the report of {result.cloud}: HTTP {answer.status_code}: {message}")
            return
        data: dict[str, Any] = answer.json().get("data", {})
        with self._lock:
            self.last[result.cloud] = data
        for problem in data.get("problems", []):
            self._say(f"status page: {problem}")
        for kind in ("opened", "proposed", "resolved"):
            for incident in data.get(kind, []):
                LOG.warning("status page incident %s %s for %s", incident, kind, result.cloud)

    def _say(self, message: str) -> None:
        """Each distinct problem once (a down status page would otherwise log every iteration)."""
        with self._lock:
            if message in self._said:
                return
            self._said.add(message)
        LOG.warning("%s", message)

    def close(self) -> None:
        self._client.close()


def evidence_url(dashboard: str, cloud: str, start: dt.datetime, end: dt.datetime) -> str:
    """The health dashboard's page of `cloud` for [start, end] (a stable link: absolute times), with
    `hours` as a fallback for dashboards that show only the last hours."""
    hours = max(1, math.ceil((end - start).total_seconds() / 3600))
    query = urlencode({"start": _minute(start), "end": _minute(end + dt.timedelta(minutes=1)), "hours": hours})
    return f"{dashboard}/clouds/{quote(cloud, safe='')}?{query}"


def _minute(moment: dt.datetime) -> str:
    return aware(moment).replace(second=0, microsecond=0).isoformat()


def _message(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("message", answer.text[:200]))
    except ValueError:
        return answer.text[:200]
