"""The monitor's status engine on hand-made histories (vectors recorded from the official compliance monitor)."""

from __future__ import annotations

import datetime as dt

import pytest

from scs_toolkit.checks import Status
from scs_toolkit.monitor.services.evaluation import StoredResult, current_results, evaluate_scope
from scs_toolkit.standards import load_scope

KAAS = load_scope("scs-compatible-kaas")
IAAS = load_scope("scs-compatible-iaas")
MAIN = ("cncf-k8s-conformance", "kaas-networking-check", "version-policy-check")
AT = dt.datetime(2026, 11, 23, 12)


def results(values: dict[str, int], checked: dt.datetime = AT - dt.timedelta(hours=1)) -> list[StoredResult]:
    return [StoredResult(tc, value, checked, "r1") for tc, value in values.items()]


@pytest.mark.parametrize(
    ("values", "verdict", "certified"),
    [
        ({tc: 1 for tc in MAIN}, Status.PASS, ("v1",)),
        ({**{tc: 1 for tc in MAIN}, "version-policy-check": -1}, Status.FAIL, ()),
        ({"cncf-k8s-conformance": 1, "version-policy-check": 1}, Status.MISSING, ()),
        ({**{tc: 1 for tc in MAIN}, "version-policy-check": 0}, Status.ABORT, ()),
        ({"cncf-k8s-conformance": -1}, Status.FAIL, ()),
        ({}, Status.MISSING, ()),
    ],
)
def test_kaas_vectors(values: dict[str, int], verdict: Status, certified: tuple[str, ...]) -> None:
    evaluation = evaluate_scope(KAAS, results(values), AT)
    [v1] = evaluation.versions
    assert v1.verdict is verdict
    assert evaluation.certified == certified


def test_expired_results_do_not_count() -> None:
    old = results({tc: 1 for tc in MAIN}, checked=dt.datetime(2020, 1, 1))
    assert evaluate_scope(KAAS, old, AT).versions[0].verdict is Status.MISSING
    # version-policy-check lives a week: checked on Saturday 2026-11-14 it is valid until Monday 2026-11-23 00:00
    week = [StoredResult("version-policy-check", 1, dt.datetime(2026, 11, 14, 10))]
    assert "version-policy-check" in current_results(KAAS, week, dt.datetime(2026, 11, 22, 23, 59))
    assert "version-policy-check" not in current_results(KAAS, week, dt.datetime(2026, 11, 23, 0, 0))


def test_most_recent_valid_result_wins_and_future_results_are_ignored() -> None:
    history = [
        StoredResult("cncf-k8s-conformance", -1, AT - dt.timedelta(days=3), "old"),
        StoredResult("cncf-k8s-conformance", 1, AT - dt.timedelta(days=1), "new"),
        StoredResult("cncf-k8s-conformance", -1, AT + dt.timedelta(days=1), "future"),
    ]
    status = current_results(KAAS, history, AT)["cncf-k8s-conformance"]
    assert (status.status, status.report_uuid) == (Status.PASS, "new")
    unknown = [StoredResult("not-in-scope", 1, AT), StoredResult("cncf-k8s-conformance", 7, AT)]
    assert current_results(KAAS, unknown, AT) == {}


def test_versions_change_state_at_timeline_dates() -> None:
    passing = results({tc: 1 for tc in IAAS.version("v5.1").required}, checked=dt.datetime(2025, 1, 31, 12))
    before = evaluate_scope(IAAS, passing, dt.datetime(2025, 1, 31, 23))
    assert {v.version: v.state.state.value for v in before.versions} == {
        "v5.1": "effective",
        "v4": "effective",
        "v3": "deprecated",
    }
    passing_v4 = results({tc: 1 for tc in IAAS.version("v4").required}, checked=dt.datetime(2025, 1, 31, 12))
    after = evaluate_scope(IAAS, passing_v4, dt.datetime(2025, 2, 1, 1))
    assert {v.version: v.state.state.value for v in after.versions}["v4"] == "warn"
    assert after.certified == ("v4",) and after.warn
    assert "next" in [v.version for v in evaluate_scope(IAAS, [], dt.datetime(2026, 6, 11, 1)).versions]


def test_draft_pass_does_not_certify() -> None:
    nxt, v51 = set(IAAS.version("next").required), set(IAAS.version("v5.1").required)
    only_v51 = sorted(v51 - nxt)
    assert only_v51  # e.g. scs-0123-swift-s3 left the draft
    evaluation = evaluate_scope(IAAS, results(dict.fromkeys(nxt, 1)), AT)
    assert {v.version: v.verdict for v in evaluation.versions} == {"next": Status.PASS, "v5.1": Status.MISSING}
    assert evaluation.passed == ("next",)
    assert evaluation.certified == () and evaluation.summary is Status.MISSING
    failing = evaluate_scope(IAAS, results({**dict.fromkeys(nxt | v51, 1), only_v51[0]: -1}), AT)
    assert {v.version: v.verdict for v in failing.versions} == {"next": Status.PASS, "v5.1": Status.FAIL}
    assert failing.certified == () and failing.summary is Status.FAIL
    everything = evaluate_scope(IAAS, results(dict.fromkeys(nxt | v51, 1)), AT)
    assert everything.certified == ("v5.1",) and everything.summary is Status.PASS and not everything.warn
