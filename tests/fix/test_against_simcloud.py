"""plan -> apply -> check -> plan -> undo on every simulated profile whose failures are fixable, end to end
through the CLI: the fixed testcases PASS, a second plan is empty, undo restores the profile's state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from scs_toolkit import simcloud
from scs_toolkit.simcloud import SimCloud
from tests.conftest import PROJECT_ROOT

from ._cloud import check, cloud_state, connect, register, scs, scs_json

CATALOGUE = str(PROJECT_ROOT / "tests" / "fix" / "data" / "images.yml")


@dataclass(frozen=True)
class Case:
    profile: str
    #: `--tests` for plan, apply and check (None: what `scs check` runs by default)
    tests: str
    #: the profile's documented failures that no change can fix, and why
    unfixable: frozenset[str] = frozenset()
    catalogue: bool = False
    #: plan from a report of `scs check -o` (its probe failures are the operator's)
    report: bool = False


CASES = [
    Case("missing-flavors", "scs-0103"),
    Case(
        "overstated-flavors",
        "scs-010[03]",
        # Nova flavors are immutable and the toolkit never deletes one: only the extra spec is fixed
        frozenset({"scs-0100-semantics-check", "scs-0103-flavor-4v-16", "scs-0103-flavor-2v-4-20s"}),
    ),
    Case("bad-image-metadata", "scs-0102|scs-0101-image-property", catalogue=True),
    Case("permissive-security-groups", "scs-0115"),
    # no cinder-backup: that is the operator's
    Case("broken-storage", "scs-0114|scs-0117", frozenset({"scs-0117-test-backup"}), report=True),
]


@pytest.fixture
def clouds_yaml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "clouds.yaml"
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(path))
    return path


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.profile)
def test_apply_fixes_undo_restores(
    case: Case, clouds_yaml: Path, tmp_path: Path, private_state: Path, simcloud_factory: Callable[..., SimCloud]
) -> None:
    sim = simcloud_factory(profile=case.profile, seed=21, ssh=False)
    register(sim, clouds_yaml, "sim")
    admin = connect(sim, "admin")
    before = cloud_state(admin)
    documented = set(simcloud.load_profile(case.profile)["expected_failures"])
    fixable = documented - case.unfixable
    extra = ["--image-catalogue", CATALOGUE] if case.catalogue else []
    if case.report:
        report = tmp_path / "report.yaml"
        code, _, _ = scs("check", "--cloud", "sim", "--tests", case.tests, "-o", str(report))
        assert code == 1 and report.exists()
        extra += ["--report", str(report)]
    selection = ["--tests", case.tests, *extra]

    assert set(check("sim", case.tests).items()) >= {(tc, "FAIL") for tc in documented}
    code, plan = scs_json("fix", "plan", "--cloud", "sim", *selection)  # an ordinary member may look
    assert code == 1 and plan["admin"] is False and plan["changes"]
    assert all(c["needs_admin"] for c in plan["changes"] if c["area"] != "images")
    planned = {tc for c in plan["changes"] for tc in c["fixes"]}
    assert planned == fixable
    assert set(plan["remaining"]) == (set() if case.report else case.unfixable)  # probes are not judged by a plan
    assert {tc for step in plan["operator"] for tc in step["testcases"]} == case.unfixable

    code, applied = scs_json("fix", "apply", "--cloud", "sim-admin", "--yes", *selection)
    assert code == 0, applied
    assert {r["status"] for r in applied["results"]} == {"done"} and len(applied["results"]) == len(plan["changes"])
    journal = applied["journal"]
    assert Path(journal).parent == private_state / "scs-toolkit" / "fix"  # the state folder, never the cwd

    results = check("sim", case.tests)
    assert {tc for tc in fixable if results[tc] != "PASS"} == set()
    assert {tc for tc in case.unfixable if results[tc] != "FAIL"} == set()
    code, again = scs_json("fix", "plan", "--cloud", "sim-admin", *selection)
    assert again["changes"] == [] and code == (1 if case.unfixable else 0)
    code, second = scs_json("fix", "apply", "--cloud", "sim-admin", "--yes", *selection)
    assert (code, second["results"]) == (0, [])

    code, undone = scs_json("fix", "undo", "--cloud", "sim-admin", "--yes", "--journal", journal)
    assert code == 0 and {r["status"] for r in undone["results"]} == {"reverted"}
    assert cloud_state(admin) == before
    assert set(check("sim", case.tests).items()) >= {(tc, "FAIL") for tc in documented}
    code, out, _ = scs("fix", "undo", "--cloud", "sim-admin", "--yes", "--journal", journal)
    assert code == 0 and "nothing to undo" in out


def test_a_compliant_cloud_plans_nothing(clouds_yaml: Path, simcloud_factory: Callable[..., SimCloud]) -> None:
    sim = simcloud_factory(profile="compliant", seed=21, ssh=False)
    register(sim, clouds_yaml, "good")
    code, plan = scs_json("fix", "plan", "--cloud", "good")
    assert code == 0 and plan["changes"] == [] and plan["operator"] == [] and plan["failing"] == {}
    assert any("not judged by a plan" in note for note in plan["notes"])  # the probes: give a report for them
    code, out, _ = scs("fix", "apply", "--cloud", "good-admin")
    assert code == 0 and "nothing to do" in out


def test_bad_names_and_missing_services_need_the_operator(
    clouds_yaml: Path, simcloud_factory: Callable[..., SimCloud]
) -> None:
    for profile in ("bad-flavor-names", "missing-services"):
        sim = simcloud_factory(profile=profile, seed=21, ssh=False)
        register(sim, clouds_yaml, profile)
        documented = {
            tc for tc in simcloud.load_profile(profile)["expected_failures"] if not tc.startswith("scs-0123-service-s3")
        }
        code, plan = scs_json("fix", "plan", "--cloud", f"{profile}-admin", "--tests", "scs-0100|scs-0123-service")
        assert code == 1 and plan["changes"] == []
        assert {tc for step in plan["operator"] for tc in step["testcases"]} >= documented
        assert all(step["quote"] for step in plan["operator"])
        code, out, _ = scs("fix", "plan", "--cloud", f"{profile}-admin", "--tests", "scs-0100|scs-0123-service")
        assert "needs the operator" in out
        if profile == "bad-flavor-names":
            assert "Nova cannot rename a flavor" in out and "no extra specs to derive" in out.replace("\n", " ")
