"""Black-box health monitoring of an OpenStack cloud's API: build a small environment, use it, tear it
down, and measure every API call on the way (the successor of the SCS openstack-health-monitor)."""

from ._alerts import Alert, Alerter, AlertRules
from ._app import create_health_app, summary
from ._metrics import HealthMetrics
from ._model import ApiCall, IterationResult, ScenarioOptions, StepResult
from ._runner import CloudSchedule, HealthMonitor, connect
from ._scenario import PREFIX, Scenario, cleanup, find_resources
from ._store import HealthStore

__all__ = [
    "PREFIX",
    "Alert",
    "AlertRules",
    "Alerter",
    "ApiCall",
    "CloudSchedule",
    "HealthMetrics",
    "HealthMonitor",
    "HealthStore",
    "IterationResult",
    "Scenario",
    "ScenarioOptions",
    "StepResult",
    "cleanup",
    "connect",
    "create_health_app",
    "find_resources",
    "summary",
]
