"""A simulated SCS cloud: OpenStack APIs over real HTTP, profiles, fault injection, SSH guests.

from scs_toolkit.simcloud import SimCloud, SimCloudOptions
with SimCloud(SimCloudOptions(profile="compliant")) as sim:
    conn = openstack.connect(**sim.connect_kwargs())
"""

from __future__ import annotations

from ._faults import SERVICES, Faults
from ._profiles import ExpectedFailure, Judgement, ProfileError, bundled_profiles, expected_failures, load_profile
from ._server import (
    DEFAULT_CLOUD_NAME,
    Credentials,
    SimCloud,
    SimCloudOptions,
    build_cloud,
    clouds_yaml,
    login,
    profile_credentials,
    remove_clouds_yaml,
    write_clouds_yaml,
)
from ._store import StateError

__all__ = [
    "DEFAULT_CLOUD_NAME",
    "SERVICES",
    "Credentials",
    "ExpectedFailure",
    "Faults",
    "Judgement",
    "ProfileError",
    "SimCloud",
    "SimCloudOptions",
    "StateError",
    "build_cloud",
    "bundled_profiles",
    "clouds_yaml",
    "expected_failures",
    "load_profile",
    "login",
    "profile_credentials",
    "remove_clouds_yaml",
    "write_clouds_yaml",
]
