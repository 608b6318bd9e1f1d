"""Nova v2.1: version documents, flavors (extra_specs, access), key pairs, availability zones, limits, quotas.

Servers and their actions live in `servers` (its own router, under the same prefix). Microversions are negotiated
by `_microversions.MicroversionMiddleware`, which also stamps every answer with the version it was
served at; the representations per version are in `_compute_views`.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .._auth import Token, require
from .._cloud import Cloud, cloud_of, service_url
from .._errors import ApiError
from .._microversions import COMPUTE, at_least
from .._store import NotFound, Record, timestamp
from . import _compute_views as views
from ._common import json_body, paginate, respond

router = APIRouter()
PREFIX = "/compute/v2.1"


def _version_document(request: Request) -> dict[str, Any]:
    return {
        "id": "v2.1",
        "status": "CURRENT",
        "version": str(COMPUTE.maximum),
        "min_version": str(COMPUTE.minimum),
        "updated": "2013-07-23T11:33:21Z",
        "links": [{"rel": "self", "href": f"{service_url(request, 'compute')}/v2.1/"}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}],
    }


@router.get("/compute")
@router.get("/compute/")
async def versions(request: Request) -> Response:
    """The root document lists the legacy v2.0 and the current v2.1, without media types."""
    legacy = {
        "id": "v2.0",
        "status": "SUPPORTED",
        "version": "",
        "min_version": "",
        "updated": "2011-01-21T11:33:21Z",
        "links": [{"rel": "self", "href": f"{service_url(request, 'compute')}/v2/"}],
    }
    current = {k: v for k, v in _version_document(request).items() if k != "media-types"}
    return respond({"versions": [legacy, current]})


@router.get(PREFIX)
@router.get(PREFIX + "/")
async def version(request: Request) -> Response:
    return respond({"version": _version_document(request)})


# -- flavors ----------------------------------------------------------------------------------


def _visible_flavors(cloud: Cloud, token: Token) -> list[Record]:
    flavors = []
    for flavor in cloud.store.all("flavor"):
        if flavor["os-flavor-access:is_public"] or token.is_admin or token.project_id in flavor["_projects"]:
            flavors.append(flavor)
    return sorted(flavors, key=lambda f: (f["ram"], f["vcpus"], f["name"]))


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
            try:
                minimum = int(request.query_params[param])
            except ValueError:
                raise ApiError(400, f"Invalid {param} filter [{request.query_params[param]}]") from None
            flavors = [f for f in flavors if f[key] >= minimum]
    page, next_url = paginate(flavors, request, f"{service_url(request, 'compute')}/v2.1/flavors")
    detail = request.url.path.endswith("/detail")
    body: dict[str, Any] = {"flavors": [views.flavor(request, f, detail) for f in page]}
    if next_url:
        body["flavors_links"] = [{"rel": "next", "href": next_url}]
    return respond(body)


def find_flavor(cloud: Cloud, token: Token, flavor_id: str) -> Record:
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
    return respond({"flavor": views.flavor(request, find_flavor(cloud, token, flavor_id))})


@router.get(PREFIX + "/flavors/{flavor_id}/os-extra_specs")
async def get_extra_specs(request: Request, flavor_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    return respond({"extra_specs": dict(find_flavor(cloud, token, flavor_id)["extra_specs"])})


@router.get(PREFIX + "/flavors/{flavor_id}/os-extra_specs/{key}")
async def get_extra_spec(request: Request, flavor_id: str, key: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    specs = find_flavor(cloud, token, flavor_id)["extra_specs"]
    if key not in specs:
        raise ApiError(404, f"Flavor {flavor_id} has no extra specs with key {key}.")
    return respond({key: specs[key]})


#: What Nova's flavor-create schema accepts (additionalProperties: false): extra specs are a separate call.
_FLAVOR_CREATE_FIELDS = (
    "name",
    "id",
    "ram",
    "vcpus",
    "disk",
    "OS-FLV-EXT-DATA:ephemeral",
    "swap",
    "rxtx_factor",
    "os-flavor-access:is_public",
)
#: Nova's pattern for a flavor id given by the client, and for extra spec keys.
_FLAVOR_ID = re.compile(r"^(?! )[a-zA-Z0-9. _-]+(?<! )$")
_SPEC_KEY = re.compile(r"^[a-zA-Z0-9-_:. /]{1,255}$")


def _invalid(field: str, value: Any, reason: str) -> ApiError:
    return ApiError(400, f"Invalid input for field/attribute {field}. Value: {value}. {reason}")


def _validate_flavor(request: Request, spec: dict[str, Any]) -> None:
    """Nova's flavor-create schema: required fields, no others (description from 2.55), sane values."""
    for key in ("name", "ram", "vcpus", "disk"):
        if key not in spec:
            raise _invalid("flavor", spec, f"'{key}' is a required property")
    allowed = (*_FLAVOR_CREATE_FIELDS, "description") if at_least(request, COMPUTE, "2.55") else _FLAVOR_CREATE_FIELDS
    unexpected = [key for key in spec if key not in allowed]
    if unexpected:
        listed = ", ".join(repr(key) for key in unexpected)
        verb = "was" if len(unexpected) == 1 else "were"
        raise _invalid("flavor", spec, f"Additional properties are not allowed ({listed} {verb} unexpected)")
    name = spec["name"]
    if not isinstance(name, str) or not name.strip() or name != name.strip() or len(name) > 255:
        raise _invalid("name", name, f"{name!r} is not a valid name")
    for key, minimum in (("ram", 1), ("vcpus", 1), ("disk", 0)):
        value = spec[key]
        number = value if isinstance(value, int) and not isinstance(value, bool) else None
        if isinstance(value, str) and value.strip().isdigit():
            number = int(value)
        if number is None or number < minimum:
            raise _invalid(key, value, f"{value!r} is less than the minimum of {minimum}")
    flavor_id = spec.get("id")
    if flavor_id is not None and (not isinstance(flavor_id, str) or not _FLAVOR_ID.match(flavor_id)):
        raise _invalid("id", flavor_id, f"{flavor_id!r} does not match '{_FLAVOR_ID.pattern}'")


@router.post(PREFIX + "/flavors")
async def create_flavor(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.is_admin, "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed.")
    spec = await json_body(request, "flavor")
    _validate_flavor(request, spec)
    if cloud.store.find("flavor", name=spec["name"]):
        raise ApiError(409, f"Flavor with name {spec['name']} already exists.")
    if spec.get("id") is not None and cloud.store.find("flavor", id=spec["id"]):
        raise ApiError(409, f"Flavor with ID {spec['id']} already exists.")
    flavor = cloud.store.add("flavor", new_flavor({k: v for k, v in spec.items() if k != "extra_specs"}))
    return respond({"flavor": views.flavor(request, flavor)})


def new_flavor(spec: dict[str, Any]) -> Record:
    """A flavor record from a create request or a profile entry."""
    record: Record = {
        "name": spec["name"],
        "ram": int(spec["ram"]),
        "vcpus": int(spec["vcpus"]),
        "disk": int(spec.get("disk") or 0),
        "OS-FLV-EXT-DATA:ephemeral": int(spec.get("OS-FLV-EXT-DATA:ephemeral", 0)),
        "swap": int(spec.get("swap") or 0),
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
    require(
        cloud.token_for(request).is_admin,
        "Policy doesn't allow os_compute_api:os-flavor-manage:delete to be performed.",
    )
    try:
        cloud.store.delete("flavor", flavor_id)
    except NotFound:
        raise ApiError(404, f"Flavor {flavor_id} could not be found.") from None
    return Response(status_code=202)


def _spec_values(specs: dict[str, Any]) -> dict[str, str]:
    """Extra specs as Nova stores them: keys by its pattern, values strings, numbers or booleans (as text)."""
    result = {}
    for key, value in specs.items():
        if not _SPEC_KEY.match(key):
            raise _invalid("extra_specs", specs, f"{key!r} does not match any of the regexes: '{_SPEC_KEY.pattern}'")
        if isinstance(value, bool):
            value = str(value)
        elif not isinstance(value, (str, int, float)) or len(str(value)) > 255:
            raise _invalid(key, value, f"{value!r} is not of type 'string', 'number', 'boolean'")
        result[key] = str(value)
    return result


@router.post(PREFIX + "/flavors/{flavor_id}/os-extra_specs")
async def set_extra_specs(request: Request, flavor_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.is_admin, "Policy doesn't allow os_compute_api:os-flavor-extra-specs:create to be performed.")
    flavor = find_flavor(cloud, token, flavor_id)
    specs = _spec_values(await json_body(request, "extra_specs"))
    flavor["extra_specs"].update(specs)
    cloud.store.touch()
    return respond({"extra_specs": specs})


@router.put(PREFIX + "/flavors/{flavor_id}/os-extra_specs/{key}")
async def update_extra_spec(request: Request, flavor_id: str, key: str) -> Response:
    """`openstack flavor set --property`'s one-key form: the body names exactly the key of the URL."""
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.is_admin, "Policy doesn't allow os_compute_api:os-flavor-extra-specs:update to be performed.")
    flavor = find_flavor(cloud, token, flavor_id)
    body = await json_body(request)
    if len(body) > 1:
        raise ApiError(400, "Request body contains too many items")
    if key not in body:
        raise ApiError(400, "Request body and URI mismatch")
    specs = _spec_values(body)
    flavor["extra_specs"].update(specs)
    cloud.store.touch()
    return respond(specs)


@router.delete(PREFIX + "/flavors/{flavor_id}/os-extra_specs/{key}")
async def delete_extra_spec(request: Request, flavor_id: str, key: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.is_admin, "Policy doesn't allow os_compute_api:os-flavor-extra-specs:delete to be performed.")
    flavor = find_flavor(cloud, token, flavor_id)
    if key not in flavor["extra_specs"]:
        raise ApiError(404, f"Flavor {flavor_id} has no extra specs with key {key}.")
    del flavor["extra_specs"][key]
    cloud.store.touch()
    return Response(status_code=202)


@router.get(PREFIX + "/flavors/{flavor_id}/os-flavor-access")
async def flavor_access(request: Request, flavor_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.is_admin, "Policy doesn't allow os_compute_api:os-flavor-access to be performed.")
    flavor = find_flavor(cloud, token, flavor_id)
    if flavor["os-flavor-access:is_public"]:
        raise ApiError(404, "Access list not available for public flavors.")
    access = [{"flavor_id": flavor_id, "tenant_id": p} for p in flavor["_projects"]]
    return respond({"flavor_access": access})


# -- hypervisors (admins only) ----------------------------------------------------------------


@router.get(PREFIX + "/os-hypervisors")
@router.get(PREFIX + "/os-hypervisors/detail")
async def hypervisors(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.is_admin, "Policy doesn't allow os_compute_api:os-hypervisors:list to be performed.")
    hypervisor = {"id": "00000000-0000-4000-8000-000000000001", "hypervisor_hostname": "simhost", "state": "up"}
    hypervisor["status"] = "enabled"
    return respond({"hypervisors": [hypervisor]})


# -- key pairs --------------------------------------------------------------------------------


def _own_keypair(cloud: Cloud, token: Token, name: str) -> Record:
    keypair = cloud.store.find("keypair", user_id=token.user_id, name=name)
    if keypair is None:
        raise ApiError(404, f"Keypair {name} not found for user {token.user_id}")
    return keypair


@router.get(PREFIX + "/os-keypairs")
async def list_keypairs(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    keypairs = sorted(cloud.store.select("keypair", user_id=token.user_id), key=lambda k: k["name"])
    return respond({"keypairs": [views.keypair_listed(request, k) for k in keypairs]})


@router.get(PREFIX + "/os-keypairs/{name}")
async def get_keypair(request: Request, name: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    return respond({"keypair": views.keypair_shown(request, _own_keypair(cloud, token, name))})


@router.post(PREFIX + "/os-keypairs")
async def create_keypair(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    spec = await json_body(request, "keypair")
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 255:
        raise ApiError(400, f"Invalid input for field/attribute name. Value: {name}. {name!r} is not a valid name")
    key_type = spec.get("type", "ssh")
    if key_type not in ("ssh", "x509") or ("type" in spec and not at_least(request, COMPUTE, "2.2")):
        raise ApiError(400, f"Invalid input for field/attribute keypair. Value: {spec}. 'type' is not allowed here")
    if at_least(request, COMPUTE, "2.92") and "public_key" not in spec:
        # from 2.92 Nova no longer generates key pairs: clients bring their own public key
        raise ApiError(
            400, f"Invalid input for field/attribute keypair. Value: {spec}. 'public_key' is a required property"
        )
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
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise ApiError(400, "Keypair data is invalid: failed to generate fingerprint") from None
    raw = loaded.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).split()[1]
    digest = hashlib.md5(base64.b64decode(raw), usedforsecurity=False).hexdigest()
    keypair = cloud.store.add(
        "keypair",
        {
            "id": f"{token.user_id}/{name}",  # keypairs are per user; the store key must be unique
            "number": 1 + max((k["number"] for k in cloud.store.all("keypair")), default=0),
            "name": name,
            "user_id": token.user_id,
            "public_key": public_key,
            "fingerprint": ":".join(digest[i : i + 2] for i in range(0, len(digest), 2)),
            "type": key_type,
            "created_at": timestamp(),
        },
    )
    status = 201 if at_least(request, COMPUTE, "2.2") else 200  # 2.2 fixed the status code
    return respond({"keypair": views.keypair_created(request, keypair, private_key)}, status=status)


@router.delete(PREFIX + "/os-keypairs/{name}")
async def delete_keypair(request: Request, name: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    cloud.store.delete("keypair", _own_keypair(cloud, token, name)["id"])
    return Response(status_code=204 if at_least(request, COMPUTE, "2.2") else 202)


# -- availability zones, limits, quotas -----------------------------------------------------------


@router.get(PREFIX + "/os-availability-zone")
@router.get(PREFIX + "/os-availability-zone/detail")
async def availability_zones(request: Request) -> Response:
    cloud = cloud_of(request)
    cloud.token_for(request)
    zones = cloud.profile.get("availability_zones", {}).get("compute", ["nova"])
    body = {"availabilityZoneInfo": [{"zoneName": z, "zoneState": {"available": True}, "hosts": None} for z in zones]}
    return respond(body)


@router.get(PREFIX + "/limits")
async def limits(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    quotas = cloud.profile.get("quotas", {})
    used = [s for s in cloud.store.all("server") if s["tenant_id"] == token.project_id]
    flavors = [s["_flavor"] for s in used]  # what each server was booted with
    absolute = {
        "maxTotalInstances": quotas.get("instances", 100),
        "maxTotalCores": quotas.get("cores", 400),
        "maxTotalRAMSize": quotas.get("ram", 1024 * 1024),
        "maxTotalKeypairs": 100,
        "maxServerMeta": 128,
        "maxImageMeta": 128,
        "maxServerGroups": 10,
        "maxServerGroupMembers": 10,
        "totalInstancesUsed": len(used),
        "totalCoresUsed": sum(int(f["vcpus"]) for f in flavors),
        "totalRAMUsed": sum(int(f["ram"]) for f in flavors),
        "totalServerGroupsUsed": 0,
    }
    if not at_least(request, COMPUTE, "2.36"):  # the network proxy fields went with 2.36 (-1: Neutron decides)
        absolute.update(
            {
                "maxSecurityGroupRules": -1,
                "maxSecurityGroups": -1,
                "maxTotalFloatingIps": -1,
                "totalFloatingIpsUsed": 0,
                "totalSecurityGroupsUsed": 0,
            }
        )
    if not at_least(request, COMPUTE, "2.57"):  # personality files went with 2.57
        absolute.update({"maxPersonality": 5, "maxPersonalitySize": 10240})
    return respond({"limits": {"absolute": absolute, "rate": []}})


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
    }
    if not at_least(request, COMPUTE, "2.57"):
        body.update({"injected_files": 5, "injected_file_content_bytes": 10240, "injected_file_path_bytes": 255})
    return respond({"quota_set": body})
