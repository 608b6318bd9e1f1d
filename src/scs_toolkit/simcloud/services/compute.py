"""Nova v2.1: flavors (extra_specs, access), servers, keypairs, availability zones, limits, quotas."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .._auth import Token, require
from .._cloud import Cloud, cloud_of, service_url
from .._errors import ApiError
from .._guests import console_output
from .._store import NotFound, Record, now, timestamp
from . import network
from ._common import json_body, no_content, paginate, project_view, query_filter, respond

router = APIRouter()

MAX_MICROVERSION = "2.96"
_VERSION = {
    "id": "v2.1",
    "status": "CURRENT",
    "version": MAX_MICROVERSION,
    "min_version": "2.1",
    "updated": "2013-07-23T11:33:21Z",
}
PREFIX = "/compute/v2.1"


def _microversion_headers(request: Request) -> dict[str, str]:
    wanted = request.headers.get("openstack-api-version", "").replace("compute", "").strip()
    wanted = wanted or request.headers.get("x-openstack-nova-api-version", "2.1")
    version = MAX_MICROVERSION if wanted == "latest" else wanted
    return {
        "OpenStack-API-Version": f"compute {version}",
        "X-OpenStack-Nova-API-Version": version,
        "Vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
    }


def _respond(request: Request, body: Any, status: int = 200) -> Response:
    return respond(body, status=status, headers=_microversion_headers(request))


@router.get("/compute")
@router.get("/compute/")
async def versions(request: Request) -> Response:
    links = [{"rel": "self", "href": f"{service_url(request, 'compute')}/v2.1/"}]
    return respond({"versions": [{**_VERSION, "links": links}]})


@router.get(PREFIX)
@router.get(PREFIX + "/")
async def version(request: Request) -> Response:
    links = [{"rel": "self", "href": f"{service_url(request, 'compute')}/v2.1/"}]
    return respond({"version": {**_VERSION, "links": links}})


# -- flavors ----------------------------------------------------------------------------------


def _visible_flavors(cloud: Cloud, token: Token) -> list[Record]:
    flavors = []
    for flavor in cloud.store.all("flavor"):
        if flavor["os-flavor-access:is_public"] or token.is_admin or token.project_id in flavor["_projects"]:
            flavors.append(flavor)
    return sorted(flavors, key=lambda f: (f["ram"], f["vcpus"], f["name"]))


def _flavor_view(request: Request, flavor: Record, detail: bool = True) -> Record:
    links = [{"rel": "self", "href": f"{service_url(request, 'compute')}/v2.1/flavors/{flavor['id']}"}]
    if not detail:
        return {"id": flavor["id"], "name": flavor["name"], "description": flavor.get("description"), "links": links}
    view = project_view(flavor)
    view["links"] = links
    return view


@router.get(PREFIX + "/flavors")
@router.get(PREFIX + "/flavors/detail")
async def list_flavors(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    flavors = _visible_flavors(cloud, token)
    if "is_public" in request.query_params and request.query_params["is_public"].lower() != "none":
        wanted = request.query_params["is_public"].lower() in ("true", "1", "yes")
        flavors = [f for f in flavors if f["os-flavor-access:is_public"] == wanted]
    for param, key in (("minRam", "ram"), ("minDisk", "disk")):
        if param in request.query_params:
            flavors = [f for f in flavors if f[key] >= int(request.query_params[param])]
    page, next_url = paginate(flavors, request, f"{service_url(request, 'compute')}/v2.1/flavors")
    detail = request.url.path.endswith("/detail")
    body: dict[str, Any] = {"flavors": [_flavor_view(request, f, detail) for f in page]}
    if next_url:
        body["flavors_links"] = [{"rel": "next", "href": next_url}]
    return _respond(request, body)


def _flavor(cloud: Cloud, token: Token, flavor_id: str) -> Record:
    flavor = cloud.store.find("flavor", id=flavor_id)
    if flavor is None or not (
        flavor["os-flavor-access:is_public"] or token.is_admin or token.project_id in flavor["_projects"]
    ):
        raise ApiError(404, f"Flavor {flavor_id} could not be found.")
    return flavor


@router.get(PREFIX + "/flavors/{flavor_id}")
async def get_flavor(request: Request, flavor_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    return _respond(request, {"flavor": _flavor_view(request, _flavor(cloud, token, flavor_id))})


@router.get(PREFIX + "/flavors/{flavor_id}/os-extra_specs")
async def get_extra_specs(request: Request, flavor_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    return _respond(request, {"extra_specs": dict(_flavor(cloud, token, flavor_id)["extra_specs"])})


@router.get(PREFIX + "/flavors/{flavor_id}/os-extra_specs/{key}")
async def get_extra_spec(request: Request, flavor_id: str, key: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    specs = _flavor(cloud, token, flavor_id)["extra_specs"]
    if key not in specs:
        raise ApiError(404, f"Flavor {flavor_id} has no extra specs with key {key}.")
    return _respond(request, {key: specs[key]})


@router.post(PREFIX + "/flavors")
async def create_flavor(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.is_admin, "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed.")
    spec = await json_body(request, "flavor")
    for key in ("name", "ram", "vcpus", "disk"):
        if key not in spec:
            raise ApiError(400, f"Invalid input for field/attribute flavor. Value: {key} is a required property")
    if cloud.store.find("flavor", name=spec["name"]):
        raise ApiError(409, f"Flavor with name {spec['name']} already exists.")
    flavor = cloud.store.add("flavor", new_flavor(spec))
    return _respond(request, {"flavor": _flavor_view(request, flavor)})


def new_flavor(spec: dict[str, Any]) -> Record:
    """A flavor record from a create request or a profile entry."""
    record: Record = {
        "name": spec["name"],
        "ram": int(spec["ram"]),
        "vcpus": int(spec["vcpus"]),
        "disk": int(spec.get("disk") or 0),
        "OS-FLV-EXT-DATA:ephemeral": int(spec.get("OS-FLV-EXT-DATA:ephemeral", 0)),
        "swap": spec.get("swap") or 0,
        "rxtx_factor": 1.0,
        "os-flavor-access:is_public": bool(spec.get("os-flavor-access:is_public", True)),
        "OS-FLV-DISABLED:disabled": bool(spec.get("disabled", False)),
        "description": spec.get("description"),
        "extra_specs": dict(spec.get("extra_specs") or {}),
        "_projects": list(spec.get("projects") or []),
    }
    if spec.get("id"):
        record["id"] = str(spec["id"])
    return record


@router.delete(PREFIX + "/flavors/{flavor_id}")
async def delete_flavor(request: Request, flavor_id: str) -> Response:
    cloud = cloud_of(request)
    require(cloud.token_for(request).is_admin)
    try:
        cloud.store.delete("flavor", flavor_id)
    except NotFound:
        raise ApiError(404, f"Flavor {flavor_id} could not be found.") from None
    return Response(status_code=202)


@router.post(PREFIX + "/flavors/{flavor_id}/os-extra_specs")
async def set_extra_specs(request: Request, flavor_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.is_admin)
    flavor = _flavor(cloud, token, flavor_id)
    specs = await json_body(request, "extra_specs")
    flavor["extra_specs"].update({str(k): str(v) for k, v in specs.items()})
    cloud.store.touch()
    return _respond(request, {"extra_specs": dict(flavor["extra_specs"])})


@router.get(PREFIX + "/flavors/{flavor_id}/os-flavor-access")
async def flavor_access(request: Request, flavor_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.is_admin)
    flavor = _flavor(cloud, token, flavor_id)
    if flavor["os-flavor-access:is_public"]:
        raise ApiError(404, "Access list not available for public flavors.")
    access = [{"flavor_id": flavor_id, "tenant_id": p} for p in flavor["_projects"]]
    return _respond(request, {"flavor_access": access})


# -- keypairs ---------------------------------------------------------------------------------


def _keypair_view(keypair: Record, with_private: bool = False) -> Record:
    view = project_view(keypair, hidden=("private_key",) if not with_private else ())
    return view


@router.get(PREFIX + "/os-keypairs")
async def list_keypairs(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    keypairs = list(cloud.store.select("keypair", user_id=token.user_id))
    return _respond(request, {"keypairs": [{"keypair": _keypair_view(k)} for k in keypairs]})


@router.get(PREFIX + "/os-keypairs/{name}")
async def get_keypair(request: Request, name: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    keypair = cloud.store.find("keypair", user_id=token.user_id, name=name)
    if keypair is None:
        raise ApiError(404, f"Keypair {name} not found for user {token.user_id}")
    return _respond(request, {"keypair": _keypair_view(keypair)})


@router.post(PREFIX + "/os-keypairs")
async def create_keypair(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    spec = await json_body(request, "keypair")
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise ApiError(400, "Invalid input for field/attribute name.")
    if cloud.store.find("keypair", user_id=token.user_id, name=name):
        raise ApiError(409, f"Key pair '{name}' already exists.")
    private_key = None
    public_key = spec.get("public_key")
    if not public_key:
        key = ed25519.Ed25519PrivateKey.generate()
        private_key = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
        ).decode()
        public_key = (
            key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
        )
    public_key = str(public_key).strip()
    try:
        loaded = serialization.load_ssh_public_key(public_key.encode())
    except (ValueError, TypeError):
        raise ApiError(400, "Keypair data is invalid: failed to generate fingerprint") from None
    raw = loaded.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).split()[1]
    digest = hashlib.md5(base64.b64decode(raw), usedforsecurity=False).hexdigest()
    fingerprint = ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))
    keypair = cloud.store.add(
        "keypair",
        {
            "id": f"{token.user_id}/{name}",  # keypairs are per user; the store key must be unique
            "name": name,
            "user_id": token.user_id,
            "public_key": public_key,
            "fingerprint": fingerprint,
            "type": spec.get("type", "ssh"),
            "created_at": timestamp(),
            "deleted": False,
        },
    )
    view = _keypair_view(keypair)
    view["id"] = name
    if private_key:
        view["private_key"] = private_key
    return _respond(request, {"keypair": view}, status=200)


@router.delete(PREFIX + "/os-keypairs/{name}")
async def delete_keypair(request: Request, name: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    keypair = cloud.store.find("keypair", user_id=token.user_id, name=name)
    if keypair is None:
        raise ApiError(404, f"Keypair {name} not found for user {token.user_id}")
    cloud.store.delete("keypair", keypair["id"])
    return Response(status_code=202)


# -- servers ----------------------------------------------------------------------------------


def _server_status(cloud: Cloud, server: Record) -> None:
    """Advance BUILD -> ACTIVE lazily: the moment is fixed at create time, reads just catch up."""
    if server["status"] == "BUILD" and now() >= dt.datetime.fromisoformat(server["_active_at"]):
        server.update(
            {
                "status": "ACTIVE",
                "OS-EXT-STS:vm_state": "active",
                "OS-EXT-STS:task_state": None,
                "OS-EXT-STS:power_state": 1,
                "progress": 100,
                "OS-SRV-USG:launched_at": timestamp(),
                "updated": timestamp(),
            }
        )
        cloud.store.touch()
        if cloud.guests is not None:
            cloud.guests.server_active(server)


def _server_view(request: Request, cloud: Cloud, server: Record) -> Record:
    _server_status(cloud, server)
    view = project_view(server)
    view["addresses"] = network.server_addresses(cloud, server["id"])
    view["security_groups"] = [{"name": name} for name in server["_security_groups"]]
    flavor = cloud.store.find("flavor", id=server["_flavor_id"])
    if flavor is not None:
        view["flavor"] = {
            "id": flavor["id"],
            "original_name": flavor["name"],
            "vcpus": flavor["vcpus"],
            "ram": flavor["ram"],
            "disk": flavor["disk"],
            "ephemeral": flavor["OS-FLV-EXT-DATA:ephemeral"],
            "swap": flavor["swap"] or 0,
            "extra_specs": dict(flavor["extra_specs"]),
            "links": [{"rel": "bookmark", "href": f"{service_url(request, 'compute')}/flavors/{flavor['id']}"}],
        }
    view["links"] = [{"rel": "self", "href": f"{service_url(request, 'compute')}/v2.1/servers/{server['id']}"}]
    return view


def _visible_servers(cloud: Cloud, token: Token, request: Request) -> list[Record]:
    all_projects = token.is_admin and request.query_params.get("all_tenants", "0") not in ("0", "false", "False")
    servers = [s for s in cloud.store.all("server") if all_projects or s["tenant_id"] == token.project_id]
    return sorted(servers, key=lambda s: s["created"], reverse=True)


@router.get(PREFIX + "/servers")
@router.get(PREFIX + "/servers/detail")
async def list_servers(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    servers = _visible_servers(cloud, token, request)
    servers = query_filter(servers, request, ("status",))
    if "name" in request.query_params:
        pattern = re.compile(request.query_params["name"])
        servers = [s for s in servers if pattern.search(s["name"])]
    page, next_url = paginate(servers, request, f"{service_url(request, 'compute')}/v2.1/servers")
    detail = request.url.path.endswith("/detail")
    views = [
        _server_view(request, cloud, s) if detail else {"id": s["id"], "name": s["name"], "links": []} for s in page
    ]
    body: dict[str, Any] = {"servers": views}
    if next_url:
        body["servers_links"] = [{"rel": "next", "href": next_url}]
    return _respond(request, body)


def _server(cloud: Cloud, token: Token, server_id: str) -> Record:
    server = cloud.store.find("server", id=server_id)
    if server is None or not (token.is_admin or server["tenant_id"] == token.project_id):
        raise ApiError(404, f"Instance {server_id} could not be found.")
    return server


@router.get(PREFIX + "/servers/{server_id}")
async def get_server(request: Request, server_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    return _respond(request, {"server": _server_view(request, cloud, _server(cloud, token, server_id))})


@router.post(PREFIX + "/servers")
async def create_server(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.project_id is not None, "Servers need a project-scoped token.")
    spec = await json_body(request, "server")
    name = spec.get("name")
    if not isinstance(name, str) or not name:
        raise ApiError(400, "Invalid input for field/attribute name. Value: None. None is not of type 'string'")
    flavor = _flavor(cloud, token, str(_ref(spec.get("flavorRef"), "flavorRef")))
    image_id = spec.get("imageRef") or ""
    volume_boot = any(b.get("boot_index") in (0, "0") for b in spec.get("block_device_mapping_v2") or [])
    if image_id:
        from .image import visible_image

        image = visible_image(cloud, token, str(image_id))
        if image is None:
            raise ApiError(400, f"Image {image_id} could not be found.")
        if flavor["disk"] and image.get("min_disk", 0) > flavor["disk"]:
            raise ApiError(400, "Flavor's disk is too small for requested image.")
        if image.get("min_ram", 0) > flavor["ram"]:
            raise ApiError(400, "Flavor's memory is too small for requested image.")
    elif not volume_boot:
        raise ApiError(400, "Missing imageRef attribute")
    if not flavor["disk"] and not volume_boot:
        raise ApiError(403, "Only volume-backed servers are allowed for flavors with zero disk.")
    key_name = spec.get("key_name")
    if key_name and cloud.store.find("keypair", user_id=token.user_id, name=key_name) is None:
        raise ApiError(400, f"Invalid key_name provided: {key_name}")
    quota = cloud.profile.get("quotas", {}).get("instances", 100)
    if sum(1 for s in cloud.store.all("server") if s["tenant_id"] == token.project_id) >= quota:
        raise ApiError(403, f"Quota exceeded for instances: Requested 1, but already used {quota} of {quota} instances")
    security_groups = [g.get("name", "default") for g in spec.get("security_groups") or [{"name": "default"}]]
    created = now()
    delay = cloud.faults.for_service("compute").build_delay_s + float(cloud.profile.get("build_time_s", 0.5))
    server = cloud.store.add(
        "server",
        {
            "name": name,
            "status": "BUILD",
            "tenant_id": token.project_id,
            "user_id": token.user_id,
            "metadata": dict(spec.get("metadata") or {}),
            "hostId": "simhost",
            "image": {"id": image_id} if image_id else "",
            "created": timestamp(created),
            "updated": timestamp(created),
            "accessIPv4": "",
            "accessIPv6": "",
            "key_name": key_name,
            "config_drive": "",
            "progress": 0,
            "OS-DCF:diskConfig": "MANUAL",
            "OS-EXT-AZ:availability_zone": spec.get("availability_zone") or "nova",
            "OS-EXT-STS:power_state": 0,
            "OS-EXT-STS:task_state": "spawning",
            "OS-EXT-STS:vm_state": "building",
            "OS-SRV-USG:launched_at": None,
            "OS-SRV-USG:terminated_at": None,
            "os-extended-volumes:volumes_attached": [],
            "locked": False,
            "tags": list(spec.get("tags") or []),
            "description": spec.get("description"),
            "_flavor_id": flavor["id"],
            "_security_groups": security_groups,
            "_user_data": spec.get("user_data"),
            "_active_at": (created + dt.timedelta(seconds=delay)).isoformat(),
        },
    )
    network.attach_server(cloud, token, server, spec.get("networks"))
    admin_pass = "simulated-" + server["id"][:8]
    body = {
        "server": {
            "id": server["id"],
            "links": [{"rel": "self", "href": f"{service_url(request, 'compute')}/v2.1/servers/{server['id']}"}],
            "OS-DCF:diskConfig": "MANUAL",
            "security_groups": [{"name": n} for n in security_groups],
            "adminPass": admin_pass,
        }
    }
    return _respond(request, body, status=202)


def _ref(value: Any, field: str) -> str:
    if not value:
        raise ApiError(400, f"Missing {field} attribute")
    return str(value).rstrip("/").rsplit("/", 1)[-1]


@router.delete(PREFIX + "/servers/{server_id}")
async def delete_server(request: Request, server_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    server = _server(cloud, token, server_id)
    if server.get("locked"):
        raise ApiError(409, f"Instance {server_id} is locked")
    network.detach_server(cloud, server_id)
    cloud.store.delete("server", server_id)
    if cloud.guests is not None:
        cloud.guests.server_deleted(server)
    return no_content()


@router.put(PREFIX + "/servers/{server_id}")
async def update_server(request: Request, server_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    server = _server(cloud, token, server_id)
    spec = await json_body(request, "server")
    server.update({k: v for k, v in spec.items() if k in ("name", "description", "accessIPv4", "accessIPv6")})
    server["updated"] = timestamp()
    cloud.store.touch()
    return _respond(request, {"server": _server_view(request, cloud, server)})


@router.get(PREFIX + "/servers/{server_id}/metadata")
async def get_metadata(request: Request, server_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    return _respond(request, {"metadata": _server(cloud, token, server_id)["metadata"]})


@router.post(PREFIX + "/servers/{server_id}/metadata")
@router.put(PREFIX + "/servers/{server_id}/metadata")
async def set_metadata(request: Request, server_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    server = _server(cloud, token, server_id)
    metadata = await json_body(request, "metadata")
    if request.method == "PUT":
        server["metadata"] = {}
    server["metadata"].update({str(k): str(v) for k, v in metadata.items()})
    cloud.store.touch()
    return _respond(request, {"metadata": server["metadata"]})


@router.delete(PREFIX + "/servers/{server_id}/metadata/{key}")
async def delete_metadata(request: Request, server_id: str, key: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    server = _server(cloud, token, server_id)
    if server["metadata"].pop(key, None) is None:
        raise ApiError(404, f"Metadata item was not found: {key}")
    cloud.store.touch()
    return no_content()


@router.post(PREFIX + "/servers/{server_id}/action")
async def server_action(request: Request, server_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    server = _server(cloud, token, server_id)
    action = await json_body(request)
    if not action:
        raise ApiError(400, "Malformed request body: no action")
    name = next(iter(action))
    if name in ("os-stop", "os-start", "reboot"):
        server["status"] = "SHUTOFF" if name == "os-stop" else "ACTIVE"
        server["OS-EXT-STS:vm_state"] = "stopped" if name == "os-stop" else "active"
    elif name == "addSecurityGroup":
        server["_security_groups"].append(action[name]["name"])
    elif name == "removeSecurityGroup":
        groups = server["_security_groups"]
        if action[name]["name"] in groups:
            groups.remove(action[name]["name"])
    elif name in ("lock", "unlock"):
        server["locked"] = name == "lock"
    elif name == "os-getConsoleOutput":
        _server_status(cloud, server)
        return _respond(request, {"output": console_output(cloud, server)})
    else:
        raise ApiError(400, f"Action {name} is not supported by the simulated cloud.")
    cloud.store.touch()
    return Response(status_code=202)


@router.get(PREFIX + "/servers/{server_id}/os-security-groups")
async def server_security_groups(request: Request, server_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    server = _server(cloud, token, server_id)
    groups = [
        g
        for g in cloud.store.all("security_group")
        if g["name"] in server["_security_groups"] and g["project_id"] == server["tenant_id"]
    ]
    return _respond(
        request,
        {"security_groups": [{"id": g["id"], "name": g["name"], "description": g["description"]} for g in groups]},
    )


# -- availability zones, limits, quotas -----------------------------------------------------------


@router.get(PREFIX + "/os-availability-zone")
@router.get(PREFIX + "/os-availability-zone/detail")
async def availability_zones(request: Request) -> Response:
    cloud = cloud_of(request)
    cloud.token_for(request)
    zones = cloud.profile.get("availability_zones", {}).get("compute", ["nova"])
    body = {"availabilityZoneInfo": [{"zoneName": z, "zoneState": {"available": True}, "hosts": None} for z in zones]}
    return _respond(request, body)


@router.get(PREFIX + "/limits")
async def limits(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    quotas = cloud.profile.get("quotas", {})
    used = [s for s in cloud.store.all("server") if s["tenant_id"] == token.project_id]
    absolute = {
        "maxTotalInstances": quotas.get("instances", 100),
        "maxTotalCores": quotas.get("cores", 400),
        "maxTotalRAMSize": quotas.get("ram", 1024 * 1024),
        "maxTotalKeypairs": 100,
        "maxServerMeta": 128,
        "maxImageMeta": 128,
        "maxPersonality": 5,
        "maxPersonalitySize": 10240,
        "maxServerGroups": 10,
        "maxServerGroupMembers": 10,
        "totalInstancesUsed": len(used),
        "totalCoresUsed": 0,
        "totalRAMUsed": 0,
        "totalServerGroupsUsed": 0,
    }
    return _respond(request, {"limits": {"absolute": absolute, "rate": []}})


@router.get(PREFIX + "/os-quota-sets/{project_id}")
@router.get(PREFIX + "/os-quota-sets/{project_id}/detail")
async def quota_set(request: Request, project_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.is_admin or token.project_id == project_id)
    quotas = cloud.profile.get("quotas", {})
    body = {
        "id": project_id,
        "instances": quotas.get("instances", 100),
        "cores": quotas.get("cores", 400),
        "ram": quotas.get("ram", 1024 * 1024),
        "key_pairs": 100,
        "metadata_items": 128,
        "server_groups": 10,
        "server_group_members": 10,
        "injected_files": 5,
        "injected_file_content_bytes": 10240,
        "injected_file_path_bytes": 255,
    }
    return _respond(request, {"quota_set": body})
