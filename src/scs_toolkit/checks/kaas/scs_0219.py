"""scs-0219-v1 KaaS networking: NetworkPolicy enforced (Sonobuoy's NetworkPolicy e2e focus, the official
testcase), and what the API itself shows beside it (informational): the NetworkPolicy API is served, and the
recommendations (AdminNetworkPolicy/BaselineAdminNetworkPolicy, a default IngressClass).
"""

from __future__ import annotations

from ...collect import KaasSnapshot
from .._model import Finding, Outcome, Probe
from ._common import kaas_testcase, setting
from ._sonobuoy import FLAKE_ATTEMPTS, E2eRun, run_e2e

NETWORKING = E2eRun(
    "kaas-networking-check", ("--e2e-focus", "NetworkPolicy", "--plugin-env", FLAKE_ATTEMPTS), "sono-results-0219"
)
ADMIN_POLICY_GROUPS = (
    "policy.networking.k8s.io/v1",
    "policy.networking.k8s.io/v1alpha1",
    "policy.networking.k8s.io/v1alpha2",
)


@kaas_testcase(
    "kaas-networking-check",
    "scs-0219-v1",
    "All upstream e2e tests of the focus 'NetworkPolicy' pass (Sonobuoy), except scs-sonobuoy-config okToFail",
    "provide a CNI that fully enforces networking.k8s.io/v1 NetworkPolicy (e.g. Cilium, Calico, Antrea, Kube-OVN)",
    needs=set(),
    active=True,
)
def networking(snapshot: KaasSnapshot, probe: Probe) -> Outcome:
    return run_e2e(probe, NETWORKING, setting(probe, "execution_mode", "parallel"))


@kaas_testcase(
    "scs-0219-network-policy-api",
    "scs-0219-v1",
    "The API serves networking.k8s.io/v1 NetworkPolicy; recommended: AdminNetworkPolicy and a default IngressClass",
    "run a CNI with NetworkPolicy support; recommended: AdminNetworkPolicy support and a managed Ingress "
    "controller with a default IngressClass",
    needs={"api_resources", "ingress_classes"},
    informational=True,
    section="light",
)
def network_policy_api(snapshot: KaasSnapshot) -> Outcome:
    assert snapshot.api_resources is not None and snapshot.ingress_classes is not None
    if "networkpolicies" not in snapshot.api_resources.get("networking.k8s.io/v1", ()):
        return Outcome.failed(
            "the API does not serve networking.k8s.io/v1 networkpolicies",
            [Finding("networking.k8s.io/v1", "NetworkPolicy not served", "networkpolicies", "absent")],
            network_policy_api_remediation(),
        )
    notes = []
    admin = [gv for gv in ADMIN_POLICY_GROUPS if "adminnetworkpolicies" in snapshot.api_resources.get(gv, ())]
    notes.append(
        f"AdminNetworkPolicy served ({', '.join(admin)})" if admin else "no AdminNetworkPolicy API (recommended)"
    )
    defaults = [c.name for c in snapshot.ingress_classes if c.is_default]
    notes.append(f"default IngressClass {', '.join(defaults)}" if defaults else "no default IngressClass (recommended)")
    return Outcome.passed("networking.k8s.io/v1 NetworkPolicy is served; " + "; ".join(notes))


def network_policy_api_remediation() -> str:
    return "install a CNI that implements NetworkPolicy (scs-0219-w1 lists compliant ones)"
