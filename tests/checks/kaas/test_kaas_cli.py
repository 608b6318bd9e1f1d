"""`scs check` for Kubernetes clusters: kubeconfig and contexts as kubectl takes them, exit codes, formats,
parallel contexts, log-in failures as one line with a hint, signed upload to the monitor."""

from __future__ import annotations

import json
import os
from pathlib import Path

import httpx
import pytest
import yaml
from typer.testing import CliRunner

from scs_toolkit._serving import BackgroundServer
from scs_toolkit.cli import app
from scs_toolkit.monitor.app import create_app
from scs_toolkit.monitor.db import Database, migrate
from scs_toolkit.simk8s import SimK8s
from tests.checks.kaas.conftest import FakeSonobuoy
from tests.monitor.helpers import keypair

runner = CliRunner()
KAAS = "1fffebe6-fd4b-44d3-a36c-fc58b4bb0180"


def scs(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def kubeconfig(simk8s: SimK8s, private_dirs: Path) -> Path:
    return simk8s.kubeconfig(private_dirs / "kubeconfig")


def test_compliant_cluster_passes_and_never_writes_the_kubeconfig(
    kubeconfig: Path, fake_sonobuoy: FakeSonobuoy, fresh_version_data: object
) -> None:
    before = kubeconfig.read_bytes(), kubeconfig.stat().st_mtime_ns
    code, out, err = scs("check", "--kubeconfig", str(kubeconfig), "--format", "yaml", "--subject", "sim-1.37")
    assert code == 0, (out, err)
    document = yaml.safe_load(out)
    assert document["spec"]["uuid"] == KAAS and document["subject"] == "sim-1.37"
    assert document["verdicts"]["v1"]["result"] == "PASS"
    [invocation] = document["run"]["invocations"].values()
    assert set(invocation["results"]) == {"cncf-k8s-conformance", "kaas-networking-check", "version-policy-check"}
    assert document["details"]["node-distribution-check"]["informational"] is True
    assert document["run"]["assignment"] == {"context": "simk8s-compliant"}
    assert (kubeconfig.read_bytes(), kubeconfig.stat().st_mtime_ns) == before


def test_kubeconfig_from_the_environment_list_and_the_current_context(
    simk8s: SimK8s,
    simk8s_factory: object,
    private_dirs: Path,
    monkeypatch: pytest.MonkeyPatch,
    no_sonobuoy: None,
    fresh_version_data: object,
) -> None:
    outdated = simk8s_factory(profile="outdated")  # type: ignore[operator]
    first, second = simk8s.kubeconfig(private_dirs / "one"), outdated.kubeconfig(private_dirs / "two")
    monkeypatch.setenv(
        "KUBECONFIG", f"{first}{os.pathsep}{second}"
    )  # kubectl merges: the first file's current context wins
    code, out, _ = scs("check", "--scope", "scs-compatible-kaas", "--tests", "version-policy", "--format", "json")
    assert code == 0 and json.loads(out)["run"]["assignment"]["context"] == "simk8s-compliant"
    code, out, _ = scs(
        "check",
        "--context",
        "simk8s-compliant",
        "--context",
        "simk8s-outdated",
        "--tests",
        "version",
        "--format",
        "json",
    )
    documents = json.loads(out)
    assert code == 1  # the outdated one fails
    assert {d["subject"]: d["verdicts"]["v1"]["result"] for d in documents} == {
        "simk8s-compliant": "PASS",
        "simk8s-outdated": "FAIL",
    }


def test_informational_checks_can_be_selected_alone(kubeconfig: Path) -> None:
    code, out, _ = scs("check", "--kubeconfig", str(kubeconfig), "--tests", "node-distribution", "--format", "json")
    document = json.loads(out)
    assert list(document["details"]) == ["node-distribution-check"]
    assert document["details"]["node-distribution-check"]["result"] == "PASS"
    [invocation] = document["run"]["invocations"].values()
    assert invocation["results"] == {}  # not a testcase the scope automates: not in the official results
    assert code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--kubeconfig", "{dir}/missing"), "no kubeconfig found at"),
        (("--kubeconfig", "{kubeconfig}", "--context", "nope"), "context 'nope' not found"),
        (("--kubeconfig", "{kubeconfig}", "--os-cloud", "x"), "check one kind per run"),
        (("--kubeconfig", "{kubeconfig}", "--scope", "scs-compatible-iaas"), "checks OpenStack clouds, not Kubernetes"),
        (("--kubeconfig", "{kubeconfig}", "--execution-mode", "fast"), "choose parallel, serial or dry"),
        (("--kubeconfig", "{dir}/garbage"), "cannot read the kubeconfig"),
    ],
)
def test_usage_errors(args: tuple[str, ...], message: str, kubeconfig: Path, private_dirs: Path) -> None:
    (private_dirs / "garbage").write_text("clusters: [unclosed\n")
    code, _, err = scs("check", *(a.format(dir=private_dirs, kubeconfig=kubeconfig) for a in args))
    assert code == 2 and message in err, err
    assert "hint:" in err or "kind per run" in err or "parallel, serial" in err


def test_expired_token_and_unreachable_server_are_one_line_with_a_hint(
    simk8s_factory: object, private_dirs: Path
) -> None:
    sim = simk8s_factory(profile="compliant")  # type: ignore[operator]
    path = sim.kubeconfig(private_dirs / "kubeconfig")
    document = yaml.safe_load(path.read_text())
    document["users"][0]["user"]["token"] = "expired"
    path.write_text(yaml.safe_dump(document))
    code, _, err = scs("check", "--kubeconfig", str(path))
    assert code == 2 and "refused the credentials (401 Unauthorized)" in err and "fresh kubeconfig" in err
    assert err.count("error:") == 1 and err.count("hint:") == 1 and "Traceback" not in err
    sim.stop()
    code, _, err = scs("check", "--kubeconfig", str(path), "--context", document["contexts"][1]["name"])
    assert code == 2 and "cannot reach the API server" in err and "connection refused" in err


def test_kaas_report_signed_and_uploaded_to_the_monitor(
    kubeconfig: Path, private_dirs: Path, fake_sonobuoy: FakeSonobuoy, fresh_version_data: object
) -> None:
    db = f"sqlite:///{private_dirs / 'monitor.db'}"
    key, _ = keypair(private_dirs, "signing")
    token = private_dirs / "token"
    for command in (
        ("monitor", "account", "add", "sim-1.37", "--display-name", "Simulated KaaS", "--layer", "KaaS"),
        ("monitor", "account", "add-key", "sim-1.37", f"{key}.pub"),
        ("monitor", "account", "add-apikey", "sim-1.37", "--token-file", str(token)),
    ):
        assert scs(*command, "--db", db)[0] == 0
    migrate(db)
    database = Database(db)
    with BackgroundServer(create_app(database)) as server:
        report = private_dirs / "report.yaml"
        code, _, err = scs(
            "check", "--kubeconfig", str(kubeconfig), "--subject", "sim-1.37", "-o", str(report),
            "--sign", str(key), "--upload", f"{server.url}/reports", "--token-file", str(token),
        )  # fmt: skip
        assert code == 0 and "report uploaded" in err, err
        status = httpx.get(f"{server.url}/api/subjects/sim-1.37").json()
    database.close()
    kaas = status["scopes"][KAAS]
    assert kaas["summary"] == "PASS" and "v1" in kaas["certified"]


def test_cleanup_removes_only_the_prefixed_namespaces(simk8s_factory: object, private_dirs: Path) -> None:
    sim = simk8s_factory(profile="compliant")  # type: ignore[operator]
    path = sim.kubeconfig(private_dirs / "kubeconfig")
    for name in ("scs-test-abc123-storage", "scs-test-abc123-sono-results-e2e", "scs-test-other1-storage", "team-a"):
        sim.cluster.system_create("/namespaces", {"metadata": {"name": name}})
    code, out, _ = scs(
        "check", "cleanup", "--kubeconfig", str(path), "--prefix", "scs-test-abc123-", "--dry-run", "--format", "json"
    )
    assert code == 0 and sorted(r["name"] for r in json.loads(out)) == [
        "scs-test-abc123-sono-results-e2e",
        "scs-test-abc123-storage",
    ]
    code, out, _ = scs(
        "check", "cleanup", "--kubeconfig", str(path), "--prefix", "scs-test-abc123-", "--format", "json"
    )
    assert code == 0 and all(r["problem"] is None for r in json.loads(out))
    left = {n["metadata"]["name"] for n in sim.cluster.store.list("/namespaces")}
    assert {"scs-test-other1-storage", "team-a"} <= left and not {n for n in left if n.startswith("scs-test-abc123-")}
    code, _, err = scs("check", "cleanup", "--kubeconfig", str(path), "--prefix", "team-")
    assert code == 2 and "must start with 'scs-test-'" in err


def test_ctrl_c_stops_a_running_e2e_suite_and_removes_it(
    simk8s_factory: object, private_dirs: Path, fake_sonobuoy: FakeSonobuoy
) -> None:
    from scs_toolkit.checks import Probe, Status, evaluate
    from scs_toolkit.collect import KubeSpec, collect_kaas, connect_kube
    from scs_toolkit.collect._retry import CANCEL

    profile = private_dirs / "slow-e2e.yaml"
    profile.write_text(
        "extends: compliant\ndescription: e2e runs that take long\npods:\n  behaviours:\n"
        "    - {image: 'registry.k8s.io/conformance:*', phase: Succeeded, after_s: 60, log: 'SUCCESS! -- 1 Passed | 0 Failed | 0 Pending | 0 Skipped'}\n"
    )
    sim = simk8s_factory(profile=str(profile))  # type: ignore[operator]

    def interrupt_when_the_suite_starts(event: str, rtype: object, obj: dict[str, object]) -> None:
        labels = (obj.get("metadata") or {}).get("labels") or {}  # type: ignore[union-attr]
        if (
            event == "MODIFIED"
            and labels.get("sonobuoy-plugin") == "e2e"
            and (obj.get("status") or {}).get("phase") == "Running"
        ):  # type: ignore[union-attr]
            CANCEL.set()  # what Ctrl-C does in `scs check`

    sim.cluster.listeners.append(interrupt_when_the_suite_starts)
    conn = connect_kube(KubeSpec(str(sim.kubeconfig(private_dirs / "kubeconfig"))))
    try:
        outcome = evaluate(collect_kaas(conn, set()), ["cncf-k8s-conformance"], Probe(conn))["cncf-k8s-conformance"]
    finally:
        CANCEL.clear()
        conn.close()
    assert outcome.status is Status.ABORT and "interrupted" in outcome.reason
    assert fake_sonobuoy.calls()[-1][:2] == ["delete", "--wait"]
    assert not [n for n in sim.cluster.store.list("/namespaces") if n["metadata"]["name"].startswith("scs-test-")]


def test_a_named_sonobuoy_binary_is_used_and_a_wrong_one_aborts(
    kubeconfig: Path, private_dirs: Path, fresh_version_data: object
) -> None:
    code, out, _ = scs(
        "check",
        "--kubeconfig",
        str(kubeconfig),
        "--tests",
        "cncf",
        "--sonobuoy",
        str(private_dirs / "nope"),
        "--format",
        "json",
    )
    detail = json.loads(out)["details"]["cncf-k8s-conformance"]
    assert code == 2 and detail["result"] == "ABORT" and "is not an executable file" in detail["reason"]


def test_junit_judges_the_scope_and_only_reports_informational_checks(
    kubeconfig: Path, no_sonobuoy: None, simk8s: SimK8s
) -> None:
    from xml.etree import ElementTree

    code, out, _ = scs(
        "check",
        "--kubeconfig",
        str(kubeconfig),
        "--tests",
        "version|node-distribution|scs-0217-api-endpoint",
        "--format",
        "junit",
    )
    [suite] = ElementTree.fromstring(out)
    cases = {c.get("name"): c for c in suite}
    assert set(cases) == {"version-policy-check", "node-distribution-check", "scs-0217-api-endpoint-tls"}
    assert cases["node-distribution-check"].get("classname", "").endswith(".informational")
    assert cases["node-distribution-check"].find("failure") is None
    assert code in (0, 2) and suite.get("failures") == "0"
