"""Nova servers: create (from an image or a volume), show and list per microversion, update, actions, delete.

Status transitions are lazy: a server's ACTIVE moment is fixed at create time and reads catch up.
Ports (and with them addresses and security groups) belong to Neutron, boot volumes to Cinder;
servers only remember which ones are theirs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .._auth import Token, require
from .._cloud import Cloud, cloud_of, service_url
from .._cloudinit import console_output
from .._errors import ApiError
from .._microversions import COMPUTE, at_least
from .._store import Record, now, timestamp
from . import _boot, network
from . import _compute_views as views
from ._common import json_body, no_content, paginate, query_filter, respond
from .compute import PREFIX, find_flavor
from .image import visible_image

router = APIRouter()

#: Nova's server actions; the simulated cloud implements some of them
_NOVA_ACTIONS = frozenset(
    {
        "addFixedIp", "addFloatingIp", "addSecurityGroup", "changePassword", "confirmResize", "createBackup",
        "createImage", "evacuate", "forceDelete", "injectNetworkInfo", "lock", "migrate", "os-getConsoleOutput",
        "os-getRDPConsole", "os-getSerialConsole", "os-getSPICEConsole", "os-getVNCConsole", "os-migrateLive",
        "os-resetState", "os-start", "os-stop", "pause", "reboot", "rebuild", "removeFixedIp", "removeFloatingIp",
        "removeSecurityGroup", "rescue", "resetNetwork", "resize", "restore", "resume", "revertResize", "shelve",
        "shelveOffload", "suspend", "trigger_crash_dump", "unlock", "unpause", "unrescue", "unshelve",
    }
)  # fmt: skip


def _settle(cloud: Cloud, server: Record) -> None:
    """Advance BUILD -> ACTIVE lazily: the moment is fixed at create time, reads just catch up."""
    if server["status"] == "BUILD" and now() >= dt.datetime.fromisoformat(server["_active_at"]):
        server.update(
            {
                "status": "ACTIVE",
                "OS-EXT-STS:vm_state": "active",
                "OS-EXT-STS:task_state": None,
                "OS-EXT-STS:power_state": 1,
                "progress": 100,
                "OS-SRV-USG:launched_at": now().strftime("%Y-%m-%dT%H:%M:%S.%f"),
                "updated": timestamp(),
            }
        )
        cloud.store.touch()
        if cloud.guests is not None:
            cloud.guests.server_active(server)


def _view(request: Request, cloud: Cloud, token: Token, server: Record, show: bool = True) -> Record:
    _settle(cloud, server)
    return views.server(request, cloud, token, server, show)


def _visible_servers(cloud: Cloud, token: Token, request: Request) -> list[Record]:
    """Own servers, or with `all_tenants` every project's: admins only, as Nova's get_all_tenants policy says."""
    all_projects = request.query_params.get("all_tenants", "0") not in ("0", "false", "False")
    if all_projects:
        detail = "detail" if request.url.path.endswith("/detail") else "index"
        require(
            token.is_admin, f"Policy doesn't allow os_compute_api:servers:{detail}:get_all_tenants to be performed."
        )
    servers = [s for s in cloud.store.all("server") if all_projects or s["tenant_id"] == token.project_id]
    return sorted(servers, key=lambda s: s["created"], reverse=True)


def _by_flavor_and_image(servers: list[Record], request: Request) -> list[Record]:
    """Nova's `flavor` and `image` filters: the id a server was booted with (what `openstack server list
    --flavor/--image` sends); an unknown id matches nothing."""
    flavor, image = request.query_params.get("flavor"), request.query_params.get("image")
    if flavor is not None:
        servers = [s for s in servers if s["_flavor"]["id"] == flavor]
    if image is not None:
        servers = [s for s in servers if s["_image_id"] == image]
    return servers


@router.get(PREFIX + "/servers")
@router.get(PREFIX + "/servers/detail")
async def list_servers(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    servers = _visible_servers(cloud, token, request)
    for server in servers:
        _settle(cloud, server)
    servers = _by_flavor_and_image(query_filter(servers, request, ("status",)), request)
    if "name" in request.query_params:
        try:
            pattern = re.compile(request.query_params["name"])
        except re.error:
            raise ApiError(400, f"Invalid filter name: {request.query_params['name']}") from None
        servers = [s for s in servers if pattern.search(s["name"])]
    page, next_url = paginate(servers, request, f"{service_url(request, 'compute')}/v2.1/servers")
    detail = request.url.path.endswith("/detail")
    views_ = [_view(request, cloud, token, s, show=False) if detail else views.server_brief(request, s) for s in page]
    body: dict[str, Any] = {"servers": views_}
    if next_url:
        body["servers_links"] = [{"rel": "next", "href": next_url}]
    return respond(body)


def find_server(cloud: Cloud, token: Token, server_id: str) -> Record:
    server = cloud.store.find("server", id=server_id)
    if server is None or not (token.is_admin or server["tenant_id"] == token.project_id):
        raise ApiError(404, f"Instance {server_id} could not be found.")
    return server


@router.get(PREFIX + "/servers/{server_id}")
async def get_server(request: Request, server_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    return respond({"server": _view(request, cloud, token, find_server(cloud, token, server_id))})


def _hostname(name: str) -> str:
    """Nova's sanitised host name for a display name."""
    cleaned = re.sub(r"[^\w.-]+", "-", name.lower().replace("_", "-")).strip(".-")
    return cleaned[:63] or "server"


@router.post(PREFIX + "/servers")
async def create_server(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.project_id is not None, "Servers need a project-scoped token.")
    spec = await json_body(request, "server")
    _boot.validate(request, spec)
    try:
        flavor = find_flavor(cloud, token, str(spec["flavorRef"]).rstrip("/").rsplit("/", 1)[-1])
    except ApiError:
        raise ApiError(400, "Invalid flavorRef provided.") from None
    disk = _boot.boot_disk(spec)
    image = None
    if disk.image_id:
        image = visible_image(cloud, token, disk.image_id)
        if image is None:
            raise ApiError(400, "Can not find requested image")
        if image["status"] != "active":
            raise ApiError(400, f"Image {image['id']} is not active.")
    elif not disk.from_volume:
        raise ApiError(400, "Missing imageRef attribute")
    if image is not None:
        if image.get("min_ram", 0) > flavor["ram"]:
            raise ApiError(400, "Flavor's memory is too small for requested image.")
        if not disk.from_volume and flavor["disk"] and image.get("min_disk", 0) > flavor["disk"]:
            raise ApiError(
                400,
                f"Flavor's disk is too small for requested image. Flavor disk is {flavor['disk'] * 1024**3} bytes, "
                f"image is {image['min_disk'] * 1024**3} bytes.",
            )
    if not flavor["disk"] and not disk.from_volume:
        raise ApiError(403, "Only volume-backed servers are allowed for flavors with zero disk.")
    key_name = spec.get("key_name")
    if key_name and cloud.store.find("keypair", user_id=token.user_id, name=key_name) is None:
        raise ApiError(400, "Invalid key_name provided.")
    quota = cloud.profile.get("quotas", {}).get("instances", 100)
    if sum(1 for s in cloud.store.all("server") if s["tenant_id"] == token.project_id) >= quota:
        raise ApiError(403, f"Quota exceeded for instances: Requested 1, but already used {quota} of {quota} instances")
    requested_groups = spec.get("security_groups") or [{"name": "default"}]
    created = now()
    delay = cloud.faults.for_service("compute").build_delay_s + float(cloud.profile.get("build_time_s", 0.5))
    server = cloud.store.add("server", _record(cloud, token, spec, flavor, image, disk, requested_groups, created))
    server["_active_at"] = (created + dt.timedelta(seconds=delay)).isoformat()
    try:
        network.attach_server(cloud, token, server, spec.get("networks"), auto=at_least(request, COMPUTE, "2.37"))
        if disk.from_volume:
            _boot.attach_boot_volume(cloud, token, disk, image, server)
    except ApiError:
        network.detach_server(cloud, server["id"])
        _boot.release_volumes(cloud, server)
        cloud.store.delete("server", server["id"])
        raise
    body = {
        "server": {
            "id": server["id"],
            "links": views.server_brief(request, server)["links"],
            "OS-DCF:diskConfig": server["OS-DCF:diskConfig"],
            "security_groups": [{"name": g.get("name", "default")} for g in requested_groups],
            "adminPass": "simulated-" + server["id"][:8],
        }
    }
    return respond(body, status=202)


def _record(
    cloud: Cloud,
    token: Token,
    spec: dict[str, Any],
    flavor: Record,
    image: Record | None,
    disk: _boot.BootDisk,
    groups: list[dict[str, Any]],
    created: dt.datetime,
) -> Record:
    number = 1 + max((s.get("_number", 0) for s in cloud.store.all("server")), default=0)
    properties = {k: v for k, v in (image or {}).items() if k not in _IMAGE_CORE and not k.startswith("_")}
    return {
        "name": spec["name"],
        "status": "BUILD",
        "tenant_id": token.project_id,
        "user_id": token.user_id,
        "metadata": {str(k): str(v) for k, v in (spec.get("metadata") or {}).items()},
        "hostId": hashlib.sha224(f"{token.project_id}simhost".encode()).hexdigest(),
        "created": timestamp(created),
        "updated": timestamp(created),
        "accessIPv4": spec.get("accessIPv4", ""),
        "accessIPv6": spec.get("accessIPv6", ""),
        "key_name": spec.get("key_name"),
        "config_drive": "True" if spec.get("config_drive") else "",
        "progress": 0,
        "OS-DCF:diskConfig": spec.get("OS-DCF:diskConfig", "MANUAL"),
        "OS-EXT-AZ:availability_zone": spec.get("availability_zone") or "nova",
        "OS-EXT-STS:power_state": 0,
        "OS-EXT-STS:task_state": "spawning",
        "OS-EXT-STS:vm_state": "building",
        "OS-SRV-USG:launched_at": None,
        "OS-SRV-USG:terminated_at": None,
        "locked": False,
        "tags": list(spec.get("tags") or []),
        "description": spec.get("description"),
        "_number": number,
        "_instance_name": f"instance-{number:08x}",
        "_reservation_id": f"r-{cloud.store.new_id()[:8]}",
        "_hostname": spec.get("hostname") or _hostname(spec["name"]),
        "_requested_zone": spec.get("availability_zone"),
        "_flavor": views.embedded_flavor(flavor),
        "_image_id": "" if disk.from_volume or image is None else image["id"],
        "_image_properties": {str(k): str(v) for k, v in properties.items()},
        "_volumes": [],
        "_security_groups": [g.get("name", "default") for g in groups],
        "_user_data": spec.get("user_data"),
    }


#: image fields that are not properties a server shows (2.98) or a guest inherits
_IMAGE_CORE = frozenset(
    {
        "id", "name", "status", "visibility", "protected", "os_hidden", "owner", "disk_format", "container_format",
        "size", "virtual_size", "checksum", "os_hash_algo", "os_hash_value", "created_at", "updated_at", "tags",
        "locations", "min_disk", "min_ram",
    }
)  # fmt: skip


@router.delete(PREFIX + "/servers/{server_id}")
async def delete_server(request: Request, server_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    server = find_server(cloud, token, server_id)
    if server.get("locked") and not token.is_admin:
        raise ApiError(409, f"Instance {server_id} is locked")
    network.detach_server(cloud, server_id)
    _boot.release_volumes(cloud, server)
    cloud.store.delete("server", server_id)
    if cloud.guests is not None:
        cloud.guests.server_deleted(server)
    return no_content()


@router.put(PREFIX + "/servers/{server_id}")
async def update_server(request: Request, server_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    server = find_server(cloud, token, server_id)
    spec = await json_body(request, "server")
    allowed = {"name", "accessIPv4", "accessIPv6", "OS-DCF:diskConfig"}
    if at_least(request, COMPUTE, "2.19"):
        allowed.add("description")
    if at_least(request, COMPUTE, "2.90"):
        allowed.add("hostname")
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise _boot.invalid("server", spec, f"Additional properties are not allowed ('{unknown[0]}' was unexpected)")
    if "hostname" in spec:
        server["_hostname"] = spec.pop("hostname")
    server.update(spec)
    server["updated"] = timestamp()
    cloud.store.touch()
    return respond({"server": _view(request, cloud, token, server)})


@router.get(PREFIX + "/servers/{server_id}/metadata")
async def get_metadata(request: Request, server_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    return respond({"metadata": find_server(cloud, token, server_id)["metadata"]})


@router.post(PREFIX + "/servers/{server_id}/metadata")
@router.put(PREFIX + "/servers/{server_id}/metadata")
async def set_metadata(request: Request, server_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    server = find_server(cloud, token, server_id)
    metadata = await json_body(request, "metadata")
    if request.method == "PUT":
        server["metadata"] = {k: v for k, v in server["metadata"].items() if k.startswith("sim:")}
    server["metadata"].update({str(k): str(v) for k, v in metadata.items()})
    cloud.store.touch()
    return respond({"metadata": server["metadata"]})


@router.delete(PREFIX + "/servers/{server_id}/metadata/{key}")
async def delete_metadata(request: Request, server_id: str, key: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    server = find_server(cloud, token, server_id)
    if server["metadata"].pop(key, None) is None:
        raise ApiError(404, f"Metadata item was not found: {key}")
    cloud.store.touch()
    return no_content()


def _conflict(action: str, server: Record) -> ApiError:
    return ApiError(
        409,
        f"Cannot '{action}' instance {server['id']} while it is in vm_state {server['OS-EXT-STS:vm_state']}",
    )


@router.post(PREFIX + "/servers/{server_id}/action")
async def server_action(request: Request, server_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    server = find_server(cloud, token, server_id)
    _settle(cloud, server)
    action = await json_body(request)
    if len(action) != 1:
        raise ApiError(400, "Malformed request body: one action per request")
    name, argument = next(iter(action.items()))
    if name not in _NOVA_ACTIONS:
        raise ApiError(404, f"There is no such action: {name}")
    if name == "os-getConsoleOutput":
        if server["OS-EXT-STS:vm_state"] == "building":
            raise _conflict("get_console_output", server)
        if not (cloud.profile.get("guest") or {}).get("console_log", True):  # a hypervisor that keeps no log
            raise ApiError(404, "Guest does not have a console available.")
        lines = console_output(cloud, server).splitlines(keepends=True)
        length = (argument or {}).get("length") if isinstance(argument, dict) else None
        if length is not None:
            try:
                count = int(length)
            except (TypeError, ValueError):
                raise _boot.invalid("length", length, "is not an integer") from None
            lines = lines[-count:] if count > 0 else []
        return respond({"output": "".join(lines)})
    if name in ("os-stop", "os-start", "reboot"):
        _power(server, name)
    elif name in ("addSecurityGroup", "removeSecurityGroup"):
        group = str((argument or {}).get("name", ""))
        network.change_server_group(cloud, token, server, group, add=name == "addSecurityGroup")
    elif name in ("lock", "unlock"):
        server["locked"] = name == "lock"
        reason = (argument or {}).get("locked_reason") if isinstance(argument, dict) else None
        server["_locked_reason"] = reason if name == "lock" and at_least(request, COMPUTE, "2.73") else None
    else:
        raise ApiError(400, f"The simulated cloud does not simulate the action {name}.")
    server["updated"] = timestamp()
    cloud.store.touch()
    return Response(status_code=202)


def _power(server: Record, action: str) -> None:
    state = server["OS-EXT-STS:vm_state"]
    if action == "os-stop":
        if state != "active":
            raise _conflict("stop", server)
        server.update({"status": "SHUTOFF", "OS-EXT-STS:vm_state": "stopped", "OS-EXT-STS:power_state": 4})
    elif action == "os-start":
        if state != "stopped":
            raise _conflict("start", server)
        server.update({"status": "ACTIVE", "OS-EXT-STS:vm_state": "active", "OS-EXT-STS:power_state": 1})
    elif state not in ("active", "stopped"):
        raise _conflict("reboot", server)
    else:
        server.update({"status": "ACTIVE", "OS-EXT-STS:vm_state": "active", "OS-EXT-STS:power_state": 1})


@router.get(PREFIX + "/servers/{server_id}/os-security-groups")
async def server_security_groups(request: Request, server_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    server = find_server(cloud, token, server_id)
    names = views.security_group_names(cloud, server["id"])
    groups = [
        g for g in cloud.store.all("security_group") if g["name"] in names and g["project_id"] == server["tenant_id"]
    ]
    body = [
        {"id": g["id"], "name": g["name"], "description": g["description"], "tenant_id": g["project_id"], "rules": []}
        for g in groups
    ]
    return respond({"security_groups": body})
