"""Fault injection for the simulated API server: latency, errors, 429 with Retry-After, hangs.

The settings are the simulated cloud's (`scs_toolkit.simcloud.Faults`), keyed here by resource
(`nodes`, `persistentvolumeclaims`, ..., or `discovery` for /api, /apis, /openapi and /version)
with a default for all. They can be changed while the server runs (`/_sim/faults`); draws come
from one seeded generator, so the same seed and request sequence inject the same faults.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

from ..simcloud import Faults

__all__ = ["Decision", "FaultInjector", "Faults"]


@dataclass(frozen=True)
class Decision:
    delay_s: float = 0.0
    hang_s: float = 0.0
    status: int | None = None
    retry_after_s: int | None = None


class FaultInjector:
    def __init__(
        self, seed: int | None = None, default: Faults | None = None, known: frozenset[str] = frozenset()
    ) -> None:
        self._random = random.Random(seed)
        #: Resource names settings may be given for (empty: any).
        self.known = known
        self.default = default or Faults()
        self.per_resource: dict[str, Faults] = {}

    def for_resource(self, resource: str) -> Faults:
        return self.per_resource.get(resource, self.default)

    def decide(self, resource: str) -> Decision:
        faults = self.for_resource(resource)
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

    def provisioning_delay(self, resource: str) -> float:
        """Extra seconds before a PVC binds or a pod starts (`build_delay_s`)."""
        return self.for_resource(resource).build_delay_s

    def snapshot(self) -> dict[str, Any]:
        return {
            "default": asdict(self.default),
            "resources": {name: asdict(faults) for name, faults in self.per_resource.items()},
        }

    def configure(self, document: Any) -> None:
        """Apply `{"default": {...}, "resources": {"nodes": {...}}}`; all or nothing."""
        if not isinstance(document, dict) or set(document) - {"default", "resources"}:
            raise ValueError('expected {"default": {...}, "resources": {"<resource plural>": {...}}}')
        default = self.default.updated(document.get("default") or {})
        per_resource = dict(self.per_resource)
        resources = document.get("resources") or {}
        if not isinstance(resources, dict):
            raise ValueError("resources must map a resource plural (e.g. nodes) to its settings")
        for resource, changes in resources.items():
            if self.known and resource not in self.known:
                raise ValueError(f"unknown resource {resource!r}; known: {', '.join(sorted(self.known))}")
            if not isinstance(changes, dict):
                raise ValueError(f"settings for {resource} must be a mapping")
            per_resource[resource] = per_resource.get(resource, default).updated(changes)
        self.default, self.per_resource = default, per_resource

    def reset(self) -> None:
        self.default = Faults()
        self.per_resource = {}
