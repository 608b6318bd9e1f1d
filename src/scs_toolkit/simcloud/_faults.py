"""Fault injection: latency, jitter, errors, rate limits, hanging requests and slow builds.

Settings are per service (identity, compute, image, volume, network, load-balancer,
key-manager, object-store) with a default for all; they can be changed while the cloud runs
(`/_sim/faults`). Random draws come from one seeded generator, so a run with the same seed and
the same request sequence injects the same faults.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

SERVICES = (
    "identity",
    "compute",
    "image",
    "volume",
    "network",
    "load-balancer",
    "key-manager",
    "object-store",
    "placement",
)


@dataclass(frozen=True)
class Faults:
    """What to do to requests of one service. Rates are probabilities per request (0..1)."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    error_status: int = 500
    rate_limit_rate: float = 0.0
    retry_after_s: int = 1
    hang_rate: float = 0.0
    hang_s: float = 300.0
    #: Extra seconds a server or load balancer stays in BUILD / PENDING_CREATE.
    build_delay_s: float = 0.0

    def __post_init__(self) -> None:
        for name in ("error_rate", "rate_limit_rate", "hang_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {value}")
        for name in ("latency_ms", "jitter_ms", "hang_s", "build_delay_s"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.error_status not in (500, 502, 503, 504):
            raise ValueError(f"error_status must be one of 500, 502, 503, 504, not {self.error_status}")

    def updated(self, changes: dict[str, Any]) -> Faults:
        known = {f.name: f.type for f in fields(self)}
        unknown = set(changes) - set(known)
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(sorted(unknown))}; known: {', '.join(known)}")
        typed: dict[str, Any] = {}
        for key, value in changes.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{key} must be a number, not {value!r}")
            typed[key] = int(value) if key in ("error_status", "retry_after_s") else float(value)
        return replace(self, **typed)


@dataclass(frozen=True)
class Decision:
    """What happens to one request: delay first, then maybe hang, fail or rate-limit."""

    delay_s: float = 0.0
    hang_s: float = 0.0
    status: int | None = None
    retry_after_s: int | None = None


class FaultInjector:
    def __init__(self, seed: int | None = None, default: Faults | None = None) -> None:
        self._random = random.Random(seed)
        self.default = default or Faults()
        self.per_service: dict[str, Faults] = {}

    def for_service(self, service: str) -> Faults:
        return self.per_service.get(service, self.default)

    def decide(self, service: str) -> Decision:
        faults = self.for_service(service)
        delay = faults.latency_ms / 1000.0
        if faults.jitter_ms:
            delay += self._random.uniform(0, faults.jitter_ms) / 1000.0
        draw = self._random.random()
        if draw < faults.hang_rate:
            return Decision(delay, hang_s=faults.hang_s)
        draw -= faults.hang_rate
        if draw < faults.error_rate:
            return Decision(delay, status=faults.error_status)
        draw -= faults.error_rate
        if draw < faults.rate_limit_rate:
            return Decision(delay, status=429, retry_after_s=faults.retry_after_s)
        return Decision(delay)

    def snapshot(self) -> dict[str, Any]:
        return {
            "default": asdict(self.default),
            "services": {name: asdict(faults) for name, faults in self.per_service.items()},
        }

    def configure(self, document: dict[str, Any]) -> None:
        """Apply `{"default": {...}, "services": {"compute": {...}}}`; partial settings update."""
        if not isinstance(document, dict) or set(document) - {"default", "services"}:
            raise ValueError('expected {"default": {...}, "services": {"<service>": {...}}}')
        default = self.default.updated(document.get("default") or {})
        per_service = dict(self.per_service)
        for service, changes in (document.get("services") or {}).items():
            if service not in SERVICES:
                raise ValueError(f"unknown service {service!r}; known: {', '.join(SERVICES)}")
            per_service[service] = per_service.get(service, default).updated(changes or {})
        self.default, self.per_service = default, per_service

    def reset(self) -> None:
        self.default = Faults()
        self.per_service = {}
