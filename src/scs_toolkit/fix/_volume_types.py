"""Volume types: scs-0114's `[scs:encrypted, replicated]` aspect list at the start of a description.

A malformed list is rewritten as the standard spells it (sorted, comma-separated, each aspect once),
keeping the aspects it claims and dropping words that are no aspects. An aspect is added only where
the backend shows it: `encrypted` for a type with an encryption spec, `replicated` for one whose extra
specs say `replication_enabled='<is> True'` (Cinder shows both to admins only). A backend that
replicates without saying so (Ceph, typically) is the operator's to describe: the plan says so.
"""

from __future__ import annotations

import dataclasses
import re

from ..checks import Status
from ..checks.iaas.scs_0114 import ASPECTS
from ..collect import IaasSnapshot, VolumeType
from ._context import Context, Proposal, judge
from ._inventory import VolumeTypeDetail
from ._model import Action, Change, frozen

SYNTAX = "scs-0114-syntax-check"
ASPECT_TESTCASES = {"encrypted": "scs-0114-encrypted-type", "replicated": "scs-0114-replicated-type"}
_LIST = re.compile(r"^\s*\[scs:([^\[\]]*)\]\s*(.*)$", re.DOTALL)
_WORD = re.compile(r"[\s,]+")


def claimed(description: str | None) -> tuple[list[str] | None, str]:
    """The words of a leading `[scs:...]` list, however malformed, and the text after it."""
    match = _LIST.match(description or "")
    if match is None:
        return None, (description or "").strip()
    return [w for w in _WORD.split(match.group(1).strip()) if w], match.group(2).strip()


def shown_aspects(detail: VolumeTypeDetail | None) -> set[str]:
    """The aspects the backend shows for a type (empty where the account may not see the specs)."""
    if detail is None:
        return set()
    shown = set()
    if detail.encrypted:
        shown.add("encrypted")
    replication = str((detail.extra_specs or {}).get("replication_enabled", "")).strip().lower()
    if replication in ("<is> true", "true"):
        shown.add("replicated")
    return shown


def described(aspects: list[str], text: str) -> str:
    if not aspects:
        return text
    return f"[scs:{', '.join(aspects)}] {text}".rstrip()


def plan(ctx: Context) -> Proposal:
    proposal = Proposal()
    types = ctx.snapshot.volume_types
    testcases = [tc for tc in (SYNTAX, *ASPECT_TESTCASES.values()) if ctx.failing(tc)]
    if types is None or not testcases:
        return proposal
    wanted = {aspect for aspect, tc in ASPECT_TESTCASES.items() if ctx.failing(tc)}
    details = ctx.inventory.volume_types
    if wanted and any(details.get(t.id) is None or details[t.id].encrypted is None for t in types):
        proposal.notes.append(
            "volume types: Cinder shows encryption and replication specs to admins only; with this account the "
            "plan cannot tell which types are encrypted or replicated (plan with an admin account)"
        )
    for volume_type in types:
        words, text = claimed(volume_type.description)
        malformed = ctx.failing(SYNTAX) and judge(_only(ctx, volume_type), [SYNTAX])[SYNTAX].status is Status.FAIL
        has = {w for w in words or () if w in ASPECTS}
        add = wanted & shown_aspects(ctx.inventory.volume_types.get(volume_type.id)) - has
        if not malformed and not add:
            continue
        new = described(sorted(has | add), text)
        if new == (volume_type.description or ""):
            continue
        changed = dataclasses.replace(volume_type, description=new)
        after = judge(_replaced(ctx, changed), testcases)
        fixes = tuple(tc for tc in testcases if after[tc].status is Status.PASS)
        dropped = sorted({w for w in words or () if w not in ASPECTS})
        notes = [f"adds {', '.join(sorted(add))}: the backend shows it" if add else ""]
        notes += [f"drops {', '.join(repr(w) for w in dropped)}: not scs-0114 aspects" if dropped else ""]
        proposal.changes.append(
            Change(
                Action.SET_VOLUME_TYPE_DESCRIPTION,
                "scs-0114",
                volume_type.name,
                volume_type.id,
                fixes,
                f"describe volume type {volume_type.name} as {new!r}",
                frozen({"description": volume_type.description}),
                frozen({"description": new}),
                note="; ".join(n for n in notes if n) or None,
            )
        )
    return proposal


def _only(ctx: Context, volume_type: VolumeType) -> IaasSnapshot:
    return dataclasses.replace(ctx.snapshot, volume_types=(volume_type,))


def _replaced(ctx: Context, volume_type: VolumeType) -> IaasSnapshot:
    types = tuple(volume_type if t.id == volume_type.id else t for t in ctx.snapshot.volume_types or ())
    return dataclasses.replace(ctx.snapshot, volume_types=types)
