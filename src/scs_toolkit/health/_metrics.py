"""Prometheus metrics of the health monitor, in its own registry (several monitors can coexist)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ._model import ApiCall, IterationResult

_LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
_READY_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600)


class HealthMetrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.api_latency = Histogram(
            "scs_health_api_request_duration_seconds",
            "Latency of API requests by service and operation",
            ["cloud", "service", "operation"],
            buckets=_LATENCY_BUCKETS,
            registry=registry,
        )
        self.api_errors = Counter(
            "scs_health_api_errors",
            "API requests answered 5xx/429 or not at all",
            ["cloud", "service"],
            registry=registry,
        )
        self.api_requests = Counter("scs_health_api_requests", "API requests", ["cloud", "service"], registry=registry)
        self.iterations = Counter(
            "scs_health_iterations", "Iterations by result", ["cloud", "result"], registry=registry
        )
        self.iteration_duration = Histogram(
            "scs_health_iteration_duration_seconds",
            "Iteration wall time",
            ["cloud"],
            buckets=_READY_BUCKETS,
            registry=registry,
        )
        self.time_to_ready = Histogram(
            "scs_health_time_to_ready_seconds",
            "From create to ACTIVE/available",
            ["cloud", "kind"],
            buckets=_READY_BUCKETS,
            registry=registry,
        )
        self.ssh = Histogram(
            "scs_health_ssh_seconds",
            "Time to log in to the jump host",
            ["cloud"],
            buckets=_READY_BUCKETS,
            registry=registry,
        )
        self.leftovers = Gauge(
            "scs_health_leftover_resources", "Resources left after the last tear-down", ["cloud"], registry=registry
        )

    def call(self, cloud: str, call: ApiCall) -> None:
        self.api_requests.labels(cloud, call.service).inc()
        self.api_latency.labels(cloud, call.service, call.operation).observe(call.duration_s)
        if call.failed:
            self.api_errors.labels(cloud, call.service).inc()

    def iteration(self, result: IterationResult) -> None:
        self.iterations.labels(result.cloud, "ok" if result.ok else "failed").inc()
        self.iteration_duration.labels(result.cloud).observe(result.duration_s)
        for kind, values in result.time_to_ready.items():
            for value in values:
                self.time_to_ready.labels(result.cloud, kind).observe(value)
        if result.ssh_s is not None:
            self.ssh.labels(result.cloud).observe(result.ssh_s)
        self.leftovers.labels(result.cloud).set(len(result.leftovers))
