"""scs-0117 volume backup: back up a fresh 1 GiB volume and restore it (all resources prefixed, always removed)."""

from __future__ import annotations

from typing import Any

from openstack import exceptions

from ...collect import IaasSnapshot
from ...collect._retry import transient, wait_for_status, with_retries
from .._model import Finding, Outcome
from .._registry import testcase

PREFIX = "scs-test-"


def cleanup(conn: Any) -> None:
    """Remove every prefixed backup and volume, waiting for transitional states to settle first."""
    storage = conn.block_storage
    for backup in with_retries(lambda: list(storage.backups())):
        if (backup.name or "").startswith(PREFIX):
            _settle_and_delete(backup.id, storage.get_backup, storage.delete_backup, "backup")
    for volume in with_retries(lambda: list(storage.volumes())):
        if (volume.name or "").startswith(PREFIX):
            _settle_and_delete(volume.id, storage.get_volume, storage.delete_volume, "volume")


def _settle_and_delete(resource_id: str, get: Any, delete: Any, what: str) -> None:
    resource = with_retries(lambda: get(resource_id))
    if resource.status not in ("available", "error"):
        wait_for_status(lambda: get(resource_id), "available", what, cancellable=False)  # clean-up always finishes
    with_retries(lambda: delete(resource_id, ignore_missing=True))


@testcase(
    "scs-0117-test-backup",
    "scs-0117-v1",
    "Volume backups can be created and restored.",
    "Configure a backup driver (cinder-backup) so that /v3/{project}/backups works.",
    needs=[],
    active=True,
)
def backup(snapshot: IaasSnapshot, conn: Any) -> Outcome:
    storage = conn.block_storage
    try:
        cleanup(conn)
        try:
            volume = with_retries(lambda: storage.create_volume(name=f"{PREFIX}volume", size=1))
            wait_for_status(lambda: storage.get_volume(volume.id), "available", "volume")
            made = with_retries(lambda: storage.create_backup(name=f"{PREFIX}volume-backup", volume_id=volume.id))
            wait_for_status(lambda: storage.get_backup(made.id), "available", "backup")
            restored = with_retries(lambda: storage.restore_backup(made, name=f"{PREFIX}restored-backup"))
            wait_for_status(lambda: storage.get_volume(restored["volume_id"]), "available", "restored volume")
        finally:
            cleanup(conn)
    except exceptions.HttpException as error:
        if transient(error):
            return Outcome.aborted(f"the block storage API kept failing: {error}")
        return Outcome.failed(
            "volume backup does not work",
            [Finding("backup", f"HTTP {error.status_code}: {error.details or error}")],
            "Offer the backup API with a configured backup driver (scs-0117).",
        )
    except (RuntimeError, TimeoutError) as error:
        return Outcome.failed(
            "volume backup does not work",
            [Finding("backup", str(error))],
            "Check the backup driver: backups and restores must reach status available.",
        )
    return Outcome.passed("a 1 GiB volume was backed up and restored")
