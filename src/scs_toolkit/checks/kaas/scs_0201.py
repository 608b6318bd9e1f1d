"""scs-0201-v1 CNCF Kubernetes conformance: Sonobuoy's certified-conformance run, all tests pass except okToFail.

Arguments exactly as the official scope passes them (`--mode=certified-conformance`, two flake attempts,
`--e2e-parallel=true` in the default `parallel` execution mode).
"""

from __future__ import annotations

from ...collect import KaasSnapshot
from .._model import Outcome, Probe
from ._common import kaas_testcase, setting
from ._sonobuoy import FLAKE_ATTEMPTS, E2eRun, run_e2e

CONFORMANCE = E2eRun(
    "cncf-k8s-conformance", ("--mode=certified-conformance", "--plugin-env", FLAKE_ATTEMPTS), "sono-results-e2e"
)


@kaas_testcase(
    "cncf-k8s-conformance",
    "scs-0201-v1",
    "All upstream [Conformance] e2e tests pass (Sonobuoy certified-conformance), except scs-sonobuoy-config okToFail",
    "fix what the failed conformance tests show; see the retrieved results (plugins/e2e/results)",
    needs=set(),
    active=True,
)
def conformance(snapshot: KaasSnapshot, probe: Probe) -> Outcome:
    return run_e2e(probe, CONFORMANCE, setting(probe, "execution_mode", "parallel"))
