"""What Nova checks in a server create request before it builds anything, and the boot volumes it makes.

The checks follow Nova's JSON schema for `POST /servers` at the requested microversion (unknown
attributes, `networks` as a list or, from 2.37, `auto`/`none` and then required, base64 user
data) and its block-device rules (an image copied into a new volume needs a size, which must hold
the image's `min_disk`). A server booted from a volume really gets that volume in Cinder, in use
until the server goes, then deleted or released as `delete_on_termination` says.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from .._auth import Token
from .._cloud import Cloud
from .._errors import ApiError
from .._microversions import COMPUTE, at_least
from .._store import Record, timestamp
from . import volume

MAX_USER_DATA = 65535
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}$")
#: attributes of `server` in POST /servers and the microversion range that accepts them
_ATTRIBUTES: dict[str, tuple[str, str]] = {
    "name": ("2.1", "9.0"),
    "imageRef": ("2.1", "9.0"),
    "flavorRef": ("2.1", "9.0"),
    "adminPass": ("2.1", "9.0"),
    "metadata": ("2.1", "9.0"),
    "networks": ("2.1", "9.0"),
    "OS-DCF:diskConfig": ("2.1", "9.0"),
    "accessIPv4": ("2.1", "9.0"),
    "accessIPv6": ("2.1", "9.0"),
    "personality": ("2.1", "2.56"),
    "availability_zone": ("2.1", "9.0"),
    "block_device_mapping": ("2.1", "9.0"),
    "block_device_mapping_v2": ("2.1", "9.0"),
    "config_drive": ("2.1", "9.0"),
    "key_name": ("2.1", "9.0"),
    "min_count": ("2.1", "9.0"),
    "max_count": ("2.1", "9.0"),
    "return_reservation_id": ("2.1", "9.0"),
    "security_groups": ("2.1", "9.0"),
    "user_data": ("2.1", "9.0"),
    "description": ("2.19", "9.0"),
    "tags": ("2.52", "9.0"),
    "trusted_image_certificates": ("2.63", "9.0"),
    "host": ("2.74", "9.0"),
    "hypervisor_hostname": ("2.74", "9.0"),
    "hostname": ("2.90", "9.0"),
}


def invalid(field: str, value: Any, reason: str) -> ApiError:
    """Nova's wording for a request that fails its JSON schema."""
    return ApiError(400, f"Invalid input for field/attribute {field}. Value: {value}. {reason}")


def validate(request: Request, spec: dict[str, Any]) -> None:
    """400 for what Nova's schema refuses at this microversion."""
    for key in spec:
        low, high = _ATTRIBUTES.get(key, ("9.0", "0.0"))
        if not (at_least(request, COMPUTE, low) and not at_least(request, COMPUTE, _next(high))):
            raise invalid("server", spec, f"Additional properties are not allowed ('{key}' was unexpected)")
    if not isinstance(spec.get("name"), str) or not spec["name"].strip():
        raise invalid("name", spec.get("name"), f"{spec.get('name')!r} is not of type 'string'")
    if "flavorRef" not in spec:
        raise invalid("server", spec, "'flavorRef' is a required property")
    _validate_networks(request, spec)
    user_data = spec.get("user_data")
    if user_data is not None:
        if not isinstance(user_data, str) or len(user_data) > MAX_USER_DATA:
            raise invalid("user_data", user_data, f"is longer than {MAX_USER_DATA} or not a string")
        try:
            base64.b64decode(user_data, validate=True)
        except (binascii.Error, ValueError):
            raise invalid("user_data", user_data, f"'{user_data}' is not a 'base64'") from None


def _next(version: str) -> str:
    major, minor = version.split(".")
    return f"{major}.{int(minor) + 1}"


def _validate_networks(request: Request, spec: dict[str, Any]) -> None:
    networks = spec.get("networks")
    auto_allowed = at_least(request, COMPUTE, "2.37")
    if networks is None:
        if auto_allowed:
            raise invalid("server", spec, "'networks' is a required property")
        return
    if isinstance(networks, str):
        if not auto_allowed or networks not in ("auto", "none"):
            raise invalid("networks", networks, f"'{networks}' is not of type 'array'")
        return
    if not isinstance(networks, list):
        raise invalid("networks", networks, f"{networks!r} is not of type 'array'")
    for item in networks:
        if not isinstance(item, dict):
            raise invalid("networks", networks, f"{item!r} is not of type 'object'")
        if auto_allowed and "uuid" in item and not _UUID.match(str(item["uuid"])):
            raise invalid("uuid", item["uuid"], f"'{item['uuid']}' is not a 'uuid'")


@dataclass(frozen=True)
class BootDisk:
    """Where the root disk comes from: an image copied to the hypervisor, or a volume."""

    image_id: str | None  # the image a new volume (or the local disk) is made from
    volume_id: str | None = None  # an existing volume to boot from
    volume_size: int | None = None  # size of the new boot volume, if one is made
    delete_on_termination: bool = False

    @property
    def from_volume(self) -> bool:
        return self.volume_id is not None or self.volume_size is not None


def boot_disk(spec: dict[str, Any]) -> BootDisk:
    """The root disk a create request asks for (`block_device_mapping_v2` entry with boot_index 0)."""
    mappings = spec.get("block_device_mapping_v2") or []
    if not isinstance(mappings, list):
        raise invalid("block_device_mapping_v2", mappings, "is not of type 'array'")
    root = next((m for m in mappings if isinstance(m, dict) and str(m.get("boot_index")) == "0"), None)
    if root is None:
        image = spec.get("imageRef") or None
        return BootDisk(str(image).rstrip("/").rsplit("/", 1)[-1] if image else None)
    source, destination = root.get("source_type"), root.get("destination_type", "volume")
    delete = bool(root.get("delete_on_termination", False))
    if source == "image" and destination == "volume":
        size = root.get("volume_size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ApiError(400, "Images with destination_type 'volume' need to have a non-zero size specified")
        return BootDisk(str(root.get("uuid") or ""), volume_size=size, delete_on_termination=delete)
    if source == "volume":
        return BootDisk(None, volume_id=str(root.get("uuid") or ""), delete_on_termination=delete)
    if source == "image" and destination == "local":
        return BootDisk(str(root.get("uuid") or spec.get("imageRef") or ""))
    raise ApiError(400, f"Block Device Mapping is Invalid: source {source!r} to {destination!r} is not supported.")


def attach_boot_volume(cloud: Cloud, token: Token, disk: BootDisk, image: Record | None, server: Record) -> None:
    """Make (or take) the boot volume, attached to `server` as /dev/vda, and remember it on the server."""
    if disk.volume_id is not None:
        record = cloud.store.find("volume", id=disk.volume_id)
        if record is None or not (token.is_admin or record["os-vol-tenant-attr:tenant_id"] == token.project_id):
            raise ApiError(400, f"Block Device Mapping is Invalid: failed to get volume {disk.volume_id}.")
        volume.settle(cloud, record)
        if record["status"] != "available":
            raise ApiError(400, f"Invalid volume: volume '{disk.volume_id}' status must be 'available'.")
    else:
        assert image is not None and disk.volume_size is not None
        if image.get("min_disk", 0) > disk.volume_size:
            raise ApiError(
                400,
                "Volume is smaller than the minimum size specified in image metadata. Volume size is "
                f"{disk.volume_size * 1024**3} bytes, minimum size is {image['min_disk'] * 1024**3} bytes.",
            )
        spec = {"size": disk.volume_size, "name": "", "imageRef": image["id"]}
        record = cloud.store.add("volume", volume.new_volume(cloud, token, spec, volume.default_type(cloud)))
        record["volume_image_metadata"] = volume.image_metadata(image)
    record.update(
        {
            "status": "in-use",
            "attachments": [
                {
                    "id": record["id"],
                    "attachment_id": cloud.store.new_id(),
                    "volume_id": record["id"],
                    "server_id": server["id"],
                    "host_name": "simhost",
                    "device": "/dev/vda",
                    "attached_at": timestamp(),
                }
            ],
        }
    )
    record.pop("_ready_at", None)
    record.pop("_next_status", None)
    server["_volumes"].append({"id": record["id"], "delete_on_termination": disk.delete_on_termination})


def release_volumes(cloud: Cloud, server: Record) -> None:
    """On server delete: boot volumes go away or become available again, as requested at boot."""
    for attached in server["_volumes"]:
        record = cloud.store.find("volume", id=attached["id"])
        if record is None:
            continue
        if attached["delete_on_termination"]:
            cloud.store.delete("volume", record["id"])
        else:
            record.update({"status": "available", "attachments": [], "updated_at": timestamp()})
            cloud.store.touch()
