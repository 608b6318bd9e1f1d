"""The snapshot checks against every simulated profile: exactly the documented testcases fail."""

from __future__ import annotations

from pathlib import Path

import httpx
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
    with SimCloud(SimCloudOptions(profile=profile, seed=2)) as sim:
        conn = openstack.connect(**sim.connect_kwargs())
        snapshot = collect_iaas(conn)
        assert dict(snapshot.errors) == {}
        results = evaluate(snapshot, implemented, conn)
        leftovers = {
            k: v
            for k, v in httpx.get(f"{sim.url}/_sim/resources").json().items()
            if k in ("volume", "backup", "secret", "server") and v
        }
    assert leftovers == {}  # active probes clean up after themselves
    failed = {tc for tc, outcome in results.items() if outcome.status is Status.FAIL}
    assert failed == expected, {tc: results[tc].reason for tc in failed ^ expected if tc in results}
    # under injected faults a probe may give up (ABORT) after its retries; it must never FAIL
    tolerated = {Status.PASS, Status.ABORT} if simcloud.load_profile(profile).get("faults") else {Status.PASS}
    others = {tc: o for tc, o in results.items() if tc not in expected and o.status not in tolerated}
    assert others == {}, {tc: (o.status, o.reason) for tc, o in others.items()}


def test_cloud_faults_never_turn_into_fail() -> None:
    """Transient errors are retried; what still fails is ABORT, never a wrong FAIL."""
    faults = Faults(error_rate=0.3, error_status=503)
    with SimCloud(SimCloudOptions(profile="compliant", seed=3, faults=faults)) as sim:
        conn = openstack.connect(**sim.connect_kwargs())
        snapshot = collect_iaas(conn)
        results = evaluate(snapshot, set(all_checks()) & required_testcases(), conn)
    assert {o.status for o in results.values()} <= {Status.PASS, Status.ABORT}
    assert Status.PASS in {o.status for o in results.values()}


def test_key_manager_probe_refuses_admins_and_catches_policy(tmp_path: Path) -> None:
    with SimCloud(SimCloudOptions(profile="compliant", seed=5, ssh=False)) as sim:
        admin = openstack.connect(**sim.connect_kwargs("admin"))
        result = evaluate(collect_iaas(admin), ["scs-0116-permissions"], admin)["scs-0116-permissions"]
        assert result.status is Status.ABORT and "ordinary member" in result.reason
    profile = tmp_path / "no-creator.yaml"
    profile.write_text(
        "extends: compliant\ndescription: members may not use Barbican\nkey_manager: {member_is_creator: false}\n"
    )
    with SimCloud(SimCloudOptions(profile=str(profile), seed=5, ssh=False)) as sim:
        conn = openstack.connect(**sim.connect_kwargs())
        result = evaluate(collect_iaas(conn), ["scs-0116-permissions"], conn)["scs-0116-permissions"]
        assert result.status is Status.FAIL and "403" in result.findings[0].message


def test_s3_probe_fails_on_a_host_that_does_not_speak_s3(tmp_path: Path) -> None:
    profile = tmp_path / "swift-only.yaml"
    profile.write_text(
        "extends: compliant\ndescription: Swift without S3\n"
        "services: [identity, compute, image, volume, network, load-balancer, object-store, placement]\n"
    )
    with SimCloud(SimCloudOptions(profile=str(profile), seed=6, ssh=False)) as sim:
        conn = openstack.connect(**sim.connect_kwargs())
        result = evaluate(collect_iaas(conn), ["scs-0123-swift-s3"], conn)["scs-0123-swift-s3"]
    assert result.status is Status.FAIL


def _in_no_version() -> list[tuple[str, str]]:
    cases = []
    for profile in simcloud.bundled_profiles():
        for failure in simcloud.expected_failures(simcloud.load_profile(profile)):
            if not failure.judged_by:
                cases.append((profile, failure.testcase))
    return cases


@pytest.mark.parametrize(("profile", "testcase"), _in_no_version())
def test_scs_check_reports_the_failures_no_version_judges_when_asked_by_id(
    profile: str, testcase: str, tmp_path: Path
) -> None:
    """`scs check --tests ID` runs a testcase of the scope that no version lists, as the profiles promise."""
    import json
    import os
    import subprocess
    import sys

    assert testcase in standards.load_scope("scs-compatible-iaas").testcases
    clouds = tmp_path / "clouds.yaml"
    with (
        SimCloud(SimCloudOptions(profile=profile, seed=2)) as sim,
        SimCloud(SimCloudOptions(profile="compliant", seed=2)) as good,
    ):
        simcloud.write_clouds_yaml(clouds, sim.clouds_yaml("broken"))
        simcloud.write_clouds_yaml(clouds, good.clouds_yaml("good"))
        env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds)}
        scs = str(Path(sys.executable).parent / "scs")
        results = {}
        for cloud in ("broken", "good"):
            done = subprocess.run(
                [scs, "check", "-c", cloud, "--tests", f"^{testcase}$", "--format", "json"],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            results[cloud] = json.loads(done.stdout)["details"][testcase]["result"]
    assert results == {"broken": "FAIL", "good": "PASS"}
