"""scs-0210-v2 version policy: the official unit-test and computed vectors, our fixes, stale data, bad input."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from scs_toolkit.checks import Status
from scs_toolkit.checks.kaas import _versions
from scs_toolkit.checks.kaas._versions import (
    Branch,
    BranchInfo,
    Cve,
    Release,
    Version,
    VersionData,
    VersionDataError,
    VersionRange,
    cve_range,
    parse_version,
    parse_version_data,
)
from scs_toolkit.checks.kaas.scs_0210 import decide_version_policy, version_policy
from scs_toolkit.cli import app
from scs_toolkit.collect import KaasSnapshot, ServerVersion
from tests.checks.kaas.conftest import shifted_version_data
from tests.conftest import DATA


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


def official_data(as_of: str, cves: tuple[Cve, ...] = (), eol: dict[str, str] | None = None) -> VersionData:
    """The official test vectors: releases.json (GitHub format) and the official EOL file."""
    releases = tuple(
        Release(parse_version(r["tag_name"].split("-")[0]), at(r["published_at"].rstrip("Z")))
        for r in json.loads((DATA / "kaas" / "k8s-releases.json").read_text())
        if not r["draft"] and not r["prerelease"]
    )
    entries = yaml.safe_load((DATA / "kaas" / "k8s-eol-data.yml").read_text())
    eol = eol or {e["branch"]: e["end-of-life"] for e in entries}
    branches = tuple(
        BranchInfo(_versions.parse_branch(b), None, dt.date.fromisoformat(d), "official") for b, d in eol.items()
    )
    return VersionData(at(as_of), branches, releases, cves, "official test data")


def snapshot(version: str, now: str) -> KaasSnapshot:
    return KaasSnapshot(taken_at=at(now), version=ServerVersion(version))


def decide(version: str, now: str, cves: tuple[Cve, ...] = (), as_of: str | None = None) -> Status:
    return decide_version_policy(snapshot(version, now), official_data(as_of or now, cves)).status


def test_recency_without_cves_official_vectors() -> None:
    assert decide("v1.28.5", "2024-01-17") is Status.PASS
    assert decide("v1.28.5", "2024-01-31") is Status.PASS
    assert decide("v1.28.5", "2024-02-18") is Status.FAIL  # v1.28.6 is 31 days 4 hours old


@pytest.mark.parametrize(
    ("version", "recent"),
    [
        ("1.28.5", "TTTFFFF"),
        ("1.28.6", "TTTTTTF"),
        ("1.28.8", "TTTTTTT"),
        ("1.29.0", "TTTFFFF"),
        ("1.29.2", "TTTTTTF"),
        ("1.29.3", "TTTTTTT"),
        ("1.27.9", "TTTFFFF"),
        ("1.30.0", "TTTTTTT"),  # only prereleases are newer
    ],
)
def test_recency_grid_computed_vectors(version: str, recent: str) -> None:
    days = ("2024-01-17", "2024-01-31", "2024-02-17", "2024-02-18", "2024-03-15", "2024-03-16", "2024-04-16")
    eol = {"1.30": "2025-06-28", "1.29": "2025-02-28", "1.28": "2024-10-28", "1.27": "2024-06-28"}
    got = "".join(
        "T" if decide_version_policy(snapshot(version, d), official_data(d, eol=eol)).status is Status.PASS else "F"
        for d in days
    )
    assert got == recent


def test_patch_window_boundary_is_strict() -> None:
    assert decide("1.28.5", "2024-02-17T19:40:09") is Status.PASS  # exactly 31 days after v1.28.6
    assert decide("1.28.5", "2024-02-17T19:40:10") is Status.FAIL


def test_critical_cve_shortens_the_window_to_two_weeks() -> None:
    cve = (Cve("CVE-TEST", 8.1, (VersionRange(Version(1, 28, 5)),)),)
    passed = decide_version_policy(snapshot("1.28.5", "2024-01-20"), official_data("2024-01-20", cve))
    assert passed.status is Status.PASS and "consider updating to 1.28.6" in passed.reason
    assert decide("1.28.5", "2024-01-31T19:40:09", cve) is Status.PASS  # exactly 14 days
    assert decide("1.28.5", "2024-01-31T19:40:10", cve) is Status.FAIL


def test_only_a_patch_that_fixes_the_cve_counts() -> None:
    """The reference tool demands any newer patch; a patch that is still affected fixes nothing."""
    inclusive = (Cve("CVE-X", 9.0, (VersionRange(Version(1, 28, 0), Version(1, 28, 6), inclusive=True),)),)
    assert decide("1.28.6", "2024-03-01", inclusive) is Status.FAIL  # 1.28.7 (fixed) is 15.3 days old
    exclusive = (Cve("CVE-X", 9.0, (VersionRange(Version(1, 28, 0), Version(1, 28, 6)),)),)
    assert decide("1.28.6", "2024-03-01", exclusive) is Status.PASS  # 1.28.6 is not affected
    still_affected = (Cve("CVE-Y", 9.0, (VersionRange(Version(1, 28, 0), Version(1, 28, 8), inclusive=True),)),)
    outcome = decide_version_policy(snapshot("1.28.7", "2024-03-01"), official_data("2024-03-01", still_affected))
    assert outcome.status is Status.PASS and "no fixed 1.28 patch is known" in outcome.reason


def test_low_scores_do_not_count() -> None:
    cve = (Cve("CVE-LOW", 7.9, (VersionRange(Version(1, 28, 5)),)),)
    assert decide("1.28.5", "2024-02-01", cve) is Status.PASS


def test_branch_past_end_of_life_fails_and_the_eol_day_itself_counts() -> None:
    day_before = decide_version_policy(snapshot("v1.34.6", "2026-10-26T23:59:59"), official_data("2026-10-26"))
    assert day_before.status is Status.PASS
    outcome = decide_version_policy(snapshot("v1.34.6", "2026-10-27"), official_data("2026-10-27"))
    assert outcome.status is Status.FAIL and "reached its end of life on 2026-10-27" in outcome.reason


def test_a_branch_older_than_the_data_fails_and_a_newer_one_aborts() -> None:
    old = decide_version_policy(snapshot("v1.20.4", "2024-02-01"), official_data("2024-02-01"))
    assert old.status is Status.FAIL and "older than every branch" in old.reason
    new = decide_version_policy(snapshot("v1.40.0", "2024-02-01"), official_data("2024-02-01"))
    assert new.status is Status.ABORT and "knows no branch 1.40" in new.reason


def test_stale_data_never_passes_but_still_fails_what_it_knows() -> None:
    stale = decide_version_policy(snapshot("1.29.3", "2024-04-20"), official_data("2024-03-16"))
    assert stale.status is Status.ABORT
    assert "as of 2024-03-16 (35 days old)" in stale.reason and "scs scope k8s-data --update" in stale.reason
    assert decide("1.28.5", "2024-04-20", as_of="2024-03-16") is Status.FAIL  # v1.28.6 is known and too old


@pytest.mark.parametrize(
    ("text", "expected"),
    [("  v2.4.99   ", Version(2, 4, 99)), ("v1.30.4+k3s1", Version(1, 30, 4)), ("1.31.0-gke.1", Version(1, 31, 0))],
)
def test_parse_version(text: str, expected: Version) -> None:
    assert parse_version(text) == expected


@pytest.mark.parametrize("text", ["latest", "1.30.0-rc.1", "v1.31.0-beta.0", "1.x"])
def test_bad_server_versions_abort(text: str) -> None:
    outcome = decide_version_policy(snapshot(text, "2024-02-01"), official_data("2024-02-01"))
    assert outcome.status is Status.ABORT and "cannot judge the server version" in outcome.reason


def test_ordering_and_ranges() -> None:
    assert Version(1, 2) == Version(1, 2, 0) and Version(1, 2, 3) < Version(1, 2, 4) < Version(1, 3, 0) < Version(2, 0)
    assert Branch(1, 28) < Branch(1, 29) and Version(1, 28, 5).branch == Branch(1, 28)
    with pytest.raises(ValueError, match="must be lower than"):
        VersionRange(Version(2, 3), Version(1, 3))
    single = VersionRange(Version(3, 4, 5))
    assert [v in single for v in (Version(3, 4, 4), Version(3, 4, 5), Version(3, 4, 6))] == [False, True, False]
    inclusive = VersionRange(Version(1, 2, 1), Version(1, 3, 4), inclusive=True)
    assert [v in inclusive for v in (Version(1, 2, 0), Version(1, 2, 1), Version(1, 3, 4), Version(1, 3, 5))] == [
        False,
        True,
        True,
        False,
    ]


def test_cve_version_entries() -> None:
    assert cve_range({"version": "1.2.3"}) == VersionRange(Version(1, 2, 3))
    assert cve_range({"version": "1.2.3", "lessThan": "1.3.0"}) == VersionRange(Version(1, 2, 3), Version(1, 3, 0))
    assert cve_range({"version": "unspecified", "lessThanOrEqual": "1.3.0"}) == VersionRange(
        Version(0, 0, 0), Version(1, 3, 0), True
    )
    assert Version(1, 2, 7) in cve_range({"version": "v1.2.x"})  # the reference tool's range matched nothing
    assert Version(1, 2, 9) in cve_range({"version": "1.2.3 - 1.2.9"})


def test_bundled_data_knows_today(tmp_path: Path) -> None:
    data = _versions.bundled_data()
    assert data.branch(Branch(1, 37)) is not None and data.branch(Branch(1, 34)).end_of_life == dt.date(2026, 10, 27)  # type: ignore[union-attr]
    supported = {str(b.branch) for b in data.branches if b.supported(at("2026-12-02"))}
    assert supported == {"1.35", "1.36", "1.37"}
    assert all(b.source for b in data.branches)


def test_registered_check_uses_refreshed_data_when_newer(private_dirs: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    outcome = version_policy(KaasSnapshot(taken_at=now + dt.timedelta(days=400), version=ServerVersion("v1.37.3")))
    assert outcome.status in (Status.ABORT, Status.FAIL)  # a year on, the bundled data cannot pass anything
    _versions.refresh(shifted_version_data(now + dt.timedelta(days=400)), "test")
    refreshed = version_policy(KaasSnapshot(taken_at=now + dt.timedelta(days=400), version=ServerVersion("v1.37.3")))
    assert refreshed.status is Status.PASS and str(_versions.refreshed_path()) in refreshed.reason


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[1, 2]", "expected a mapping"),
        ("as_of: 2026-01-01\nbranches: []\nreleases: []\nextra: 1\n", "unknown key(s) extra"),
        ("as_of: 2026-01-01\nreleases: []\n", "missing branches"),
        ("as_of: 2026-01-01\nbranches: [{branch: '1.37'}]\nreleases: []\n", "branches[0]: end-of-life is required"),
        (
            "as_of: 2026-01-01\nbranches: [{branch: 'x', end-of-life: 2027-01-01}]\nreleases: []\n",
            "not a Kubernetes branch",
        ),
        (
            "as_of: 2026-01-01\nbranches: [{branch: '1.37', end-of-life: 2027-01-01}]\nreleases: [{version: 1.37.1, published: soon}]\n",
            "releases[0].published: 'soon' is not a date",
        ),
        ("as_of: [\n", "not valid YAML"),
    ],
)
def test_malformed_data_is_refused_with_the_entry(text: str, message: str) -> None:
    with pytest.raises(VersionDataError, match=None) as caught:
        parse_version_data(text, "data.yaml")
    assert message in str(caught.value) and str(caught.value).startswith("data.yaml")


def test_k8s_data_command_shows_and_refreshes(private_dirs: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(app, ["scope", "k8s-data", "--format", "json"])
    assert shown.exit_code == 0, shown.output
    info = json.loads(shown.stdout)
    assert info["origin"].startswith("bundled") and "1.37" in {b["branch"] for b in info["branches"]}
    bad = private_dirs / "bad.yaml"
    bad.write_text("as_of: 2030-01-01\nbranches: []\nreleases: []\n")
    refused = runner.invoke(app, ["scope", "k8s-data", "--update", str(bad)])
    assert refused.exit_code == 2 and "branches is empty" in refused.stderr
    assert not _versions.refreshed_path().exists()  # nothing lost, nothing half written
    good = private_dirs / "good.yaml"
    good.write_text(shifted_version_data(dt.datetime.now(dt.UTC) + dt.timedelta(days=3)))
    updated = runner.invoke(app, ["scope", "k8s-data", "--update", str(good)])
    assert updated.exit_code == 0, updated.output
    assert _versions.current_data().origin == str(_versions.refreshed_path())
    missing = runner.invoke(app, ["scope", "k8s-data", "--update", str(private_dirs / "nope.yaml")])
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
