"""Fetch what a cloud offers, once and concurrently, into immutable snapshots for the checks."""

from __future__ import annotations

from ._login import ENVIRONMENT_CLOUD, CloudError, CloudSpec, authenticate, cloud_names, connect, login_error, resolve
from ._openstack import collect_iaas
from ._snapshot import CatalogEntry, DefaultRule, Flavor, IaasSnapshot, Image, VolumeType

__all__ = [
    "ENVIRONMENT_CLOUD",
    "CatalogEntry",
    "CloudError",
    "CloudSpec",
    "DefaultRule",
    "Flavor",
    "IaasSnapshot",
    "Image",
    "VolumeType",
    "authenticate",
    "cloud_names",
    "collect_iaas",
    "connect",
    "login_error",
    "resolve",
]
