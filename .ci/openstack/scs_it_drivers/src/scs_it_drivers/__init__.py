"""Test-only drivers for the scs-toolkit integration tier's real OpenStack services (never for a real cloud).

- `ml2.BindAllMechanismDriver`: Neutron ML2 mechanism driver that binds every port (no dataplane).
- `cinder_local.LocalFileVolumeDriver`: Cinder's fake volume driver, with volumes as sparse files that
  attach locally, so that cinder-backup can read and write them (backups and restores work).
"""
