"""scs-0114 volume types: an `[scs:...]` aspect list in a description is sorted, unique and known."""

from __future__ import annotations

import re

from ...collect import IaasSnapshot, VolumeType
from .._model import Finding, Outcome
from .._registry import testcase

ASPECTS = ("encrypted", "replicated")
_LIST = re.compile(r"^\[scs:([^\[\]]*)\]")


def aspects(volume_type: VolumeType) -> list[str] | None:
    """The aspect list at the start of the description, or None if there is none."""
    match = _LIST.match(volume_type.description or "")
    if match is None:
        return None
    content = match.group(1).strip()
    return [part.strip() for part in content.split(",")] if content else []


@testcase(
    "scs-0114-syntax-check",
    "scs-0114-v1",
    "Volume type descriptions with an `[scs:...]` list are well-formed.",
    "Write the aspect list as `[scs:encrypted, replicated]`: sorted, comma-separated, known aspects only.",
    needs=["volume_types"],
)
def syntax(snapshot: IaasSnapshot) -> Outcome:
    assert snapshot.volume_types is not None
    findings = []
    for volume_type in snapshot.volume_types:
        listed = aspects(volume_type)
        if not listed:
            continue
        if listed != sorted(listed):
            findings.append(
                Finding(volume_type.name, "aspect list not sorted", ", ".join(sorted(listed)), ", ".join(listed))
            )
        duplicates = sorted({a for a in listed if listed.count(a) > 1})
        if duplicates:
            findings.append(Finding(volume_type.name, f"duplicate aspects: {', '.join(duplicates)}"))
        unknown = sorted(set(listed) - set(ASPECTS))
        if unknown:
            findings.append(
                Finding(
                    volume_type.name,
                    f"unknown aspects: {', '.join(repr(u) for u in unknown)}",
                    " / ".join(ASPECTS),
                    ", ".join(unknown),
                )
            )
    return Outcome.from_findings(
        findings,
        "all aspect lists are well-formed",
        "malformed aspect lists",
        "Fix the descriptions: `[scs:encrypted, replicated] free text`.",
    )


def _aspect(snapshot: IaasSnapshot, aspect: str) -> Outcome:
    assert snapshot.volume_types is not None
    having = [t.name for t in snapshot.volume_types if aspect in (aspects(t) or [])]
    if having:
        return Outcome.passed(f"volume type(s) with aspect {aspect}: {', '.join(having)}")
    return Outcome.failed(
        f"no volume type has aspect {aspect}",
        [Finding("volume types", f"no {aspect} type")],
        f"Offer a volume type whose description starts with [scs:{aspect}].",
    )


@testcase(
    "scs-0114-encrypted-type",
    "scs-0114-v1",
    "A volume type with aspect `encrypted` exists.",
    "Offer an encrypted volume type described as `[scs:encrypted] ...`.",
    needs=["volume_types"],
    severity="warning",
)
def encrypted(snapshot: IaasSnapshot) -> Outcome:
    return _aspect(snapshot, "encrypted")


@testcase(
    "scs-0114-replicated-type",
    "scs-0114-v1",
    "A volume type with aspect `replicated` exists.",
    "Offer a replicated volume type described as `[scs:replicated] ...`.",
    needs=["volume_types"],
    severity="warning",
)
def replicated(snapshot: IaasSnapshot) -> Outcome:
    return _aspect(snapshot, "replicated")
