"""Cinder's fake volume driver with volumes as sparse files, attached through os-brick's `local` connector.

The fake driver in the cinder wheel answers `initialize_connection` with iSCSI details of no target,
so cinder-backup cannot attach the volume and the backup hangs in `creating`. Here each volume is a
sparse file under `state_path/volumes/` and the connection is `local` (os-brick runs no command for
it): backups and restores of the fake backup driver reach `available` like on a real cloud.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from cinder.tests.fake_driver import FakeLoggingVolumeDriver
from oslo_config import cfg

GIB = 1024**3


class LocalFileVolumeDriver(FakeLoggingVolumeDriver):  # type: ignore[misc]
    """A volume is a sparse file of its size; attaching it hands out the file's path."""

    def _path(self, volume: Any) -> str:
        folder = os.path.join(cfg.CONF.state_path, "volumes")
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, f"volume-{volume['id']}")

    def _allocate(self, volume: Any) -> None:
        with open(self._path(volume), "ab") as sparse:
            sparse.truncate(int(volume["size"]) * GIB)

    def create_volume(self, volume: Any) -> Any:
        update = super().create_volume(volume)
        self._allocate(volume)
        return update

    def create_cloned_volume(self, volume: Any, src_vref: Any) -> Any:
        update = super().create_cloned_volume(volume, src_vref)
        self._allocate(volume)
        return update

    def create_volume_from_snapshot(self, volume: Any, snapshot: Any) -> Any:
        update = super().create_volume_from_snapshot(volume, snapshot)
        self._allocate(volume)
        return update

    def extend_volume(self, volume: Any, new_size: int) -> None:
        with open(self._path(volume), "ab") as sparse:
            sparse.truncate(int(new_size) * GIB)

    def delete_volume(self, volume: Any) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._path(volume))

    def validate_connector(self, connector: Any) -> None:
        """A local attachment needs no iSCSI initiator."""

    def initialize_connection(self, volume: Any, connector: Any) -> dict[str, Any]:
        self._allocate(volume)
        return {"driver_volume_type": "local", "data": {"device_path": self._path(volume)}}
