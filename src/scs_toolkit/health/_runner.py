"""Schedules: every cloud in its own thread with its own interval, one connection each, results
stored, measured and checked against the alert rules as they come."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import openstack

from ._alerts import Alerter
from ._metrics import HealthMetrics
from ._model import IterationResult, ScenarioOptions, StepResult
from ._scenario import Scenario
from ._store import HealthStore


@dataclass(frozen=True)
class CloudSchedule:
    cloud: str
    options: ScenarioOptions = field(default_factory=ScenarioOptions)
    interval_s: float = 60.0
    #: None runs until stopped.
    iterations: int | None = 1


def connect(cloud: str, api_timeout_s: float) -> Any:
    """An openstacksdk connection from clouds.yaml whose requests are cut after `api_timeout_s`."""
    # no silent connection retries: each failed attempt is what the monitor is there to see
    return openstack.connect(cloud=cloud, api_timeout=api_timeout_s, connect_retries=0)


class HealthMonitor:
    def __init__(
        self,
        store: HealthStore,
        metrics: HealthMetrics,
        alerter: Alerter,
        connector: Callable[[str, float], Any] = connect,
    ) -> None:
        self.store, self.metrics, self.alerter, self.connector = store, metrics, alerter, connector

    def run(
        self,
        schedules: list[CloudSchedule],
        stop: threading.Event,
        on_result: Callable[[IterationResult], None] = lambda result: None,
    ) -> list[IterationResult]:
        """Run every schedule side by side until each is done or `stop` is set; returns all results."""
        results: list[IterationResult] = []
        lock = threading.Lock()

        def loop(schedule: CloudSchedule) -> None:
            for result in self._iterations(schedule, stop):
                self.store.add(result)
                self.metrics.iteration(result)
                self.alerter.evaluate(schedule.cloud)
                with lock:
                    results.append(result)
                on_result(result)

        threads = [threading.Thread(target=loop, args=(s,), name=f"health-{s.cloud}", daemon=True) for s in schedules]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    def _iterations(self, schedule: CloudSchedule, stop: threading.Event) -> Any:
        try:
            conn = self.connector(schedule.cloud, schedule.options.api_timeout_s)
            scenario = Scenario(
                conn,
                schedule.cloud,
                schedule.options,
                stop,
                on_call=lambda call: self.metrics.call(schedule.cloud, call),
            )
        except Exception as error:  # the cloud cannot be reached or configured: one failed iteration says so
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
            yield IterationResult(
                schedule.cloud,
                1,
                now,
                0.0,
                (StepResult("connect", False, 0.0, f"{type(error).__name__}: {error}"),),
                (),
            )
            return
        number = 0
        while not stop.is_set() and (schedule.iterations is None or number < schedule.iterations):
            number += 1
            yield scenario.run(number)
            if schedule.iterations is not None and number >= schedule.iterations:
                break
            if stop.wait(schedule.interval_s):
                break
        conn.close()
