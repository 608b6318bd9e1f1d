"""cncf-k8s-conformance and kaas-networking-check: Sonobuoy driven as the official handler does, its results
judged with okToFail; recorded archives (passed, failed, failed-but-forgiven, timed out); no binary: ABORT."""

from __future__ import annotations

from pathlib import Path

import pytest

from scs_toolkit.checks import Probe, Status, evaluate
from scs_toolkit.checks.kaas._sonobuoy import (
    SonobuoyConfigError,
    bundled_exceptions,
    judge,
    parse_config,
    parse_results,
)
from scs_toolkit.collect import KubeConnection, collect_kaas
from scs_toolkit.simk8s import SimK8s
from tests.checks.kaas.conftest import ARCHIVES, FakeSonobuoy, connection
from tests.conftest import BUNDLED

RESULTS = """
items:
- name: junit_01.xml
  items:
  - name: Kubernetes e2e suite
    items:
    - {name: "[sig-network] a passes", status: passed}
    - {name: "[sig-network] SCTP [Feature:SCTPConnectivity] fails", status: failed}
    - {name: "[sig-network] something else fails", status: failed}
    - {name: "[sig-apps] skipped", status: skipped}
    - {name: "[sig-apps] without status"}
"""


def test_bundled_config_is_the_official_one() -> None:
    assert (BUNDLED / "kaas" / "scs-sonobuoy-config-v1.yaml").read_text().startswith("okToFail:")
    exceptions = bundled_exceptions()
    assert len(exceptions) == 9 and any(e.regex.pattern == "Feature:SCTPConnectivity" for e in exceptions)


def test_parser_vectors_from_the_reference_semantics() -> None:
    results = parse_results(RESULTS, bundled_exceptions())
    assert (len(results.passed), len(results.failed), len(results.forgiven), results.skipped) == (1, 1, 1, 2)
    assert judge(results, "e2e").status is Status.FAIL
    forgiving = parse_results(
        RESULTS.replace('    - {name: "[sig-network] something else fails", status: failed}\n', ""),
        bundled_exceptions(),
    )
    assert judge(forgiving, "e2e").status is Status.PASS and "forgiven by okToFail: 1" in judge(forgiving, "e2e").reason


def test_zero_tests_is_no_verdict_unlike_the_reference() -> None:
    outcome = judge(parse_results("items: []\n", ()), "e2e")
    assert outcome.status is Status.ABORT and "no e2e test ran" in outcome.reason


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("okToFail: {}\n", "okToFail must be a list"),
        ("okToFail:\n- regex: x\n", "needs exactly the keys regex and reason"),
        ("okToFail:\n- {regex: x, reason: y, extra: z}\n", "needs exactly the keys regex and reason"),
        ("okToFail:\n- {regex: '', reason: y}\n", "non-empty strings"),
        ("okToFail:\n- {regex: '(', reason: y}\n", "not a regular expression"),
        ("other: 1\n", "only key is okToFail"),
    ],
)
def test_malformed_configs_are_refused(text: str, message: str) -> None:
    with pytest.raises(SonobuoyConfigError, match=None) as caught:
        parse_config(text, "cfg")
    assert message in str(caught.value)


def test_an_empty_config_has_no_exceptions() -> None:
    assert parse_config("") == ()


@pytest.fixture
def kube(simk8s: SimK8s, tmp_path: Path) -> KubeConnection:
    return connection(simk8s, tmp_path / "kubeconfig")


def run(conn: KubeConnection, testcase: str, **settings: str) -> object:
    snapshot = collect_kaas(conn, set())
    return evaluate(snapshot, [testcase], Probe(conn, settings=settings))[testcase]


@pytest.mark.parametrize(
    ("archive", "status", "text"),
    [
        ("passed", Status.PASS, "all e2e tests passed (sonobuoy reports 5 passed, 0 failed, 0 failed_ok, 2 skipped)"),
        ("failed", Status.FAIL, "1 e2e test(s) failed (sonobuoy reports 5 passed, 1 failed, 2 failed_ok, 2 skipped)"),
        ("failed-ok", Status.PASS, "forgiven by okToFail: 2"),
        ("timed-out", Status.ABORT, "Plugin timeout while waiting for results"),
    ],
)
def test_recorded_archives(
    archive: str,
    status: Status,
    text: str,
    kube: KubeConnection,
    fake_sonobuoy: FakeSonobuoy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAKE_SONOBUOY_RESULTS", str(ARCHIVES / archive))
    outcome = run(kube, "kaas-networking-check")
    assert outcome.status is status, outcome.reason  # type: ignore[attr-defined]
    assert text in outcome.reason  # type: ignore[attr-defined]
    if status is Status.FAIL:
        assert [f.subject for f in outcome.findings] == [  # type: ignore[attr-defined]
            "[sig-network] Netpol NetworkPolicy between server and client should deny egress from pods based on PodSelector [Feature:NetworkPolicy]"
        ]


def test_arguments_are_the_official_handlers(kube: KubeConnection, fake_sonobuoy: FakeSonobuoy) -> None:
    outcome = run(kube, "cncf-k8s-conformance")
    assert outcome.status is Status.PASS, outcome.reason  # type: ignore[attr-defined]
    calls = fake_sonobuoy.calls()
    assert [c[0] for c in calls] == ["delete", "run", "retrieve", "delete"]
    [run_call] = [c for c in calls if c[0] == "run"]
    assert run_call[1] == "--wait"
    assert "--mode=certified-conformance" in run_call
    assert run_call[run_call.index("--plugin-env") + 1] == "e2e.E2E_EXTRA_ARGS=--ginkgo.flake-attempts=2"
    assert run_call[-1] == "--e2e-parallel=true"
    namespace = run_call[run_call.index("--namespace") + 1]
    assert namespace.startswith("scs-test-") and run_call[run_call.index("--context") + 1] == kube.context
    assert all(c[c.index("--namespace") + 1] == namespace for c in calls)  # never another run's namespace
    assert calls[-1][:2] == ["delete", "--wait"]  # always cleaned up


def test_execution_modes(kube: KubeConnection, fake_sonobuoy: FakeSonobuoy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_SONOBUOY_RESULTS", str(ARCHIVES / "passed"))
    run(kube, "kaas-networking-check", execution_mode="dry")
    run(kube, "kaas-networking-check", execution_mode="serial")
    runs = [c for c in fake_sonobuoy.calls() if c[0] == "run"]
    assert runs[0][-2:] == ["--plugin-env", "e2e.E2E_DRYRUN=true"] and "--e2e-parallel=true" not in runs[0]
    assert "--e2e-parallel=true" not in runs[1] and "e2e.E2E_DRYRUN=true" not in runs[1]
    assert runs[1][runs[1].index("--e2e-focus") + 1] == "NetworkPolicy"


def test_without_sonobuoy_it_aborts_with_what_to_install(kube: KubeConnection, no_sonobuoy: None) -> None:
    for testcase in ("cncf-k8s-conformance", "kaas-networking-check"):
        outcome = run(kube, testcase)
        assert outcome.status is Status.ABORT  # type: ignore[attr-defined]
        assert "install Sonobuoy" in outcome.reason and "releases" in outcome.reason  # type: ignore[attr-defined]


def test_a_failing_sonobuoy_run_aborts_and_still_cleans_up(
    kube: KubeConnection, fake_sonobuoy: FakeSonobuoy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_SONOBUOY_FAIL", "run")
    outcome = run(kube, "cncf-k8s-conformance")
    assert outcome.status is Status.ABORT and "admission webhook denied" in outcome.reason  # type: ignore[attr-defined]
    assert fake_sonobuoy.calls()[-1][:2] == ["delete", "--wait"]


def test_end_to_end_on_the_cluster_networking_fails_without_enforcement(
    simk8s_factory: object, tmp_path: Path, fake_sonobuoy: FakeSonobuoy
) -> None:
    """No recorded archive: the fake runs the e2e pod on the simulated cluster and builds the results from its log."""
    sim = simk8s_factory(profile="missing-network-policies")  # type: ignore[operator]
    conn = connection(sim, tmp_path / "kubeconfig")
    networking = run(conn, "kaas-networking-check")
    assert networking.status is Status.FAIL, networking.reason  # type: ignore[attr-defined]
    assert "should support a 'default-deny-ingress' policy" in networking.findings[0].subject  # type: ignore[attr-defined]
    conformance = run(conn, "cncf-k8s-conformance")
    assert conformance.status is Status.PASS, conformance.reason  # type: ignore[attr-defined]
    namespaces = sim.cluster.store.list("/namespaces")
    assert not [n for n in namespaces if n["metadata"]["name"].startswith("scs-test-")]


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "cannot read the results"), ("items: [\n", "not valid YAML"), ("- a\n- b\n", "expected a mapping")],
)
def test_missing_or_malformed_results_abort(
    content: str | None,
    message: str,
    kube: KubeConnection,
    fake_sonobuoy: FakeSonobuoy,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    archive = tmp_path / "archive"
    (archive / "plugins" / "e2e").mkdir(parents=True)
    if content is not None:
        (archive / "plugins" / "e2e" / "sonobuoy_results.yaml").write_text(content)
    monkeypatch.setenv("FAKE_SONOBUOY_RESULTS", str(archive))
    for testcase in ("cncf-k8s-conformance", "kaas-networking-check"):
        outcome = run(kube, testcase)
        assert outcome.status is Status.ABORT and message in outcome.reason  # type: ignore[attr-defined]
