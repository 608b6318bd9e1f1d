"""scs-0115 default security group rules: no ingress but from the group itself; egress for IPv4 and IPv6.

The standard's egress rule is a SHOULD; like the reference (and the certification) we require it.
Unlike the reference, an explicit `0.0.0.0/0` or `::/0` egress prefix counts as "allow all egress",
which is what it means.
"""

from __future__ import annotations

from ...collect import IaasSnapshot
from .._model import Finding, Outcome
from .._registry import testcase

_ALL = {"IPv4": "0.0.0.0/0", "IPv6": "::/0"}


@testcase(
    "scs-0115-default-rules",
    "scs-0115-v1",
    "Default security group rules allow no ingress but from the same group, and allow egress.",
    "Delete default rules that allow ingress from anywhere; keep egress IPv4/IPv6 for default and custom groups.",
    needs=["default_rules"],
)
def default_rules(snapshot: IaasSnapshot) -> Outcome:
    rules = snapshot.default_rules
    if rules is None:
        return Outcome.aborted("the cloud has no default-security-group-rules API (Neutron < 2023.2)")
    findings = []
    for rule in rules:
        if rule.direction == "ingress" and not (rule.remote_group_id == "PARENT" and not rule.used_in_non_default_sg):
            source = rule.remote_ip_prefix or rule.remote_group_id or "anywhere"
            groups = "all groups" if rule.used_in_non_default_sg else "default groups"
            findings.append(
                Finding(
                    f"ingress {rule.ethertype} from {source}",
                    f"default rule lets traffic in ({groups})",
                    "no ingress except from the same group",
                    source,
                )
            )
    for ethertype in ("IPv4", "IPv6"):
        for kind, flag in (("default", "used_in_default_sg"), ("custom", "used_in_non_default_sg")):
            if not any(
                r.direction == "egress"
                and r.ethertype == ethertype
                and getattr(r, flag)
                and (r.remote_ip_prefix in (None, "", _ALL[ethertype]))
                and r.protocol in (None, "", "any")  # a tcp-only (or one-port) rule is not "all egress"
                and r.port_range_min is None
                and r.port_range_max is None
                for r in rules
            ):
                findings.append(
                    Finding(
                        f"egress {ethertype} ({kind} groups)",
                        "no default rule allows all egress",
                        "egress rule for all destinations",
                        "none",
                    )
                )
    return Outcome.from_findings(
        findings,
        "default rules allow only intra-group ingress and all egress",
        "default security group rules break scs-0115",
        "Fix with `openstack default security group rule delete/create`.",
    )
