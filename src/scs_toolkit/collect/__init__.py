"""Fetch what a cloud offers, once and concurrently, into immutable snapshots for the checks."""

from __future__ import annotations

from ._openstack import collect_iaas
from ._snapshot import CatalogEntry, DefaultRule, Flavor, IaasSnapshot, Image, VolumeType

__all__ = ["CatalogEntry", "DefaultRule", "Flavor", "IaasSnapshot", "Image", "VolumeType", "collect_iaas"]
