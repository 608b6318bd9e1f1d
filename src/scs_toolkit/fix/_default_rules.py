"""Default security group rules (scs-0115): no ingress but from the same group in default groups; all egress.

Neutron's rule templates cannot be changed, only deleted and created. The plan deletes every ingress
template the standard forbids first (so the set only ever gets closer, never more open), then creates
what is missing: the same-group (PARENT) ingress of a deleted template that also served custom groups,
for default groups only, and egress to everywhere per IP version for the kind of group (default, custom)
that lacks it. Existing groups keep their rules: templates apply to groups created afterwards.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._context import Context, Proposal
from ._inventory import RuleDetail
from ._model import Action, Change, frozen

TESTCASE = "scs-0115-default-rules"
_ANYWHERE = {"IPv4": "0.0.0.0/0", "IPv6": "::/0"}
_KINDS = (("used_in_default_sg", "default groups"), ("used_in_non_default_sg", "custom groups"))


def describe(values: Mapping[str, Any]) -> str:
    """A rule template in words: `ingress IPv4 tcp 22 from 0.0.0.0/0 (default and custom groups)`."""
    parts = [str(values.get("direction")), str(values.get("ethertype"))]
    if values.get("protocol"):
        parts.append(str(values["protocol"]))
    low, high = values.get("port_range_min"), values.get("port_range_max")
    if low is not None:
        parts.append(str(low) if high in (None, low) else f"{low}-{high}")
    peer = values.get("remote_group_id") or values.get("remote_ip_prefix") or "anywhere"
    parts.append(
        ("from " if values.get("direction") == "ingress" else "to ")
        + ("the same group" if peer == "PARENT" else str(peer))
    )
    groups = [label for flag, label in _KINDS if values.get(flag)]
    return f"{' '.join(parts)} ({' and '.join(groups) or 'no groups'})"


def _forbidden(values: Mapping[str, Any]) -> bool:
    return values.get("direction") == "ingress" and not (
        values.get("remote_group_id") == "PARENT" and not values.get("used_in_non_default_sg")
    )


def _template(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "direction": "egress",
        "ethertype": "IPv4",
        "protocol": None,
        "port_range_min": None,
        "port_range_max": None,
        "remote_ip_prefix": None,
        "remote_group_id": None,
        "remote_address_group_id": None,
        "used_in_default_sg": True,
        "used_in_non_default_sg": True,
    }
    base.update(values)
    return base


def plan(ctx: Context) -> Proposal:
    proposal = Proposal()
    rules = ctx.inventory.rules
    if not ctx.failing(TESTCASE) or rules is None:
        return proposal  # without the API the check ABORTs; the plan's notes say why
    kept: list[Mapping[str, Any]] = []
    created: list[dict[str, Any]] = []
    for rule in rules:
        if not _forbidden(rule.values):
            kept.append(rule.values)
            continue
        proposal.changes.append(_delete(rule))
        values = rule.values
        if values.get("remote_group_id") == "PARENT" and values.get("used_in_default_sg"):
            same_group = _template(
                **{
                    k: values.get(k) for k in ("direction", "ethertype", "protocol", "port_range_min", "port_range_max")
                },
                remote_group_id="PARENT",
                used_in_non_default_sg=False,
            )
            if not any(_same(same_group, other) for other in [*kept, *created]):
                created.append(same_group)
    for ethertype in ("IPv4", "IPv6"):
        missing = {
            flag: not any(
                r.get("direction") == "egress"
                and r.get("ethertype") == ethertype
                and r.get(flag)
                and r.get("remote_ip_prefix") in (None, "", _ANYWHERE[ethertype])
                for r in kept
            )
            for flag, _ in _KINDS
        }
        if any(missing.values()):
            created.append(_template(ethertype=ethertype, **missing))
    proposal.changes += [_create(values) for values in created]
    return proposal


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    fields = ("direction", "ethertype", "protocol", "port_range_min", "port_range_max", "remote_group_id")
    return all(a.get(f) == b.get(f) for f in fields) and bool(a.get("used_in_default_sg")) == bool(
        b.get("used_in_default_sg")
    )


def _delete(rule: RuleDetail) -> Change:
    words = describe(rule.values)
    return Change(
        Action.DELETE_DEFAULT_RULE,
        "scs-0115",
        words,
        rule.id,
        (TESTCASE,),
        f"delete default rule {rule.id}: {words}",
        frozen(dict(rule.values)),
        frozen({}),
    )


def _create(values: dict[str, Any]) -> Change:
    words = describe(values)
    return Change(
        Action.CREATE_DEFAULT_RULE,
        "scs-0115",
        words,
        None,
        (TESTCASE,),
        f"create default rule: {words}",
        frozen({}),
        frozen(values),
        note="applies to security groups created from now on; existing groups keep their rules",
    )
