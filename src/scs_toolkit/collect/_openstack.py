"""Collect an IaasSnapshot from an OpenStack cloud with openstacksdk, all parts concurrently.

openstacksdk itself is imported by whoever made the connection: importing `scs_toolkit.collect` stays
cheap, so that `scs check` can send its log-in before openstacksdk has loaded (see _early_login).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from ._retry import with_retries
from ._snapshot import CatalogEntry, DefaultRule, Flavor, IaasSnapshot, Image, VolumeType

if TYPE_CHECKING:
    import openstack.connection

#: Glance fields that are not free-form properties
_IMAGE_CORE = {
    "id",
    "name",
    "visibility",
    "os_hidden",
    "min_disk",
    "min_ram",
    "size",
    "created_at",
    "updated_at",
    "status",
    "owner",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "disk_format",
    "container_format",
    "tags",
    "file",
    "self",
    "schema",
    "protected",
    "virtual_size",
    "locations",
    "direct_url",
    "stores",
}


def _lists_extra_specs(flavor: Any) -> bool:
    """Nova lists extra specs from microversion 2.61 on; below (an old Nova, or a version discovery that
    failed) openstacksdk gives `{}` for the specs the answer did not carry, not None."""
    try:
        major, minor = (int(n) for n in str(flavor.microversion).split("."))
    except (TypeError, ValueError):
        return False  # no microversion at all
    return (major, minor) >= (2, 61)


def _flavors(conn: openstack.connection.Connection) -> tuple[Flavor, ...]:
    result = []
    for flavor in with_retries(lambda: list(conn.compute.flavors(details=True))):
        specs = flavor.extra_specs if _lists_extra_specs(flavor) else None
        if specs is None:  # older microversions: ask per flavor
            specs = with_retries(functools.partial(conn.compute.fetch_flavor_extra_specs, flavor)).extra_specs or {}
        result.append(
            Flavor(
                flavor.id,
                flavor.name,
                flavor.vcpus,
                flavor.ram,
                flavor.disk or 0,
                MappingProxyType({str(k): str(v) for k, v in specs.items()}),
                bool(flavor.is_public),
            )
        )
    return tuple(result)


def _listed_images(conn: openstack.connection.Connection) -> list[Any]:
    """Every image the account may use: Glance lists community images only when asked for them (both
    listings at once, after one version discovery that both share)."""
    with_retries(lambda: conn.image.get_endpoint())  # the version discovery, once, before both listings use it
    with ThreadPoolExecutor(max_workers=1) as pool:
        community = pool.submit(with_retries, lambda: list(conn.image.images(visibility="community")))
        images = {image.id: image for image in with_retries(lambda: list(conn.image.images()))}
        for image in community.result():
            images.setdefault(image.id, image)
    return list(images.values())


def _images(conn: openstack.connection.Connection) -> tuple[Image, ...]:
    result = []
    for image in _listed_images(conn):
        raw: dict[str, Any] = image.to_dict(computed=False)
        properties = dict(raw.pop("properties", None) or {})
        for key in (
            "architecture",
            "os_distro",
            "os_version",
            "hw_disk_bus",
            "hypervisor_type",
            "hw_rng_model",
            "hw_scsi_model",
            "os_secure_boot",
            "hw_firmware_type",
        ):
            value = raw.get(key)
            if value is not None:
                properties.setdefault(key, value)
        result.append(
            Image(
                image.id,
                image.name or "",
                image.visibility or "",
                bool(image.is_hidden),
                image.min_disk or 0,
                image.min_ram or 0,
                image.size,
                image.created_at,
                image.hash_algo,
                MappingProxyType(
                    {str(k): str(v) for k, v in properties.items() if k not in _IMAGE_CORE and v is not None}
                ),
                image.virtual_size,
            )
        )
    return tuple(result)


def _volume_types(conn: openstack.connection.Connection) -> tuple[VolumeType, ...]:
    return tuple(
        VolumeType(t.id, t.name, t.description) for t in with_retries(lambda: list(conn.block_storage.types()))
    )


def _access(conn: openstack.connection.Connection) -> Any:
    """The token's access info (roles, catalog): what the cloud told us at log-in."""
    from keystoneauth1.identity.base import BaseIdentityPlugin

    auth = conn.session.auth
    if not isinstance(auth, BaseIdentityPlugin):
        raise TypeError(f"cannot read the token of a {type(auth).__name__} session")
    return auth.get_access(conn.session)


def _catalog(conn: openstack.connection.Connection) -> tuple[CatalogEntry, ...]:
    access = _access(conn)
    return tuple(
        CatalogEntry(e.get("type", ""), e.get("name", ""), tuple(p.get("url", "") for p in e.get("endpoints", [])))
        for e in access.service_catalog.catalog
    )


def _roles(conn: openstack.connection.Connection) -> tuple[str, ...]:
    return tuple(sorted(_access(conn).role_names))


def _default_rules(conn: openstack.connection.Connection) -> tuple[DefaultRule, ...] | None:
    from openstack import exceptions

    try:
        rules = with_retries(lambda: list(conn.network.default_security_group_rules()))
    except exceptions.ResourceNotFound:
        return None  # no such API on this cloud: the check says so
    return tuple(
        DefaultRule(
            r.direction,
            r.ether_type,
            r.remote_group_id,
            r.remote_ip_prefix,
            bool(r.used_in_default_sg),
            bool(r.used_in_non_default_sg),
            r.protocol or None,
            r.port_range_min,
            r.port_range_max,
        )
        for r in rules
    )


PARTS: dict[str, Callable[[openstack.connection.Connection], Any]] = {
    "flavors": _flavors,
    "images": _images,
    "volume_types": _volume_types,
    "catalog": _catalog,
    "roles": _roles,
    "default_rules": _default_rules,
}


def collect_iaas(conn: openstack.connection.Connection, parts: set[str] | None = None) -> IaasSnapshot:
    """Fetch the requested parts (default: all) concurrently; a part that keeps failing is recorded in errors."""
    wanted = sorted(parts if parts is not None else set(PARTS))
    with_retries(conn.session.get_token)  # authenticate once, before the threads share the session
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=len(wanted) or 1) as pool:
        # each part retries its own requests (a retry repeats one request, not a whole paginated listing)
        futures = {name: pool.submit(PARTS[name], conn) for name in wanted}
        for name, future in futures.items():
            try:
                values[name] = future.result()
            except Exception as error:
                errors[name] = f"{type(error).__name__}: {error}"
    return IaasSnapshot(taken_at=dt.datetime.now(dt.UTC), errors=MappingProxyType(errors), **values)
