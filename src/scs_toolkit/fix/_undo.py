"""Revert what a journal records, newest first, so that the cloud is as `apply` found it.

Undo is careful with other people's work: a value is put back only while it still is what apply set
(otherwise someone changed it since: a conflict, left alone and reported), a created flavor is deleted
only while no server uses it, and a deleted rule is re-created only if no equal rule exists. Each
revert is journaled, and everything is checked against the cloud first, so undo can run again (after
a failure, or just twice) and reverts nothing twice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from openstack import exceptions

from ..collect._cleanup import describe
from ..collect._retry import with_retries
from ._apply import (
    all_flavors,
    create_rule,
    flavor_specs,
    image_values,
    patch_image,
    refused,
    rule_values,
    same_rule,
    set_flavor_specs,
)
from ._inventory import flavor_usage
from ._journal import Entry, Journal
from ._model import Action


@dataclass(frozen=True)
class Reverted:
    entry: Entry
    #: reverted, already (nothing to revert), conflict (changed since, or in use: left alone), failed
    status: str
    detail: str
    recreated_id: str | None = None


def to_undo(entries: list[Entry]) -> list[Entry]:
    """The entries that changed something (or may have: a run that died mid-change) and are not reverted yet."""
    return [
        e
        for e in entries
        if e.undo not in ("reverted", "already")
        and e.status != "skipped"
        # a failed change made nothing, unless it recorded what it made first (a flavor before its specs)
        and not (e.status == "failed" and e.created_id is None)
    ]


def undo_entries(
    conn: Any,
    entries: list[Entry],
    journal: Journal,
    report: Callable[[Reverted], None] = lambda reverted: None,
    stop: threading.Event | None = None,
    admin: bool = True,
) -> list[Reverted]:
    """Revert every entry that changed something and is not reverted yet, newest first."""
    usage = flavor_usage(conn, admin)
    results = []
    for entry in reversed(to_undo(entries)):
        if stop is not None and stop.is_set():
            break
        try:
            reverted = _REVERTERS[entry.change.action](conn, entry, usage)
        except exceptions.ForbiddenException as error:
            journal.undone(entry.seq, "failed", f"HTTP 403: {error.details or error}")
            raise refused(entry.change, error) from None
        except exceptions.SDKException as error:
            reverted = Reverted(entry, "failed", describe(error))
        journal.undone(entry.seq, reverted.status, reverted.detail, reverted.recreated_id)
        results.append(reverted)
        report(reverted)
    return results


def _restore(entry: Entry, current: Mapping[str, Any], what: str) -> tuple[dict[str, Any], list[str]]:
    """Which values to put back (those still as apply left them) and which changed since (conflicts)."""
    back, conflicts = {}, []
    # a run that died mid-change recorded no `before` of its own: the plan's is the best there is
    recorded = entry.before if entry.status != "started" else entry.change.before
    for key, before in recorded.items():
        applied = entry.change.after.get(key)
        now = current.get(key)
        if _same(now, before):
            continue
        if _same(now, applied):
            back[key] = before
        else:
            conflicts.append(f"{what} {key} is {now!r} now, not {applied!r} as apply left it")
    return back, conflicts


def _same(a: Any, b: Any) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and str(a) == str(b))


def _verdict(entry: Entry, back: Mapping[str, Any], conflicts: list[str], what: str) -> Reverted:
    if conflicts:
        restored = f"; restored {', '.join(back)}" if back else ""
        return Reverted(entry, "conflict", "; ".join(conflicts) + " (left alone)" + restored)
    if not back:
        return Reverted(entry, "already", f"{what} is as before already")
    shown = ", ".join(f"{k}={v!r}" if v is not None else f"unset {k}" for k, v in back.items())
    return Reverted(entry, "reverted", f"{what}: {shown}")


def _created_flavor(conn: Any, entry: Entry, usage: Callable[[str], int | None]) -> Reverted:
    after = entry.change.after
    flavors = all_flavors(conn)
    if entry.created_id is not None:
        flavor = next((f for f in flavors if f.id == entry.created_id), None)
    else:  # the run died before it could record the id: the flavor of that name, if it is the one planned
        flavor = next(
            (
                f
                for f in flavors
                if f.name == after["name"]
                and (f.vcpus, f.ram, f.disk or 0) == (after["vcpus"], after["ram"], after["disk"])
            ),
            None,
        )
    if flavor is None:
        return Reverted(entry, "already", f"flavor {after['name']} is gone already")
    servers = usage(str(flavor.id))
    if servers:
        return Reverted(
            entry,
            "conflict",
            f"flavor {flavor.name} ({flavor.id}) is used by {servers} server(s) now: not deleted "
            "(delete it yourself once they are gone)",
        )
    conn.compute.delete_flavor(flavor, ignore_missing=True)
    return Reverted(entry, "reverted", f"deleted flavor {flavor.name} ({flavor.id})")


def _flavor_specs(conn: Any, entry: Entry, usage: Callable[[str], int | None]) -> Reverted:
    flavor = next((f for f in all_flavors(conn) if f.id == entry.change.target_id), None)
    if flavor is None:
        return Reverted(entry, "conflict", f"flavor {entry.change.target} ({entry.change.target_id}) is gone")
    back, conflicts = _restore(entry, flavor_specs(conn, flavor), f"flavor {flavor.name}")
    if back:
        set_flavor_specs(conn, flavor, back)
    return _verdict(entry, back, conflicts, f"flavor {flavor.name}")


def _image(conn: Any, entry: Entry, usage: Callable[[str], int | None]) -> Reverted:
    try:
        image = with_retries(lambda: conn.image.get_image(entry.change.target_id))
    except exceptions.NotFoundException:
        return Reverted(entry, "conflict", f"image {entry.change.target} ({entry.change.target_id}) is gone")
    current = image_values(image, entry.before or entry.change.before)
    back, conflicts = _restore(entry, current, f"image {entry.change.target}")
    if back:
        patch_image(conn, str(entry.change.target_id), back, current)
    return _verdict(entry, back, conflicts, f"image {entry.change.target}")


def _volume_type(conn: Any, entry: Entry, usage: Callable[[str], int | None]) -> Reverted:
    try:
        volume_type = with_retries(lambda: conn.block_storage.get_type(entry.change.target_id))
    except exceptions.NotFoundException:
        return Reverted(entry, "conflict", f"volume type {entry.change.target} is gone")
    what = f"volume type {entry.change.target}"
    back, conflicts = _restore(entry, {"description": volume_type.description}, what)
    if back:
        conn.block_storage.update_type(volume_type, description=back["description"] or "")
    return _verdict(entry, back, conflicts, what)


def _created_rule(conn: Any, entry: Entry, usage: Callable[[str], int | None]) -> Reverted:
    rules = with_retries(lambda: list(conn.network.default_security_group_rules()))
    if entry.created_id is not None:
        rule = next((r for r in rules if r.id == entry.created_id), None)
    else:
        rule = next((r for r in rules if same_rule(rule_values(r), entry.change.after)), None)
    if rule is None:
        return Reverted(entry, "already", f"default rule {entry.created_id or entry.change.target} is gone already")
    conn.network.delete_default_security_group_rule(rule.id, ignore_missing=True)
    return Reverted(entry, "reverted", f"deleted default rule {rule.id}: {entry.change.target}")


def _deleted_rule(conn: Any, entry: Entry, usage: Callable[[str], int | None]) -> Reverted:
    values = entry.before or entry.change.before
    rules = with_retries(lambda: list(conn.network.default_security_group_rules()))
    twin = next((r for r in rules if same_rule(rule_values(r), values)), None)
    if twin is not None:
        return Reverted(entry, "already", f"default rule {twin.id} is that rule: {entry.change.target}")
    rule_id = create_rule(conn, values)
    return Reverted(entry, "reverted", f"re-created default rule {rule_id}: {entry.change.target}", rule_id)


_REVERTERS: dict[Action, Callable[[Any, Entry, Callable[[str], int | None]], Reverted]] = {
    Action.CREATE_FLAVOR: _created_flavor,
    Action.SET_FLAVOR_EXTRA_SPECS: _flavor_specs,
    Action.SET_IMAGE_PROPERTIES: _image,
    Action.SET_VOLUME_TYPE_DESCRIPTION: _volume_type,
    Action.CREATE_DEFAULT_RULE: _created_rule,
    Action.DELETE_DEFAULT_RULE: _deleted_rule,
}
