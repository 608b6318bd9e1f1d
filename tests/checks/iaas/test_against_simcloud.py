"""The snapshot checks against every simulated profile: exactly the documented testcases fail."""

from __future__ import annotations

import openstack
import pytest

from scs_toolkit import simcloud, standards
from scs_toolkit.checks import Status, all_checks, evaluate
from scs_toolkit.collect import collect_iaas
from scs_toolkit.simcloud import Faults, SimCloud, SimCloudOptions


def required_testcases() -> set[str]:
    """What the effective version and `next` of SCS-compatible IaaS require."""
    scope = standards.load_scope("scs-compatible-iaas")
    return set(scope.version("v5.1").required) | set(scope.version("next").required)


@pytest.mark.parametrize("profile", simcloud.bundled_profiles())
def test_profile_fails_exactly_its_documented_testcases(profile: str) -> None:
    documented = set(simcloud.load_profile(profile).get("expected_failures") or {})
    implemented = set(all_checks()) & (required_testcases() | documented)
    expected = documented & implemented
    with SimCloud(SimCloudOptions(profile=profile, seed=2, ssh=False)) as sim:
        snapshot = collect_iaas(openstack.connect(**sim.connect_kwargs()))
    assert dict(snapshot.errors) == {}
    results = evaluate(snapshot, implemented)
    failed = {tc for tc, outcome in results.items() if outcome.status is Status.FAIL}
    assert failed == expected
    assert all(outcome.status is Status.PASS for tc, outcome in results.items() if tc not in expected)


def test_cloud_faults_never_turn_into_fail() -> None:
    """Transient errors are retried; what still fails is ABORT, never a wrong FAIL."""
    faults = Faults(error_rate=0.3, error_status=503)
    with SimCloud(SimCloudOptions(profile="compliant", seed=3, ssh=False, faults=faults)) as sim:
        snapshot = collect_iaas(openstack.connect(**sim.connect_kwargs()))
    results = evaluate(snapshot, set(all_checks()) & required_testcases())
    assert {o.status for o in results.values()} <= {Status.PASS, Status.ABORT}
    assert Status.PASS in {o.status for o in results.values()}
