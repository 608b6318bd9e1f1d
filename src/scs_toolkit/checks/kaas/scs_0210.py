"""scs-0210-v2 Kubernetes version policy: the cluster's branch is supported upstream and its patch is recent.

From `/version` and the dated reference data (`_versions`): a branch past its end of life FAILs; a newer
patch of the same branch out for more than a month (two weeks when the running version has a critical
CVE that the newer patch fixes) FAILs. A PASS needs data fresh enough to know no such patch exists:
with data older than the window the result is ABORT and says how old the data is and how to refresh it.
"""

from __future__ import annotations

import datetime as dt

from ...collect import KaasSnapshot
from .._model import Finding, Outcome
from ._common import kaas_testcase
from ._versions import Release, Version, VersionData, current_data, parse_version

PATCH_WINDOW = dt.timedelta(days=31)
CVE_WINDOW = dt.timedelta(days=14)
CVE_RECOMMENDED = dt.timedelta(days=2)
CRITICAL_SCORE = 8.0
REFRESH_HINT = "refresh the version data on a machine with network: scs scope k8s-data --update FILE|URL"
REMEDIATION = (
    "upgrade the cluster to the newest patch of a supported branch (scs-0210-v2: patches within a month, "
    "critical CVE fixes within two weeks; branches only while upstream supports them)"
)


def _days(delta: dt.timedelta) -> str:
    return f"{delta.total_seconds() / 86400:.0f} days"


def decide_version_policy(snapshot: KaasSnapshot, data: VersionData) -> Outcome:
    assert snapshot.version is not None
    now = snapshot.taken_at
    try:
        version = parse_version(snapshot.version.git_version)
    except ValueError as error:
        return Outcome.aborted(f"cannot judge the server version: {error}")
    branch = version.branch
    info = data.branch(branch)
    known = sorted(b.branch for b in data.branches)
    if info is None:
        if branch > known[-1]:
            return Outcome.aborted(
                f"v{version}: the version data (as of {data.as_of.date()}) knows no branch {branch} yet "
                f"(newest: {known[-1]}); {REFRESH_HINT}"
            )
        return Outcome.failed(
            f"v{version}: branch {branch} is older than every branch in the version data (oldest: {known[0]}), "
            "so long past its end of life",
            [Finding(f"v{version}", "branch not supported upstream", "a supported branch", str(branch))],
            REMEDIATION,
        )
    if not info.supported(now):
        supported = ", ".join(str(b.branch) for b in data.branches if b.supported(now)) or "none known"
        return Outcome.failed(
            f"v{version}: Kubernetes {branch} reached its end of life on {info.end_of_life} (supported: {supported})",
            [
                Finding(
                    f"v{version}",
                    "branch past its end of life",
                    f"end of life after {now.date()}",
                    str(info.end_of_life),
                )
            ],
            REMEDIATION,
        )
    newer = sorted(
        (r for r in data.releases if r.version.branch == branch and r.version > version and r.published <= now),
        key=lambda r: (r.published, r.version),
    )
    if newer and now - newer[0].published > PATCH_WINDOW:
        first = newer[0]
        return Outcome.failed(
            f"v{version} is behind {first.version}, published {first.published.date()} ({_days(now - first.published)} "
            f"ago, more than {_days(PATCH_WINDOW)}); newest {branch} patch: {newer[-1].version}",
            [
                Finding(
                    f"v{version}", "patch not recent", f"{newer[-1].version} (or a patch < 31 days old)", str(version)
                )
            ],
            REMEDIATION,
        )
    notes: list[str] = []
    critical = [c for c in data.cves if c.score >= CRITICAL_SCORE and c.affects(version)]
    for cve in critical:
        fix = _first_fix(newer, cve.affects)
        if fix is None:
            notes.append(f"{cve.id} (CVSS {cve.score}) affects v{version}; no fixed {branch} patch is known")
            continue
        age = now - fix.published
        if age > CVE_WINDOW:
            return Outcome.failed(
                f"v{version} has {cve.id} (CVSS {cve.score}), fixed in {fix.version} {_days(age)} ago "
                f"(more than {_days(CVE_WINDOW)})",
                [Finding(f"v{version}", f"critical CVE {cve.id} not fixed", f">= {fix.version}", str(version))],
                REMEDIATION,
            )
        if age > CVE_RECOMMENDED:
            notes.append(f"consider updating to {fix.version} to fix {cve.id} (recommended within 2 days)")
    window = CVE_WINDOW if critical else PATCH_WINDOW
    age = data.age(now)
    if age > window:
        return Outcome.aborted(
            f"v{version}: the version data is as of {data.as_of.date()} ({_days(age)} old), older than the "
            f"{_days(window)} window, so a newer {branch} patch may have been out too long; {REFRESH_HINT}"
        )
    newest = f"; newer {branch} patch {newer[-1].version} is still within the window" if newer else ""
    reason = (
        f"v{version}: Kubernetes {branch} is supported until {info.end_of_life}{newest} "
        f"(version data as of {data.as_of.date()}, {data.origin})"
    )
    return Outcome.passed("; ".join([reason, *notes]))


def _first_fix(newer: list[Release], affected: object) -> Release | None:
    fixes = [r for r in newer if not affected(r.version)]  # type: ignore[operator]
    return fixes[0] if fixes else None


@kaas_testcase(
    "version-policy-check",
    "scs-0210-v2",
    "Kubernetes branch supported upstream, patch at most a month old (two weeks for critical CVEs)",
    REMEDIATION,
    needs={"version"},
)
def version_policy(snapshot: KaasSnapshot) -> Outcome:
    return decide_version_policy(snapshot, current_data())


__all__ = ["Version", "decide_version_policy", "version_policy"]
