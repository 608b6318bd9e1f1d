"""A simulated SCS cloud: OpenStack APIs over real HTTP, profiles, fault injection, SSH guests.

from scs_toolkit.simcloud import SimCloud, SimCloudOptions
with SimCloud(SimCloudOptions(profile="compliant")) as sim:
    conn = openstack.connect(**sim.connect_kwargs())
"""

from __future__ import annotations

from ._faults import SERVICES, Faults
from ._profiles import ProfileError, bundled_profiles, load_profile
from ._server import (
    DEFAULT_CLOUD_NAME,
    Credentials,
    SimCloud,
    SimCloudOptions,
    build_cloud,
    clouds_yaml,
    login,
    profile_credentials,
    write_clouds_yaml,
)

__all__ = [
    "DEFAULT_CLOUD_NAME",
    "SERVICES",
    "Credentials",
    "Faults",
    "ProfileError",
    "SimCloud",
    "SimCloudOptions",
    "build_cloud",
    "bundled_profiles",
    "clouds_yaml",
    "load_profile",
    "login",
    "profile_credentials",
    "write_clouds_yaml",
]
