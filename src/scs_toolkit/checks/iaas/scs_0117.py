"""scs-0117 volume backup: back up a fresh 1 GiB volume and restore it (named with the run's prefix, always removed).

Removal is confirmed, not assumed (collect._cleanup.delete_confirmed): whatever stays is reported with the result.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from openstack import exceptions

from ...collect import IaasSnapshot
from ...collect._cleanup import delete_confirmed, describe
from ...collect._retry import transient, wait_for_status, with_retries
from .._model import Finding, Outcome, Probe
from .._registry import testcase

SETTLE_TIMEOUT_S = 300.0


def remove_owned(storage: Any, prefix: str, backups: bool = True, timeout_s: float = SETTLE_TIMEOUT_S) -> list[str]:
    """Delete the backups (if any were made) and the volumes named with `prefix`, side by side (Cinder deletes
    a volume whatever backups were made of it); return what stays, and why."""
    kinds: list[tuple[str, Callable[[], Any], Callable[[str], Any], Callable[..., Any]]] = [
        ("volume", storage.volumes, storage.get_volume, storage.delete_volume)
    ]
    if backups:
        kinds.insert(0, ("backup", storage.backups, storage.get_backup, storage.delete_backup))
    problems: list[str] = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        listings = {what: pool.submit(with_retries, functools.partial(_listed, listing)) for what, listing, *_ in kinds}
        deletions = []
        for what, _, get, delete in kinds:
            try:  # a broken backup API must not keep the volumes from being removed
                owned = [r for r in listings[what].result() if (r.name or "").startswith(prefix)]
            except exceptions.SDKException as error:
                problems.append(f"{what}s named {prefix}...: could not list them: {describe(error)}")
                continue
            deletions += [(what, r, pool.submit(delete_confirmed, r, get, delete, what, timeout_s)) for r in owned]
        for what, resource, deletion in deletions:
            try:
                problem = deletion.result()
            except exceptions.SDKException as error:
                problem = f"{what} {resource.name} ({resource.id}): {describe(error)}"
            problems += [problem] if problem else []
    return problems


def _listed(listing: Callable[[], Any]) -> list[Any]:
    return list(listing())


@testcase(
    "scs-0117-test-backup",
    "scs-0117-v1",
    "Volume backups can be created and restored.",
    "Configure a backup driver (cinder-backup) so that /v3/{project}/backups works.",
    needs=[],
    active=True,
)
def backup(snapshot: IaasSnapshot, probe: Probe) -> Outcome:
    storage = probe.conn.block_storage
    timeout = probe.timeout_s or SETTLE_TIMEOUT_S  # --probe-timeout bounds every wait, clean-up included
    leftovers: list[str] = []
    backup_requested = False
    try:
        try:
            volume = with_retries(lambda: storage.create_volume(name=probe.name("0117-volume"), size=1))
            wait_for_status(lambda: storage.get_volume(volume.id), "available", "volume", timeout)
            backup_requested = True
            made = with_retries(
                lambda: storage.create_backup(name=probe.name("0117-volume-backup"), volume_id=volume.id)
            )
            wait_for_status(lambda: storage.get_backup(made.id), "available", "backup", timeout)
            restored = with_retries(lambda: storage.restore_backup(made, name=probe.name("0117-restored")))
            wait_for_status(lambda: storage.get_volume(restored["volume_id"]), "available", "restored volume", timeout)
        finally:
            leftovers = remove_owned(storage, probe.prefix, backups=backup_requested, timeout_s=timeout)
    except exceptions.HttpException as error:
        if transient(error):
            return Outcome.aborted(f"the block storage API kept failing: {error}").left_behind(leftovers)
        return Outcome.failed(
            "volume backup does not work",
            [Finding("backup", f"HTTP {error.status_code}: {error.details or error}")],
            "Offer the backup API with a configured backup driver (scs-0117).",
        ).left_behind(leftovers)
    except (RuntimeError, TimeoutError) as error:
        return Outcome.failed(
            "volume backup does not work",
            [Finding("backup", str(error))],
            "Check the backup driver: backups and restores must reach status available.",
        ).left_behind(leftovers)
    return Outcome.passed("a 1 GiB volume was backed up and restored").left_behind(leftovers)
