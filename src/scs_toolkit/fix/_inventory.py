"""What a plan is made from: the checks' snapshot plus the few details changes need (ids, owners, templates).

The snapshot (scs_toolkit.collect) is what the checks judge; planning a change also needs what the
checks never look at: which project owns an image and how large it unpacks, the id of each default
security group rule, whether a volume type is encrypted or replicated by its backend (admins only).
Whatever the account may not read is recorded as a note, never guessed.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from openstack import exceptions

from ..collect import CloudError, DefaultRule, IaasSnapshot, collect_iaas
from ..collect._openstack import PARTS
from ..collect._retry import with_retries
from ._model import RULE_FIELDS, frozen


@dataclass(frozen=True)
class ImageDetail:
    id: str
    owner: str | None
    size: int | None
    virtual_size: int | None


@dataclass(frozen=True)
class RuleDetail:
    """A default security group rule template with its id (the snapshot's DefaultRule has none)."""

    id: str
    values: Mapping[str, Any]

    def snapshot_rule(self) -> DefaultRule:
        v = self.values
        return DefaultRule(
            str(v["direction"]),
            str(v["ethertype"]),
            v.get("remote_group_id"),
            v.get("remote_ip_prefix"),
            bool(v.get("used_in_default_sg")),
            bool(v.get("used_in_non_default_sg")),
            v.get("protocol") or None,
            v.get("port_range_min"),
            v.get("port_range_max"),
        )


@dataclass(frozen=True)
class VolumeTypeDetail:
    """What the backend says about a volume type; None where the account may not see it."""

    id: str
    extra_specs: Mapping[str, str] | None
    encrypted: bool | None


@dataclass(frozen=True)
class Inventory:
    snapshot: IaasSnapshot
    project_id: str | None
    admin: bool
    images: Mapping[str, ImageDetail] = field(default_factory=frozen)
    #: None: the cloud has no default-rules API (or it could not be read: see notes).
    rules: tuple[RuleDetail, ...] | None = None
    volume_types: Mapping[str, VolumeTypeDetail] = field(default_factory=frozen)
    notes: tuple[str, ...] = ()

    def with_rules(self, rules: tuple[RuleDetail, ...]) -> Inventory:
        """This inventory with other default rules (the snapshot follows)."""
        snapshot = dataclasses.replace(self.snapshot, default_rules=tuple(r.snapshot_rule() for r in rules))
        return dataclasses.replace(self, snapshot=snapshot, rules=rules)


def take_inventory(conn: Any) -> Inventory:
    """Collect the snapshot (every part) and the details, or raise CloudError if the snapshot is unusable."""
    snapshot = collect_iaas(conn)
    if set(snapshot.errors) >= set(PARTS):  # nothing at all could be read: no plan, rather than an empty one
        raise CloudError(f"could not read the cloud: {next(iter(snapshot.errors.values()))}")
    admin = "admin" in (snapshot.roles or ())
    notes = [f"could not read {part}: {error}" for part, error in sorted(snapshot.errors.items())]
    images = _images(conn, notes)
    rules = _rules(conn, notes) if snapshot.default_rules is not None else None
    types = _volume_types(conn, snapshot, admin, notes)
    return Inventory(
        snapshot,
        getattr(conn, "current_project_id", None),
        admin,
        MappingProxyType(images),
        rules,
        MappingProxyType(types),
        tuple(notes),
    )


def _images(conn: Any, notes: list[str]) -> dict[str, ImageDetail]:
    try:
        listed = {i.id: i for i in with_retries(lambda: list(conn.image.images()))}
        for image in with_retries(lambda: list(conn.image.images(visibility="community"))):
            listed.setdefault(image.id, image)
    except exceptions.SDKException as error:
        notes.append(f"could not read image owners and sizes: {error}")
        return {}
    return {
        image_id: ImageDetail(image_id, image.owner_id, image.size, image.virtual_size)
        for image_id, image in listed.items()
    }


def _rules(conn: Any, notes: list[str]) -> tuple[RuleDetail, ...] | None:
    try:
        listed = with_retries(lambda: list(conn.network.default_security_group_rules()))
    except exceptions.SDKException as error:
        notes.append(f"could not read the default security group rules: {error}")
        return None
    attribute = {"ethertype": "ether_type", "protocol": "protocol"}
    details = []
    for rule in listed:
        values = {name: getattr(rule, attribute.get(name, name), None) for name in RULE_FIELDS}
        values["used_in_default_sg"] = bool(values["used_in_default_sg"])
        values["used_in_non_default_sg"] = bool(values["used_in_non_default_sg"])
        details.append(RuleDetail(str(rule.id), frozen(values)))
    return tuple(details)


def _volume_types(conn: Any, snapshot: IaasSnapshot, admin: bool, notes: list[str]) -> dict[str, VolumeTypeDetail]:
    """Backend evidence per volume type: encryption specs and replication extra specs (Cinder shows them to admins)."""
    result: dict[str, VolumeTypeDetail] = {}
    if snapshot.volume_types is None:
        return result
    specs: dict[str, dict[str, str]] = {}
    if admin:
        try:
            for listed in with_retries(lambda: list(conn.block_storage.types())):
                specs[listed.id] = {str(k): str(v) for k, v in (listed.extra_specs or {}).items()}
        except exceptions.SDKException as error:
            notes.append(f"could not read volume type extra specs: {error}")
    refused = False
    for volume_type in snapshot.volume_types:
        encrypted: bool | None = None
        if admin:
            try:
                encryption = with_retries(functools.partial(conn.block_storage.get_type_encryption, volume_type.id))
                encrypted = bool(getattr(encryption, "provider", None) or getattr(encryption, "encryption_id", None))
            except exceptions.ForbiddenException:
                refused = True
            except exceptions.NotFoundException:
                encrypted = False
            except exceptions.SDKException as error:
                notes.append(f"could not read the encryption of volume type {volume_type.name}: {error}")
        result[volume_type.id] = VolumeTypeDetail(
            volume_type.id, MappingProxyType(specs[volume_type.id]) if volume_type.id in specs else None, encrypted
        )
    if refused:
        notes.append("the cloud refused to show volume type encryption to this admin account")
    return result


def flavor_usage(conn: Any, admin: bool) -> Callable[[str], int | None]:
    """How many servers of all projects use a flavor (Nova's `flavor` filter with all_tenants: admins only)."""
    if not admin:
        return lambda flavor_id: None
    counts: dict[str, int | None] = {}

    def count(flavor_id: str) -> int | None:
        if flavor_id not in counts:
            try:
                servers = with_retries(lambda: list(conn.compute.servers(all_projects=True, flavor=flavor_id)))
                counts[flavor_id] = len(servers)
            except exceptions.SDKException:
                counts[flavor_id] = None
        return counts[flavor_id]

    return count
