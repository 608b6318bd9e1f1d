"""What a remediation plan says: changes the toolkit can make, and steps only the operator can take.

Plans cross module borders (planners -> plan -> applier -> journal -> undo, and out as JSON/YAML),
so everything here is frozen and turns into plain data with `to_dict()`. A change carries the
values before and after it, which is what makes it checkable (`scs fix plan` shows them), journaled
(`apply` records the values it really found) and reversible (`undo` puts `before` back).
"""

from __future__ import annotations

import datetime as dt
import shlex
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Area(StrEnum):
    """What a change touches; `--only` selects by these names."""

    FLAVORS = "flavors"
    IMAGES = "images"
    VOLUME_TYPES = "volume-types"
    SECURITY_GROUPS = "security-groups"


class Action(StrEnum):
    CREATE_FLAVOR = "create-flavor"
    #: `after` maps keys to new values; None removes the key (only undo and false name claims do that).
    SET_FLAVOR_EXTRA_SPECS = "set-flavor-extra-specs"
    #: Glance properties plus min_disk/min_ram; None removes a property.
    SET_IMAGE_PROPERTIES = "set-image-properties"
    SET_VOLUME_TYPE_DESCRIPTION = "set-volume-type-description"
    CREATE_DEFAULT_RULE = "create-default-rule"
    DELETE_DEFAULT_RULE = "delete-default-rule"

    @property
    def area(self) -> Area:
        return _AREAS[self]


_AREAS = {
    Action.CREATE_FLAVOR: Area.FLAVORS,
    Action.SET_FLAVOR_EXTRA_SPECS: Area.FLAVORS,
    Action.SET_IMAGE_PROPERTIES: Area.IMAGES,
    Action.SET_VOLUME_TYPE_DESCRIPTION: Area.VOLUME_TYPES,
    Action.CREATE_DEFAULT_RULE: Area.SECURITY_GROUPS,
    Action.DELETE_DEFAULT_RULE: Area.SECURITY_GROUPS,
}

#: The attributes of a Neutron default security group rule, as the API names them.
RULE_FIELDS = (
    "direction",
    "ethertype",
    "protocol",
    "port_range_min",
    "port_range_max",
    "remote_ip_prefix",
    "remote_group_id",
    "remote_address_group_id",
    "used_in_default_sg",
    "used_in_non_default_sg",
)


def frozen(values: Mapping[str, Any] | None = None) -> Mapping[str, Any]:
    """A read-only copy (nested mappings too), so that a frozen dataclass stays frozen."""
    return MappingProxyType({k: frozen(v) if isinstance(v, Mapping) else v for k, v in (values or {}).items()})


def plain(value: Any) -> Any:
    """JSON-able copies of the read-only mappings (and tuples) inside a change."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


@dataclass(frozen=True)
class Change:
    """One change to one object, with the testcases it is meant to fix and the values before and after."""

    action: Action
    standard: str
    #: The object as users know it: flavor, image or volume type name, or a rule in words.
    target: str
    #: The object's id; None for what does not exist yet.
    target_id: str | None
    fixes: tuple[str, ...]
    summary: str
    before: Mapping[str, Any] = field(default_factory=frozen)
    after: Mapping[str, Any] = field(default_factory=frozen)
    #: Whether only an admin account may make it (flavors, rules, types: always; images: unless the project owns it).
    needs_admin: bool = True
    #: Anything the operator should know about it (e.g. a value the toolkit chose).
    note: str | None = None

    @property
    def area(self) -> Area:
        return self.action.area

    @property
    def key(self) -> str:
        """Stable identity of the change (same object, same action): plans made twice agree on it."""
        return f"{self.action.value}:{self.target_id or self.target}"

    @property
    def command(self) -> str:
        """What an operator would type with python-openstackclient to make the same change by hand."""
        return openstack_command(self)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.value,
            "area": self.area.value,
            "standard": self.standard,
            "target": self.target,
            "target_id": self.target_id,
            "fixes": list(self.fixes),
            "summary": self.summary,
            "before": plain(self.before),
            "after": plain(self.after),
            "needs_admin": self.needs_admin,
            "note": self.note,
            "command": self.command,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Change:
        """A change as `to_dict` wrote it (journals); KeyError/ValueError for anything else."""
        return cls(
            Action(data["action"]),
            str(data["standard"]),
            str(data["target"]),
            None if data.get("target_id") is None else str(data["target_id"]),
            tuple(str(t) for t in data.get("fixes") or ()),
            str(data.get("summary") or ""),
            frozen(data.get("before")),
            frozen(data.get("after")),
            bool(data.get("needs_admin", True)),
            data.get("note"),
        )


@dataclass(frozen=True)
class OperatorStep:
    """What only the operator can do (a missing service, a wrong flavor size, a name Nova cannot change), and why."""

    standard: str
    testcases: tuple[str, ...]
    subject: str
    #: Why the toolkit does not do it itself.
    why: str
    #: What to do.
    what: str
    #: The standard's own words on it.
    quote: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "standard": self.standard,
            "testcases": list(self.testcases),
            "subject": self.subject,
            "why": self.why,
            "what": self.what,
            "quote": self.quote,
        }


@dataclass(frozen=True)
class Plan:
    """The changes that would make the failing testcases pass, and what needs the operator."""

    cloud: str
    made_at: dt.datetime
    scope: str
    #: Whether the account has the admin role (changes marked needs_admin need one).
    admin: bool
    #: The testcases the plan looked at, and those of them that fail now (with the check's reason).
    testcases: tuple[str, ...]
    failing: Mapping[str, str]
    changes: tuple[Change, ...]
    operator: tuple[OperatorStep, ...]
    #: Testcases that would still fail after the changes, with the reason the check would give.
    remaining: Mapping[str, str] = field(default_factory=frozen)
    #: What the plan could not look at, or what a given report said that is no longer so.
    notes: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.changes and not self.operator

    @property
    def needs_admin(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.needs_admin)

    def only(self, areas: Iterable[Area]) -> Plan:
        """The plan restricted to changes in `areas` (operator steps stay: they are not applied); a note says
        how many changes are left out, so that an empty restricted plan does not read as a compliant cloud."""
        wanted = set(areas)
        kept = tuple(c for c in self.changes if c.area in wanted)
        left = len(self.changes) - len(kept)
        names = ", ".join(sorted(a.value for a in wanted))
        notes = (*self.notes, f"{left} planned change(s) outside --only {names} left out") if left else self.notes
        return replace(self, changes=kept, notes=notes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "cloud": self.cloud,
            "made_at": self.made_at.isoformat(),
            "scope": self.scope,
            "admin": self.admin,
            "testcases": list(self.testcases),
            "failing": dict(self.failing),
            "changes": [c.to_dict() for c in self.changes],
            "operator": [s.to_dict() for s in self.operator],
            "remaining": dict(self.remaining),
            "notes": list(self.notes),
        }


def openstack_command(change: Change) -> str:
    """The python-openstackclient command that makes `change` (for people who want to do it by hand)."""
    after, quote = change.after, shlex.quote
    target = quote(change.target_id or change.target)
    if change.action is Action.CREATE_FLAVOR:
        specs = " ".join(f"--property {quote(f'{k}={v}')}" for k, v in (after.get("extra_specs") or {}).items())
        return (
            f"openstack flavor create --vcpus {after['vcpus']} --ram {after['ram']} --disk {after['disk']} "
            f"--public {specs} {quote(str(after['name']))}"
        ).replace("  ", " ")
    if change.action is Action.SET_FLAVOR_EXTRA_SPECS:
        return _set_unset("flavor", after, target)
    if change.action is Action.SET_IMAGE_PROPERTIES:
        parts = []
        for key, value in after.items():
            if key in ("min_disk", "min_ram") and value is not None:
                parts.append(f"--{key.replace('_', '-')} {value}")
        rest = {k: v for k, v in after.items() if k not in ("min_disk", "min_ram")}
        sets = " ".join(parts + [f"--property {quote(f'{k}={v}')}" for k, v in rest.items() if v is not None])
        unsets = " ".join(f"--property {quote(k)}" for k, v in rest.items() if v is None)
        commands = ([f"openstack image set {sets} {target}"] if sets else []) + (
            [f"openstack image unset {unsets} {target}"] if unsets else []
        )
        return " && ".join(commands)
    if change.action is Action.SET_VOLUME_TYPE_DESCRIPTION:
        return f"openstack volume type set --description {quote(str(after.get('description') or ''))} {target}"
    if change.action is Action.CREATE_DEFAULT_RULE:
        flags = [f"--{after['direction']}", f"--ethertype {after['ethertype']}"]
        if after.get("protocol"):
            flags.append(f"--protocol {after['protocol']}")
        if after.get("port_range_min") is not None:
            flags.append(
                f"--dst-port {after['port_range_min']}:{after.get('port_range_max') or after['port_range_min']}"
            )
        if after.get("remote_ip_prefix"):
            flags.append(f"--remote-ip {after['remote_ip_prefix']}")
        if after.get("remote_group_id"):
            flags.append(f"--remote-group {after['remote_group_id']}")
        flags.append("--for-default-sg" if after.get("used_in_default_sg") else "--no-for-default-sg")
        flags.append("--for-custom-sg" if after.get("used_in_non_default_sg") else "--no-for-custom-sg")
        return "openstack default security group rule create " + " ".join(flags)
    return f"openstack default security group rule delete {target}"


def _set_unset(kind: str, after: Mapping[str, Any], target: str) -> str:
    sets = " ".join(f"--property {shlex.quote(f'{k}={v}')}" for k, v in after.items() if v is not None)
    unsets = " ".join(f"--property {shlex.quote(k)}" for k, v in after.items() if v is None)
    commands = ([f"openstack {kind} set {sets} {target}"] if sets else []) + (
        [f"openstack {kind} unset {unsets} {target}"] if unsets else []
    )
    return " && ".join(commands)
