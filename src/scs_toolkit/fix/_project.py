"""The cloud as it would be after a plan's changes: the same inventory with the changes applied, on paper.

A plan proves itself by judging the projected snapshot with the same checks: a change "fixes" a
testcase only if the testcase passes afterwards, and what would still fail is reported with the
check's own reason instead of being promised away.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from ..collect import Flavor, Image, VolumeType
from ._inventory import Inventory, RuleDetail
from ._model import Action, Change, frozen


def project(inventory: Inventory, changes: Iterable[Change]) -> Inventory:
    for change in changes:
        inventory = _one(inventory, change)
    return inventory


def updated(current: Mapping[str, str], values: Mapping[str, Any]) -> MappingProxyType[str, str]:
    """`current` with `values` set (None: removed)."""
    result = dict(current)
    for key, value in values.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = str(value)
    return MappingProxyType(result)


def with_image_values(image: Image, values: Mapping[str, Any]) -> Image:
    """`image` with properties (and min_disk/min_ram) set as a set-image-properties change would set them."""
    fields: dict[str, Any] = {k: int(v) for k, v in values.items() if k in ("min_disk", "min_ram") and v is not None}
    props = {k: v for k, v in values.items() if k not in ("min_disk", "min_ram")}
    return dataclasses.replace(image, properties=updated(image.properties, props), **fields)


def _one(inventory: Inventory, change: Change) -> Inventory:
    snapshot = inventory.snapshot
    after = change.after
    if change.action is Action.CREATE_FLAVOR:
        flavor = Flavor(
            f"planned:{after['name']}",
            str(after["name"]),
            int(after["vcpus"]),
            int(after["ram"]),
            int(after["disk"]),
            MappingProxyType({str(k): str(v) for k, v in (after.get("extra_specs") or {}).items()}),
            bool(after.get("is_public", True)),
        )
        snapshot = dataclasses.replace(snapshot, flavors=(*(snapshot.flavors or ()), flavor))
    elif change.action is Action.SET_FLAVOR_EXTRA_SPECS:
        flavors = tuple(
            dataclasses.replace(f, extra_specs=updated(f.extra_specs, after)) if f.id == change.target_id else f
            for f in snapshot.flavors or ()
        )
        snapshot = dataclasses.replace(snapshot, flavors=flavors)
    elif change.action is Action.SET_IMAGE_PROPERTIES:
        images = tuple(with_image_values(i, after) if i.id == change.target_id else i for i in snapshot.images or ())
        snapshot = dataclasses.replace(snapshot, images=images)
    elif change.action is Action.SET_VOLUME_TYPE_DESCRIPTION:
        types = tuple(
            VolumeType(t.id, t.name, str(after.get("description"))) if t.id == change.target_id else t
            for t in snapshot.volume_types or ()
        )
        snapshot = dataclasses.replace(snapshot, volume_types=types)
    elif change.action is Action.CREATE_DEFAULT_RULE:
        rules = (*(inventory.rules or ()), RuleDetail(f"planned:{change.target}", frozen(after)))
        return dataclasses.replace(inventory, snapshot=snapshot).with_rules(rules)
    elif change.action is Action.DELETE_DEFAULT_RULE:
        rules = tuple(r for r in inventory.rules or () if r.id != change.target_id)
        return dataclasses.replace(inventory, snapshot=snapshot).with_rules(rules)
    return dataclasses.replace(inventory, snapshot=snapshot)
