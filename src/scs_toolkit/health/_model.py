"""Results of health iterations: frozen records that cross from the scenario to store, metrics and CLI."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from .._time import iso


@dataclass(frozen=True)
class ScenarioOptions:
    vms: int = 1
    with_volumes: bool = False
    with_lb: bool = False
    #: Seconds before one API request is cut (a hanging API must not hang the monitor).
    api_timeout_s: float = 30.0
    #: Seconds a server, volume or load balancer may take to become ready.
    ready_timeout_s: float = 300.0
    ssh_timeout_s: float = 120.0


@dataclass(frozen=True)
class ApiCall:
    """One HTTP request to the cloud, as the monitor saw it; `status` 0 means no answer (timeout, reset)."""

    at: dt.datetime
    service: str
    operation: str
    status: int
    duration_s: float
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.status == 0 or self.status >= 500 or self.status == 429


@dataclass(frozen=True)
class StepResult:
    name: str
    ok: bool
    duration_s: float
    error: str | None = None
    skipped: bool = False


@dataclass(frozen=True)
class IterationResult:
    cloud: str
    iteration: int
    started_at: dt.datetime
    duration_s: float
    steps: tuple[StepResult, ...]
    calls: tuple[ApiCall, ...]
    #: Seconds from create to ready, per kind (server, volume, loadbalancer).
    time_to_ready: dict[str, tuple[float, ...]] = field(default_factory=dict)
    ssh_s: float | None = None
    leftovers: tuple[str, ...] = ()
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return all(s.ok or s.skipped for s in self.steps) and not self.leftovers and not self.interrupted

    @property
    def failures(self) -> tuple[str, ...]:
        return tuple(f"{s.name}: {s.error}" for s in self.steps if not s.ok and not s.skipped)

    def errors_by_service(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for call in self.calls:
            if call.failed:
                counts[call.service] = counts.get(call.service, 0) + 1
        return counts

    def summary(self) -> dict[str, Any]:
        """The JSON summary of one iteration (`scs health run --format json`)."""
        return {
            "cloud": self.cloud,
            "iteration": self.iteration,
            "started_at": iso(self.started_at),
            "ok": self.ok,
            "duration_s": round(self.duration_s, 3),
            "failures": list(self.failures),
            "steps": [asdict(s) for s in self.steps],
            "api_calls": len(self.calls),
            "api_errors": self.errors_by_service(),
            "time_to_ready_s": {k: [round(v, 3) for v in vs] for k, vs in self.time_to_ready.items()},
            "ssh_s": None if self.ssh_s is None else round(self.ssh_s, 3),
            "leftovers": list(self.leftovers),
            "interrupted": self.interrupted,
        }
