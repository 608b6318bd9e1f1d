"""Apply a plan's changes, one at a time, each journaled before and after, each idempotent.

Every change first reads what the cloud holds now (a plan may be minutes old, another operator may
have been faster) and does only what is still needed; what it found is what the journal keeps as
`before`, so that undo restores the real previous state. Writes are not retried: a write that fails
is reported with the cloud's reason, and the next `apply` (which plans afresh) picks it up again.
A 403 stops the run at once: the account needs the admin role, and nothing else is tried.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from openstack import exceptions

from ..collect._cleanup import describe
from ..collect._retry import with_retries
from ._journal import Journal
from ._model import RULE_FIELDS, Action, Change, frozen

GLANCE_PATCH = "application/openstack-images-v2.1-json-patch"


class NeedsAdmin(Exception):
    """The cloud refused a change (HTTP 403): the account lacks the role for it."""


@dataclass(frozen=True)
class Applied:
    change: Change
    #: done, skipped (nothing was left to do), failed
    status: str
    detail: str
    before: Mapping[str, Any] = field(default_factory=frozen)
    created_id: str | None = None


def refused(change: Change, error: exceptions.HttpException) -> NeedsAdmin:
    reason = (error.details or str(error)).strip().splitlines()[0] if (error.details or str(error)) else "forbidden"
    return NeedsAdmin(
        f"needs an admin account: the cloud refused to {change.summary} (HTTP 403: {reason}); "
        "run `scs fix apply` with an account that has the admin role"
    )


def apply_changes(
    conn: Any,
    changes: Iterable[Change],
    journal: Journal,
    report: Callable[[Applied], None] = lambda applied: None,
    stop: threading.Event | None = None,
) -> list[Applied]:
    """Apply in order until done or `stop` is set (checked between changes); NeedsAdmin on a 403."""
    results = []
    for change in changes:
        if stop is not None and stop.is_set():
            break
        seq = journal.begin(change)
        try:
            applied = _EXECUTORS[change.action](conn, change, functools.partial(journal.progress, seq))
        except exceptions.ForbiddenException as error:
            journal.finish(seq, "failed", {}, None, f"HTTP 403: {error.details or error}")
            raise refused(change, error) from None
        except exceptions.SDKException as error:
            applied = Applied(change, "failed", describe(error))
        journal.finish(seq, applied.status, applied.before, applied.created_id, applied.detail)
        results.append(applied)
        report(applied)
    return results


# -- flavors --------------------------------------------------------------------------------------------


def all_flavors(conn: Any) -> list[Any]:
    """Public and private flavors (Nova lists only public ones to admins unless asked for all)."""
    return with_retries(lambda: list(conn.compute.flavors(details=True, is_public="None")))


def flavor_specs(conn: Any, flavor: Any) -> dict[str, str]:
    specs = flavor.extra_specs
    if specs is None:
        specs = with_retries(lambda: conn.compute.fetch_flavor_extra_specs(flavor)).extra_specs
    return {str(k): str(v) for k, v in (specs or {}).items()}


def _create_flavor(conn: Any, change: Change, made: Callable[[str], None]) -> Applied:
    after = change.after
    name = str(after["name"])
    existing = next((f for f in all_flavors(conn) if f.name == name), None)
    if existing is not None:
        sizes = (existing.vcpus, existing.ram, existing.disk or 0)
        if sizes == (after["vcpus"], after["ram"], after["disk"]):
            return Applied(change, "skipped", f"flavor {name} exists already ({existing.id})")
        return Applied(change, "failed", f"a flavor named {name} exists with other sizes ({existing.id})")
    flavor = conn.compute.create_flavor(
        name=name, vcpus=after["vcpus"], ram=after["ram"], disk=after["disk"], is_public=bool(after["is_public"])
    )
    made(str(flavor.id))
    specs = {str(k): str(v) for k, v in (after.get("extra_specs") or {}).items()}
    if specs:
        conn.compute.create_flavor_extra_specs(flavor, specs)
    return Applied(
        change, "done", f"created flavor {name} ({flavor.id}) with {len(specs)} extra specs", created_id=str(flavor.id)
    )


def set_flavor_specs(conn: Any, flavor: Any, values: Mapping[str, Any]) -> None:
    """Set (and for None, remove) extra specs, as `openstack flavor set/unset --property` do."""
    sets = {k: str(v) for k, v in values.items() if v is not None}
    if sets:
        conn.compute.create_flavor_extra_specs(flavor, sets)
    for key, value in values.items():
        if value is None:
            conn.compute.delete_flavor_extra_specs_property(flavor, key)


def _set_flavor_specs(conn: Any, change: Change, made: Callable[[str], None]) -> Applied:
    flavor = next((f for f in all_flavors(conn) if f.id == change.target_id), None)
    if flavor is None:
        return Applied(change, "failed", f"flavor {change.target} ({change.target_id}) is gone")
    current = flavor_specs(conn, flavor)
    todo = {k: v for k, v in change.after.items() if (current.get(k) != v if v is not None else k in current)}
    if not todo:
        return Applied(change, "skipped", f"the extra specs of {change.target} are set already")
    before = {k: current.get(k) for k in todo}
    set_flavor_specs(conn, flavor, todo)
    return Applied(change, "done", f"{change.target}: " + ", ".join(_shown(todo)), frozen(before))


# -- images ---------------------------------------------------------------------------------------------


def image_values(image: Any, keys: Iterable[str]) -> dict[str, Any]:
    """The image's min_disk/min_ram and properties for `keys` (None: not set)."""
    raw = image.to_dict(computed=False)
    properties = dict(raw.get("properties") or {})
    result: dict[str, Any] = {}
    for key in keys:
        if key in ("min_disk", "min_ram"):
            result[key] = raw.get(key) or 0
        else:
            value = properties.get(key, raw.get(key))
            result[key] = None if value is None else str(value)
    return result


def patch_image(conn: Any, image_id: str, values: Mapping[str, Any], current: Mapping[str, Any]) -> None:
    """One JSON patch (Glance's v2.1 media type: `add` sets whether or not the property exists)."""
    operations: list[dict[str, Any]] = []
    for key, value in values.items():
        if value is None:
            if current.get(key) is not None:
                operations.append({"op": "remove", "path": f"/{key}"})
        else:
            operations.append(
                {"op": "add", "path": f"/{key}", "value": int(value) if key in ("min_disk", "min_ram") else str(value)}
            )
    if not operations:
        return
    response = conn.image.patch(
        f"/images/{image_id}", data=json.dumps(operations), headers={"Content-Type": GLANCE_PATCH}
    )
    exceptions.raise_from_response(response)


def _set_image(conn: Any, change: Change, made: Callable[[str], None]) -> Applied:
    try:
        image = with_retries(lambda: conn.image.get_image(change.target_id))
    except exceptions.NotFoundException:
        return Applied(change, "failed", f"image {change.target} ({change.target_id}) is gone")
    current = image_values(image, change.after)
    todo = {k: v for k, v in change.after.items() if _differs(current.get(k), v)}
    if not todo:
        return Applied(change, "skipped", f"the properties of image {change.target} are set already")
    patch_image(conn, str(change.target_id), todo, current)
    return Applied(
        change, "done", f"image {change.target}: " + ", ".join(_shown(todo)), frozen({k: current[k] for k in todo})
    )


def _differs(current: Any, wanted: Any) -> bool:
    if wanted is None:
        return current is not None
    return str(current) != str(wanted)


# -- volume types ---------------------------------------------------------------------------------------


def _set_description(conn: Any, change: Change, made: Callable[[str], None]) -> Applied:
    try:
        volume_type = with_retries(lambda: conn.block_storage.get_type(change.target_id))
    except exceptions.NotFoundException:
        return Applied(change, "failed", f"volume type {change.target} ({change.target_id}) is gone")
    wanted = change.after.get("description")
    if (volume_type.description or "") == (wanted or ""):
        return Applied(change, "skipped", f"volume type {change.target} is described so already")
    before = frozen({"description": volume_type.description})  # the SDK updates the object it is given
    conn.block_storage.update_type(volume_type, description=wanted or "")
    return Applied(change, "done", f"volume type {change.target}: {wanted!r}", before)


# -- default security group rules -----------------------------------------------------------------------

_SDK_NAMES = {"ethertype": "ether_type"}


def rule_values(rule: Any) -> dict[str, Any]:
    values = {name: getattr(rule, _SDK_NAMES.get(name, name), None) for name in RULE_FIELDS}
    values["used_in_default_sg"] = bool(values["used_in_default_sg"])
    values["used_in_non_default_sg"] = bool(values["used_in_non_default_sg"])
    return values


def same_rule(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return all((a.get(f) or None) == (b.get(f) or None) for f in RULE_FIELDS if not f.startswith("used_in")) and all(
        bool(a.get(f)) == bool(b.get(f)) for f in ("used_in_default_sg", "used_in_non_default_sg")
    )


def create_rule(conn: Any, values: Mapping[str, Any]) -> str:
    attrs = {_SDK_NAMES.get(k, k): v for k, v in values.items() if k in RULE_FIELDS and v is not None}
    attrs["used_in_default_sg"] = bool(values.get("used_in_default_sg"))
    attrs["used_in_non_default_sg"] = bool(values.get("used_in_non_default_sg"))
    return str(conn.network.create_default_security_group_rule(**attrs).id)


def _create_rule(conn: Any, change: Change, made: Callable[[str], None]) -> Applied:
    rules = with_retries(lambda: list(conn.network.default_security_group_rules()))
    twin = next((r for r in rules if same_rule(rule_values(r), change.after)), None)
    if twin is not None:
        return Applied(change, "skipped", f"default rule {twin.id} is that rule already")
    rule_id = create_rule(conn, change.after)
    made(rule_id)
    return Applied(change, "done", f"created default rule {rule_id}: {change.target}", created_id=rule_id)


def _delete_rule(conn: Any, change: Change, made: Callable[[str], None]) -> Applied:
    rules = with_retries(lambda: list(conn.network.default_security_group_rules()))
    rule = next((r for r in rules if r.id == change.target_id), None)
    if rule is None:
        return Applied(change, "skipped", f"default rule {change.target_id} is gone already")
    values = rule_values(rule)
    conn.network.delete_default_security_group_rule(rule.id, ignore_missing=False)
    return Applied(change, "done", f"deleted default rule {rule.id}: {change.target}", frozen(values))


def _shown(values: Mapping[str, Any]) -> list[str]:
    return [f"{k}={v}" if v is not None else f"unset {k}" for k, v in values.items()]


_EXECUTORS: dict[Action, Callable[[Any, Change, Callable[[str], None]], Applied]] = {
    Action.CREATE_FLAVOR: _create_flavor,
    Action.SET_FLAVOR_EXTRA_SPECS: _set_flavor_specs,
    Action.SET_IMAGE_PROPERTIES: _set_image,
    Action.SET_VOLUME_TYPE_DESCRIPTION: _set_description,
    Action.CREATE_DEFAULT_RULE: _create_rule,
    Action.DELETE_DEFAULT_RULE: _delete_rule,
}
