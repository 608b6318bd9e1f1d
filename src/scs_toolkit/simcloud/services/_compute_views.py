"""Nova's representations of flavors, servers and key pairs, per requested microversion.

What a field looks like depends on the version a client asked for (nova/api/openstack/compute/
views): flavors gain `description` at 2.55 and `extra_specs` at 2.61 and say `swap: ""` for no
swap below 2.75; servers gain `locked` at 2.9, `description` at 2.19, `tags` at 2.26, embed the
flavor instead of linking it from 2.47, and so on. A client that asks for 2.1 must not see 2.100.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from .._auth import Token
from .._cloud import Cloud, service_url
from .._microversions import COMPUTE, Microversion, at_least, requested
from .._store import Record
from . import network

_V2_55, _V2_61, _V2_75 = Microversion(2, 55), Microversion(2, 61), Microversion(2, 75)
#: statuses for which Nova shows `progress`
_PROGRESS_STATUSES = ("ACTIVE", "BUILD", "REBUILD", "RESIZE", "VERIFY_RESIZE", "MIGRATING")


def _links(request: Request, collection: str, record_id: str | int) -> list[dict[str, str]]:
    base = service_url(request, "compute")
    return [
        {"rel": "self", "href": f"{base}/v2.1/{collection}/{record_id}"},
        {"rel": "bookmark", "href": f"{base}/{collection}/{record_id}"},
    ]


def _bookmark(request: Request, collection: str, record_id: str) -> list[dict[str, str]]:
    return [{"rel": "bookmark", "href": f"{service_url(request, 'compute')}/{collection}/{record_id}"}]


# -- flavors -------------------------------------------------------------------------------------


def flavor(request: Request, record: Record, detail: bool = True) -> Record:
    version = requested(request, COMPUTE)
    view: Record = {"id": record["id"], "name": record["name"]}
    if detail:
        swap = record["swap"] or 0
        view.update(
            {
                "ram": record["ram"],
                "disk": record["disk"],
                "vcpus": record["vcpus"],
                "swap": swap if version >= _V2_75 else (swap or ""),
                "OS-FLV-EXT-DATA:ephemeral": record["OS-FLV-EXT-DATA:ephemeral"],
                "OS-FLV-DISABLED:disabled": record["OS-FLV-DISABLED:disabled"],
                "os-flavor-access:is_public": record["os-flavor-access:is_public"],
                "rxtx_factor": record["rxtx_factor"],
            }
        )
    if version >= _V2_55:
        view["description"] = record.get("description")
    if detail and version >= _V2_61:
        view["extra_specs"] = dict(record["extra_specs"])  # members may read them (os-flavor-extra-specs:index)
    view["links"] = _links(request, "flavors", record["id"])
    return view


def embedded_flavor(record: Record) -> Record:
    """The copy of a flavor a server keeps from its boot (servers outlive changes to flavors)."""
    return {
        "id": record["id"],
        "original_name": record["name"],
        "vcpus": record["vcpus"],
        "ram": record["ram"],
        "disk": record["disk"],
        "ephemeral": record["OS-FLV-EXT-DATA:ephemeral"],
        "swap": record["swap"] or 0,
        "extra_specs": dict(record["extra_specs"]),
    }


# -- key pairs -----------------------------------------------------------------------------------


def keypair_created(request: Request, record: Record, private_key: str | None) -> Record:
    view: Record = {"name": record["name"], "public_key": record["public_key"], "fingerprint": record["fingerprint"]}
    if at_least(request, COMPUTE, "2.2"):
        view["type"] = record["type"]
    if at_least(request, COMPUTE, "2.10"):
        view["user_id"] = record["user_id"]
    if private_key:
        view["private_key"] = private_key
    return view


def keypair_listed(request: Request, record: Record) -> Record:
    view: Record = {"name": record["name"], "public_key": record["public_key"], "fingerprint": record["fingerprint"]}
    if at_least(request, COMPUTE, "2.2"):
        view["type"] = record["type"]
    return {"keypair": view}


def keypair_shown(request: Request, record: Record) -> Record:
    view: Record = {
        "id": record["number"],  # Nova's database id: an integer
        "name": record["name"],
        "public_key": record["public_key"],
        "fingerprint": record["fingerprint"],
        "user_id": record["user_id"],
        "created_at": record["created_at"],
        "updated_at": None,
        "deleted_at": None,
        "deleted": False,
    }
    if at_least(request, COMPUTE, "2.2"):
        view["type"] = record["type"]
    return view


# -- servers -------------------------------------------------------------------------------------


def server_brief(request: Request, record: Record) -> Record:
    return {"id": record["id"], "name": record["name"], "links": _links(request, "servers", record["id"])}


def security_group_names(cloud: Cloud, server_id: str) -> list[str]:
    """The groups of the server's ports, as Nova learns them from Neutron (none without ports)."""
    names: list[str] = []
    for port in cloud.store.select("port", device_id=server_id):
        for group_id in port["security_groups"]:
            group = cloud.store.find("security_group", id=group_id)
            if group is not None and group["name"] not in names:
                names.append(group["name"])
    return names


def server(request: Request, cloud: Cloud, token: Token, record: Record, show: bool = True) -> Record:
    """`GET /servers/{id}` (show) or one entry of `GET /servers/detail` at the requested version."""
    view: Record = {
        "id": record["id"],
        "name": record["name"],
        "status": record["status"],
        "tenant_id": record["tenant_id"],
        "user_id": record["user_id"],
        "metadata": dict(record["metadata"]),
        "hostId": record["hostId"],
        "image": _image(request, cloud, record),
        "flavor": _flavor(request, record),
        "created": record["created"],
        "updated": record["updated"],
        "addresses": network.server_addresses(cloud, record["id"]),
        "accessIPv4": record["accessIPv4"],
        "accessIPv6": record["accessIPv6"],
        "links": _links(request, "servers", record["id"]),
        "OS-DCF:diskConfig": record["OS-DCF:diskConfig"],
        "key_name": record["key_name"],
        "config_drive": record["config_drive"],
        "OS-EXT-AZ:availability_zone": record["OS-EXT-AZ:availability_zone"],
        "OS-EXT-STS:task_state": record["OS-EXT-STS:task_state"],
        "OS-EXT-STS:vm_state": record["OS-EXT-STS:vm_state"],
        "OS-EXT-STS:power_state": record["OS-EXT-STS:power_state"],
        "OS-SRV-USG:launched_at": record["OS-SRV-USG:launched_at"],
        "OS-SRV-USG:terminated_at": record["OS-SRV-USG:terminated_at"],
        "os-extended-volumes:volumes_attached": _volumes(request, record),
    }
    if record["status"] in _PROGRESS_STATUSES:
        view["progress"] = record["progress"]
    groups = security_group_names(cloud, record["id"])
    if groups:
        view["security_groups"] = [{"name": name} for name in groups]
    if token.is_admin:
        view.update(_admin_attributes(request, record))
    elif at_least(request, COMPUTE, "2.90"):
        view["OS-EXT-SRV-ATTR:hostname"] = record["_hostname"]
    if at_least(request, COMPUTE, "2.9"):
        view["locked"] = record["locked"]
    if at_least(request, COMPUTE, "2.19"):
        view["description"] = record["description"]
    if at_least(request, COMPUTE, "2.26"):
        view["tags"] = list(record["tags"])
    if at_least(request, COMPUTE, "2.63"):
        view["trusted_image_certificates"] = None
    if show and at_least(request, COMPUTE, "2.71"):
        view["server_groups"] = []
    if at_least(request, COMPUTE, "2.73"):
        view["locked_reason"] = record.get("_locked_reason")
    if at_least(request, COMPUTE, "2.96"):
        view["pinned_availability_zone"] = record.get("_requested_zone")
    if at_least(request, COMPUTE, "2.100"):
        view["scheduler_hints"] = {}
    return view


def _image(request: Request, cloud: Cloud, record: Record) -> Any:
    image_id = record["_image_id"]
    if not image_id:
        return ""  # booted from a volume
    view: Record = {"id": image_id, "links": _bookmark(request, "images", image_id)}
    if at_least(request, COMPUTE, "2.98"):
        view["properties"] = dict(record.get("_image_properties") or {})
    return view


def _flavor(request: Request, record: Record) -> Record:
    embedded = record["_flavor"]
    if not at_least(request, COMPUTE, "2.47"):
        return {"id": embedded["id"], "links": _bookmark(request, "flavors", embedded["id"])}
    return {k: v for k, v in embedded.items() if k != "id"}


def _volumes(request: Request, record: Record) -> list[Record]:
    if at_least(request, COMPUTE, "2.3"):
        return [{"id": v["id"], "delete_on_termination": v["delete_on_termination"]} for v in record["_volumes"]]
    return [{"id": v["id"]} for v in record["_volumes"]]


def _admin_attributes(request: Request, record: Record) -> Record:
    attributes: Record = {
        "OS-EXT-SRV-ATTR:host": "simhost",
        "OS-EXT-SRV-ATTR:hypervisor_hostname": "simhost",
        "OS-EXT-SRV-ATTR:instance_name": record["_instance_name"],
    }
    if at_least(request, COMPUTE, "2.3"):
        attributes.update(
            {
                "OS-EXT-SRV-ATTR:reservation_id": record["_reservation_id"],
                "OS-EXT-SRV-ATTR:launch_index": 0,
                "OS-EXT-SRV-ATTR:hostname": record["_hostname"],
                "OS-EXT-SRV-ATTR:kernel_id": "",
                "OS-EXT-SRV-ATTR:ramdisk_id": "",
                "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda",
                "OS-EXT-SRV-ATTR:user_data": record["_user_data"],
            }
        )
    if at_least(request, COMPUTE, "2.16"):
        attributes["host_status"] = "UP"
    return attributes
