"""Schedules: every cloud in its own thread with its own interval, one connection each, results
stored, measured and checked against the alert rules as they come."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ._alerts import Alert, Alerter
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
    #: The number of the first iteration (a caller that runs one schedule after another continues counting).
    first: int = 1


def connect(cloud: str, api_timeout_s: float, insecure: bool = False, cacert: str | None = None) -> Any:
    """A connection (not logged in yet) to a clouds.yaml entry, or the OS_* environment for "" or "envvars",
    whose requests are cut after `api_timeout_s`. Logging in is each iteration's first step."""
    from ..collect import ENVIRONMENT_CLOUD, CloudSpec
    from ..collect import connect as open_cloud

    spec = CloudSpec(None if cloud in ("", ENVIRONMENT_CLOUD) else cloud, insecure, cacert)
    # no silent connection retries: each failed attempt is what the monitor is there to see
    return open_cloud(spec, login=False, api_timeout=api_timeout_s, connect_retries=0)


class HealthMonitor:
    def __init__(
        self,
        store: HealthStore,
        metrics: HealthMetrics,
        alerter: Alerter,
        connector: Callable[[str, float], Any] = connect,
        after_evaluation: Callable[[IterationResult, list[Alert]], None] | None = None,
    ) -> None:
        self.store, self.metrics, self.alerter, self.connector = store, metrics, alerter, connector
        #: Called with each iteration and the alerts firing after it (e.g. the status page bridge).
        self.after_evaluation = after_evaluation

    def run(
        self,
        schedules: list[CloudSchedule],
        stop: threading.Event,
        on_result: Callable[[IterationResult], None] = lambda result: None,
        on_step: Callable[[str, int, str], None] = lambda cloud, iteration, step: None,
    ) -> list[IterationResult]:
        """Run every schedule side by side until each is done or `stop` is set; returns all results."""
        results: list[IterationResult] = []
        lock = threading.Lock()

        def loop(schedule: CloudSchedule) -> None:
            for result in self._iterations(schedule, stop, on_step):
                self.store.add(result)
                self.metrics.iteration(result)
                self.alerter.evaluate(schedule.cloud)
                if self.after_evaluation is not None:
                    self.after_evaluation(result, self.alerter.firing(schedule.cloud))
                with lock:
                    results.append(result)
                on_result(result)

        threads = [threading.Thread(target=loop, args=(s,), name=f"health-{s.cloud}", daemon=True) for s in schedules]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return results

    def _iterations(
        self, schedule: CloudSchedule, stop: threading.Event, on_step: Callable[[str, int, str], None]
    ) -> Iterator[IterationResult]:
        """Iterations on schedule; a cloud that cannot even be configured or reached keeps its place:
        every iteration is then one failed `connect` step with the cause, and the next one tries again."""
        conn: Any = None
        scenario: Scenario | None = None
        done, number = 0, schedule.first - 1
        try:
            while not stop.is_set() and (schedule.iterations is None or done < schedule.iterations):
                done, number = done + 1, number + 1
                if scenario is None:
                    try:
                        conn = self.connector(schedule.cloud, schedule.options.api_timeout_s)
                        scenario = Scenario(
                            conn,
                            schedule.cloud,
                            schedule.options,
                            stop,
                            on_call=lambda call: self.metrics.call(schedule.cloud, call),
                            on_step=lambda iteration, step: on_step(schedule.cloud, iteration, step),
                        )
                    except Exception as error:
                        yield _not_connected(schedule.cloud, number, error)
                if scenario is not None:
                    yield scenario.run(number)
                if schedule.iterations is not None and done >= schedule.iterations:
                    break
                on_step(schedule.cloud, number, "waiting for the next iteration")
                if stop.wait(schedule.interval_s):
                    break
        finally:
            if conn is not None:
                conn.close()


def _not_connected(cloud: str, number: int, error: Exception) -> IterationResult:
    from ..collect import CloudError

    reason = error.message if isinstance(error, CloudError) else f"{type(error).__name__}: {error}"
    now = dt.datetime.now(dt.UTC)
    return IterationResult(cloud, number, now, 0.0, (StepResult("connect", False, 0.0, reason),), ())
