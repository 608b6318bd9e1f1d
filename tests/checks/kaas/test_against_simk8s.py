"""Every KaaS check against every simulated cluster profile: exactly the documented testcases fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from scs_toolkit import simk8s, standards
from scs_toolkit.checks import Probe, Status, all_checks, evaluate
from scs_toolkit.collect import collect_kaas
from scs_toolkit.simk8s import Faults, SimK8s, SimK8sOptions
from tests.checks.kaas.conftest import FakeSonobuoy, connection


def kaas_checks() -> set[str]:
    return {tc for tc, check in all_checks().items() if check.layer == "kaas"}


def test_every_testcase_of_the_scope_is_implemented() -> None:
    scope = standards.load_scope("scs-compatible-kaas")
    automated = {tc for tc, t in scope.testcases.items() if not t.manual}
    assert automated == {"cncf-k8s-conformance", "version-policy-check", "kaas-networking-check"}
    assert automated <= kaas_checks()
    assert "node-distribution-check" in kaas_checks()  # the manual one, automated as informational


@pytest.mark.parametrize("profile", simk8s.bundled_profiles())
def test_profile_fails_exactly_its_documented_testcases(
    profile: str, tmp_path: Path, fake_sonobuoy: FakeSonobuoy, fresh_version_data: object
) -> None:
    loaded = simk8s.load_profile(profile)
    documented = set(loaded.get("expected_failures") or {})
    undecidable = set(loaded.get("expected_aborts") or {})
    assert documented | undecidable <= kaas_checks(), "a profile documents a testcase nobody implements"
    with SimK8s(SimK8sOptions(profile=profile, seed=2)) as sim:
        conn = connection(sim, tmp_path / "kubeconfig")
        snapshot = collect_kaas(conn)
        if not loaded.get("faults"):
            assert dict(snapshot.errors) == {}
        results = evaluate(snapshot, kaas_checks(), Probe(conn))
        leftovers = [
            n["metadata"]["name"]
            for n in sim.cluster.store.list("/namespaces")
            if n["metadata"]["name"].startswith("scs-test-")
        ]
        conn.close()
    assert leftovers == []  # probes and Sonobuoy runs clean up
    failed = {tc for tc, outcome in results.items() if outcome.status is Status.FAIL}
    assert failed == documented, {tc: results[tc].reason for tc in failed ^ documented}
    # what the API cannot show (a hosted control plane) must ABORT, never pass vacuously; faults may make anything ABORT
    assert {tc: results[tc].status for tc in undecidable} == dict.fromkeys(undecidable, Status.ABORT)
    tolerated = {Status.PASS, Status.ABORT} if loaded.get("faults") else {Status.PASS}
    judged = documented | undecidable
    others = {tc: (o.status, o.reason) for tc, o in results.items() if tc not in judged and o.status not in tolerated}
    assert others == {}


def test_cluster_faults_never_turn_into_fail(tmp_path: Path, fresh_version_data: object, no_sonobuoy: None) -> None:
    faults = Faults(error_rate=0.3, error_status=503)
    with SimK8s(SimK8sOptions(profile="compliant", seed=3, faults=faults)) as sim:
        sim.cluster.faults.reset()
        conn = connection(sim, tmp_path / "kubeconfig")  # log in without faults, then break the API
        sim.cluster.faults.configure({"default": {"error_rate": 0.3, "error_status": 503}})
        snapshot = collect_kaas(conn)
        results = evaluate(snapshot, kaas_checks() - {"cncf-k8s-conformance", "kaas-networking-check"}, Probe(conn))
        conn.close()
    assert {o.status for o in results.values()} <= {Status.PASS, Status.ABORT}
    assert Status.PASS in {o.status for o in results.values()}
