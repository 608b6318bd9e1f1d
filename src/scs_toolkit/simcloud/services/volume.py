"""Cinder v3: volume types (extra specs, encryption, descriptions), volumes, backups and restore, AZs, limits.

Status transitions (creating -> available, backing-up -> available ...) happen lazily on read, at
a moment fixed when the action started, so no background task is needed. Microversions are
negotiated and echoed by `_microversions.MicroversionMiddleware`. Members see what Cinder's
default policy shows them: only the user-visible extra specs of a volume type, no QoS id, no
encryption details.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .._auth import Token, require
from .._cloud import Cloud, cloud_of, service_url
from .._errors import ApiError
from .._microversions import VOLUME
from .._store import Record, Store, now, timestamp
from ._common import json_body, paginate, project_view, query_filter, respond

router = APIRouter()
PREFIX = "/volume/v3/{project_id}"
_VERSION = {
    "id": "v3.0",
    "status": "CURRENT",
    "version": str(VOLUME.maximum),
    "min_version": str(VOLUME.minimum),
    "updated": "2023-08-31T00:00:00Z",
    "media-types": [{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}],
}
#: extra specs Cinder shows to everyone (`volume_extension:types_extra_specs:read_sensitive` guards the rest)
USER_VISIBLE_EXTRA_SPECS = ("RESKEY:availability_zones", "multiattach", "replication_enabled")


def _respond(request: Request, body: Any, status: int = 200) -> Response:
    return respond(body, status=status)


@router.get("/volume")
@router.get("/volume/")
async def versions(request: Request) -> Response:
    link = {"rel": "self", "href": f"{service_url(request, 'volume')}/v3/"}
    return respond({"versions": [{**_VERSION, "links": [link]}]}, status=300)


@router.get("/volume/v3")
@router.get("/volume/v3/")
async def version(request: Request) -> Response:
    link = {"rel": "self", "href": f"{service_url(request, 'volume')}/v3/"}
    return respond({"versions": [{**_VERSION, "links": [link]}]})


def _token(request: Request, project_id: str) -> tuple[Cloud, Token]:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.is_admin or token.project_id == project_id, "Policy doesn't allow access to another project.")
    return cloud, token


def settle(cloud: Cloud, record: Record) -> None:
    ready = record.get("_ready_at")
    if ready and now() >= dt.datetime.fromisoformat(ready):
        record["status"] = record.pop("_next_status")
        del record["_ready_at"]
        record["updated_at"] = timestamp()
        cloud.store.touch()


def _later(cloud: Cloud, record: Record, status: str, next_status: str, seconds: float | None = None) -> None:
    delay = seconds if seconds is not None else float(cloud.profile.get("volume_time_s", 0.3))
    delay += cloud.faults.for_service("volume").build_delay_s
    record.update(
        {"status": status, "_next_status": next_status, "_ready_at": (now() + dt.timedelta(seconds=delay)).isoformat()}
    )


# -- volume types -----------------------------------------------------------------------------------


def _visible_specs(cloud: Cloud, token: Token, volume_type: Record) -> dict[str, Any]:
    specs = dict(volume_type["extra_specs"])
    if token.is_admin or cloud.member_may("read_type_extra_specs"):
        return specs
    return {k: v for k, v in specs.items() if k in USER_VISIBLE_EXTRA_SPECS}


def _type_view(cloud: Cloud, token: Token, volume_type: Record) -> Record:
    view: Record = {
        "id": volume_type["id"],
        "name": volume_type["name"],
        "is_public": volume_type["is_public"],
        "description": volume_type["description"],
        "extra_specs": _visible_specs(cloud, token, volume_type),
        "os-volume-type-access:is_public": volume_type["is_public"],
    }
    if token.is_admin:  # volume_extension:access_types_qos_specs_id
        view["qos_specs_id"] = volume_type["qos_specs_id"]
    return view


def default_type(cloud: Cloud) -> Record | None:
    """The type a volume gets without asking for one (the first one, normally __DEFAULT__)."""
    types = cloud.store.all("volume_type")
    return types[0] if types else None


@router.get(PREFIX + "/types")
async def list_types(request: Request, project_id: str) -> Response:
    cloud, token = _token(request, project_id)
    types = [t for t in cloud.store.all("volume_type") if t["is_public"] or token.is_admin]
    return _respond(request, {"volume_types": [_type_view(cloud, token, t) for t in types]})


@router.get(PREFIX + "/types/default")
async def get_default_type(request: Request, project_id: str) -> Response:
    cloud, token = _token(request, project_id)
    volume_type = default_type(cloud)
    if volume_type is None:
        raise ApiError(404, "Default volume type can not be found.")
    return _respond(request, {"volume_type": _type_view(cloud, token, volume_type)})


@router.get(PREFIX + "/types/{type_id}")
async def get_type(request: Request, project_id: str, type_id: str) -> Response:
    cloud, token = _token(request, project_id)
    return _respond(request, {"volume_type": _type_view(cloud, token, _volume_type(cloud, token, type_id))})


@router.get(PREFIX + "/types/{type_id}/encryption")
async def get_type_encryption(request: Request, project_id: str, type_id: str) -> Response:
    """Admins only (`volume_extension:volume_type_encryption`): the check comes before the lookup."""
    cloud, token = _token(request, project_id)
    require(
        token.is_admin or cloud.member_may("read_type_encryption"),
        "Policy doesn't allow volume_extension:volume_type_encryption to be performed.",
    )
    volume_type = _volume_type(cloud, token, type_id)
    encryption = volume_type.get("encryption")
    if not encryption:
        return _respond(request, {})
    body = {
        "volume_type_id": volume_type["id"],
        "encryption_id": encryption["encryption_id"],
        "provider": encryption.get("provider", "luks"),
        "cipher": encryption.get("cipher", "aes-xts-plain64"),
        "key_size": encryption.get("key_size", 256),
        "control_location": encryption.get("control_location", "front-end"),
        "created_at": encryption["created_at"],
        "updated_at": None,
        "deleted": False,
        "deleted_at": None,
    }
    return _respond(request, body)


def _volume_type(cloud: Cloud, token: Token, ref: str) -> Record:
    volume_type = cloud.store.find("volume_type", id=ref) or cloud.store.find("volume_type", name=ref)
    if volume_type is None or not (volume_type["is_public"] or token.is_admin):
        raise ApiError(404, f"Volume type {ref} could not be found.")
    return volume_type


@router.get(PREFIX + "/types/{type_id}/extra_specs")
async def get_type_specs(request: Request, project_id: str, type_id: str) -> Response:
    cloud, token = _token(request, project_id)
    return _respond(request, {"extra_specs": _visible_specs(cloud, token, _volume_type(cloud, token, type_id))})


@router.post(PREFIX + "/types")
async def create_type(request: Request, project_id: str) -> Response:
    cloud, token = _token(request, project_id)
    require(token.is_admin)
    spec = await json_body(request, "volume_type")
    if not spec.get("name"):
        raise ApiError(400, "Volume type name can not be empty.")
    if cloud.store.find("volume_type", name=spec["name"]):
        raise ApiError(409, f"Volume Type {spec['name']} already exists.")
    public = spec.get("os-volume-type-access:is_public", True)
    record = cloud.store.add("volume_type", new_volume_type(cloud.store, {**spec, "is_public": public}))
    return _respond(request, {"volume_type": _type_view(cloud, token, record)})


def new_volume_type(store: Store, spec: dict[str, Any]) -> Record:
    """A volume type from a create request or a profile entry (which may name its `encryption`)."""
    encryption = spec.get("encryption")
    return {
        "name": spec["name"],
        "description": spec.get("description"),
        "is_public": bool(spec.get("is_public", True)),
        "extra_specs": {str(k): str(v) for k, v in (spec.get("extra_specs") or {}).items()},
        "qos_specs_id": None,
        "encryption": {**encryption, "encryption_id": store.new_id(), "created_at": timestamp()}
        if isinstance(encryption, dict)
        else None,
    }


@router.put(PREFIX + "/types/{type_id}")
async def update_type(request: Request, project_id: str, type_id: str) -> Response:
    """`openstack volume type set --name/--description/--public`: admins only (volume_extension:types_manage)."""
    cloud, token = _token(request, project_id)
    require(token.is_admin, "Policy doesn't allow volume_extension:types_manage to be performed.")
    spec = await json_body(request, "volume_type")
    volume_type = _volume_type(cloud, token, type_id)
    name, description, public = spec.get("name"), spec.get("description"), spec.get("is_public")
    if name is None and description is None and public is None:
        raise ApiError(400, "Specify volume type name, description, is_public or a combination thereof.")
    if name is not None:
        if not isinstance(name, str) or not name.strip():
            raise ApiError(400, "Volume type name can not be empty.")
        other = cloud.store.find("volume_type", name=name)
        if other is not None and other["id"] != volume_type["id"]:
            raise ApiError(409, f"Volume Type {name} already exists.")
        volume_type["name"] = name
    if description is not None:
        if not isinstance(description, str) or len(description) > 255:
            raise ApiError(400, f"Invalid input for field/attribute description. Value: {description}.")
        volume_type["description"] = description
    if public is not None:
        if not isinstance(public, bool):
            raise ApiError(400, f"Invalid value '{public}' for is_public. Accepted values: True or False.")
        volume_type["is_public"] = public
    cloud.store.touch()
    return _respond(request, {"volume_type": _type_view(cloud, token, volume_type)})


@router.delete(PREFIX + "/types/{type_id}")
async def delete_type(request: Request, project_id: str, type_id: str) -> Response:
    cloud, token = _token(request, project_id)
    require(token.is_admin)
    volume_type = _volume_type(cloud, token, type_id)
    if cloud.store.find("volume", volume_type=volume_type["name"]):
        raise ApiError(400, f"Target volume type is still in use. Volume Type {type_id} deletion is not allowed.")
    cloud.store.delete("volume_type", volume_type["id"])
    return Response(status_code=202)


# -- volumes ----------------------------------------------------------------------------------------


def _volume_view(request: Request, cloud: Cloud, volume: Record) -> Record:
    settle(cloud, volume)
    view = project_view(volume)
    view["links"] = [
        {
            "rel": "self",
            "href": f"{service_url(request, 'volume')}/v3/{volume['os-vol-tenant-attr:tenant_id']}/volumes/{volume['id']}",
        }
    ]
    return view


def _owned_volumes(cloud: Cloud, token: Token, request: Request) -> list[Record]:
    everyone = token.is_admin and request.query_params.get("all_tenants") in ("1", "true", "True")
    return [v for v in cloud.store.all("volume") if everyone or v["os-vol-tenant-attr:tenant_id"] == token.project_id]


@router.get(PREFIX + "/volumes")
@router.get(PREFIX + "/volumes/detail")
async def list_volumes(request: Request, project_id: str) -> Response:
    cloud, token = _token(request, project_id)
    volumes = query_filter(_owned_volumes(cloud, token, request), request, ("name", "status", "bootable"))
    volumes.sort(key=lambda v: v["created_at"], reverse=True)
    page, next_url = paginate(volumes, request, f"{service_url(request, 'volume')}/v3/{project_id}/volumes")
    body: dict[str, Any] = {"volumes": [_volume_view(request, cloud, v) for v in page]}
    if next_url:
        body["volumes_links"] = [{"rel": "next", "href": next_url}]
    return _respond(request, body)


def _volume(cloud: Cloud, token: Token, volume_id: str) -> Record:
    volume = cloud.store.find("volume", id=volume_id)
    if volume is None or not (token.is_admin or volume["os-vol-tenant-attr:tenant_id"] == token.project_id):
        raise ApiError(404, f"Volume {volume_id} could not be found.")
    return volume


@router.get(PREFIX + "/volumes/{volume_id}")
async def get_volume(request: Request, project_id: str, volume_id: str) -> Response:
    cloud, token = _token(request, project_id)
    return _respond(request, {"volume": _volume_view(request, cloud, _volume(cloud, token, volume_id))})


def image_metadata(image: Record) -> dict[str, str]:
    """What Cinder copies from an image into a volume made from it (`volume_image_metadata`)."""
    skip = {"id", "name", "status", "visibility", "protected", "os_hidden", "owner", "created_at", "updated_at"}
    metadata = {k: str(v) for k, v in image.items() if k not in skip and not k.startswith("_") and v is not None}
    metadata.pop("tags", None)
    metadata.pop("locations", None)
    return {**metadata, "image_id": image["id"], "image_name": str(image.get("name") or "")}


def new_volume(cloud: Cloud, token: Token, spec: dict[str, Any], volume_type: Record | None) -> Record:
    size = spec.get("size")
    if isinstance(size, str) and size.isdigit():  # Cinder's schema takes digit strings too
        size = int(size)
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise ApiError(400, f"Invalid input received: size {size!r} must be an integer and greater than 0")
    quota = cloud.profile.get("quotas", {}).get("volumes", 20)
    if sum(1 for v in cloud.store.all("volume") if v["os-vol-tenant-attr:tenant_id"] == token.project_id) >= quota:
        raise ApiError(413, f"VolumeLimitExceeded: Maximum number of volumes allowed ({quota}) exceeded")
    moment = timestamp()
    record: Record = {
        "name": spec.get("name"),
        "description": spec.get("description"),
        "size": size,
        "status": "creating",
        "availability_zone": spec.get("availability_zone") or "nova",
        "bootable": "true" if spec.get("imageRef") else "false",
        "encrypted": bool(volume_type and volume_type.get("encryption")),
        "multiattach": False,
        "volume_type": volume_type["name"] if volume_type else None,
        "volume_type_id": volume_type["id"] if volume_type else None,
        "metadata": dict(spec.get("metadata") or {}),
        "attachments": [],
        "snapshot_id": spec.get("snapshot_id"),
        "source_volid": spec.get("source_volid"),
        "consistencygroup_id": None,
        "replication_status": None,
        "user_id": token.user_id,
        "os-vol-tenant-attr:tenant_id": token.project_id,
        "created_at": moment,
        "updated_at": moment,
    }
    _later(cloud, record, "creating", "available")
    return record


@router.post(PREFIX + "/volumes")
async def create_volume(request: Request, project_id: str) -> Response:
    cloud, token = _token(request, project_id)
    spec = await json_body(request, "volume")
    type_ref = spec.get("volume_type")
    volume_type = _volume_type(cloud, token, type_ref) if type_ref else default_type(cloud)
    volume = cloud.store.add("volume", new_volume(cloud, token, spec, volume_type))
    return _respond(request, {"volume": _volume_view(request, cloud, volume)}, status=202)


@router.put(PREFIX + "/volumes/{volume_id}")
async def update_volume(request: Request, project_id: str, volume_id: str) -> Response:
    cloud, token = _token(request, project_id)
    volume = _volume(cloud, token, volume_id)
    spec = await json_body(request, "volume")
    volume.update({k: v for k, v in spec.items() if k in ("name", "description", "metadata")})
    cloud.store.touch()
    return _respond(request, {"volume": _volume_view(request, cloud, volume)})


@router.delete(PREFIX + "/volumes/{volume_id}")
async def delete_volume(request: Request, project_id: str, volume_id: str) -> Response:
    cloud, token = _token(request, project_id)
    volume = _volume(cloud, token, volume_id)
    settle(cloud, volume)
    if volume["status"] not in ("available", "error", "error_restoring", "error_extending"):
        raise ApiError(
            400, f"Invalid volume: Volume status must be available or error, but current status is: {volume['status']}."
        )
    cloud.store.delete("volume", volume_id)
    return Response(status_code=202)


# -- backups ----------------------------------------------------------------------------------------


def _backup_view(cloud: Cloud, backup: Record) -> Record:
    settle(cloud, backup)
    return project_view(backup)


def _backup_service_running(cloud: Cloud) -> bool:
    """False with profile `volume.backup_service: false`: the API answers, but no cinder-backup runs."""
    return bool(cloud.profile.get("volume", {}).get("backup_service", True))


def _backups_enabled(cloud: Cloud) -> None:
    if not cloud.profile.get("volume", {}).get("backup", True):
        raise ApiError(404, "Service cinder-backup could not be found.")  # what Cinder answers


@router.get(PREFIX + "/backups")
@router.get(PREFIX + "/backups/detail")
async def list_backups(request: Request, project_id: str) -> Response:
    cloud, token = _token(request, project_id)
    _backups_enabled(cloud)
    backups = [b for b in cloud.store.all("backup") if token.is_admin or b["project_id"] == token.project_id]
    backups = query_filter(backups, request, ("name", "status", "volume_id"))
    return _respond(request, {"backups": [_backup_view(cloud, b) for b in backups]})


def _backup(cloud: Cloud, token: Token, backup_id: str) -> Record:
    backup = cloud.store.find("backup", id=backup_id)
    if backup is None or not (token.is_admin or backup["project_id"] == token.project_id):
        raise ApiError(404, f"Backup {backup_id} could not be found.")
    return backup


@router.get(PREFIX + "/backups/{backup_id}")
async def get_backup(request: Request, project_id: str, backup_id: str) -> Response:
    cloud, token = _token(request, project_id)
    _backups_enabled(cloud)
    return _respond(request, {"backup": _backup_view(cloud, _backup(cloud, token, backup_id))})


@router.post(PREFIX + "/backups")
async def create_backup(request: Request, project_id: str) -> Response:
    cloud, token = _token(request, project_id)
    _backups_enabled(cloud)
    spec = await json_body(request, "backup")
    volume = _volume(cloud, token, str(spec.get("volume_id")))
    settle(cloud, volume)
    if volume["status"] != "available":
        raise ApiError(
            400,
            f'Invalid volume: Volume to be backed up must be available, but the current status is "{volume["status"]}".',
        )
    moment = timestamp()
    backup = {
        "name": spec.get("name"),
        "description": spec.get("description"),
        "volume_id": volume["id"],
        "size": volume["size"],
        "object_count": 0,
        "container": spec.get("container") or "volumebackups",
        "availability_zone": volume["availability_zone"],
        "is_incremental": bool(spec.get("incremental")),
        "has_dependent_backups": False,
        "snapshot_id": None,
        "data_timestamp": moment,
        "project_id": token.project_id,
        "user_id": token.user_id,
        "created_at": moment,
        "updated_at": moment,
        "fail_reason": None,
        "metadata": {},
    }
    if not _backup_service_running(cloud):  # accepted, then the scheduler finds no cinder-backup
        backup["fail_reason"] = "Service cinder-backup could not be found."
        _later(cloud, backup, "creating", "error")
    else:
        _later(cloud, backup, "creating", "available")
    record = cloud.store.add("backup", backup)
    return _respond(request, {"backup": {"id": record["id"], "name": record["name"], "links": []}}, status=202)


@router.post(PREFIX + "/backups/{backup_id}/restore")
async def restore_backup(request: Request, project_id: str, backup_id: str) -> Response:
    cloud, token = _token(request, project_id)
    _backups_enabled(cloud)
    backup = _backup(cloud, token, backup_id)
    settle(cloud, backup)
    if backup["status"] != "available":
        raise ApiError(400, f"Invalid backup: Backup status must be available but is {backup['status']}.")
    spec = await json_body(request, "restore")
    if spec.get("volume_id"):
        volume = _volume(cloud, token, spec["volume_id"])
    else:
        source = cloud.store.find("volume", id=backup["volume_id"])
        volume_type = cloud.store.find("volume_type", id=source["volume_type_id"]) if source else None
        volume = cloud.store.add(
            "volume", new_volume(cloud, token, {"size": backup["size"], "name": spec.get("name")}, volume_type)
        )
    _later(cloud, volume, "restoring-backup", "available")
    _later(cloud, backup, "restoring", "available")
    return _respond(
        request,
        {"restore": {"backup_id": backup_id, "volume_id": volume["id"], "volume_name": volume["name"]}},
        status=202,
    )


@router.delete(PREFIX + "/backups/{backup_id}")
async def delete_backup(request: Request, project_id: str, backup_id: str) -> Response:
    cloud, token = _token(request, project_id)
    _backups_enabled(cloud)
    backup = _backup(cloud, token, backup_id)
    settle(cloud, backup)
    if backup["status"] not in ("available", "error"):
        raise ApiError(400, f"Invalid backup: Backup status must be available or error, but is {backup['status']}.")
    if not _backup_service_running(cloud):  # real Cinder: 404 about the service, and the backup stays
        raise ApiError(404, "Service cinder-backup could not be found.")
    cloud.store.delete("backup", backup_id)
    return Response(status_code=202)


# -- services (admins only), availability zones, limits -----------------------------------------------


@router.get(PREFIX + "/os-services")
async def services(request: Request, project_id: str) -> Response:
    cloud, token = _token(request, project_id)
    require(token.is_admin, "Policy doesn't allow volume_extension:services:index to be performed.")
    names = ["cinder-scheduler", "cinder-volume"]
    if cloud.profile.get("volume", {}).get("backup", True) and _backup_service_running(cloud):
        names.append("cinder-backup")
    moment = timestamp()
    rows: list[dict[str, Any]] = [
        {
            "binary": name,
            "host": "simhost@ceph" if name == "cinder-volume" else "simhost",
            "zone": "nova",
            "status": "enabled",
            "state": "up",
            "updated_at": moment,
            "disabled_reason": None,
        }
        for name in names
    ]
    return _respond(request, {"services": rows})


# -- availability zones, limits ---------------------------------------------------------------------


@router.get(PREFIX + "/os-availability-zone")
async def availability_zones(request: Request, project_id: str) -> Response:
    cloud, _ = _token(request, project_id)
    zones = cloud.profile.get("availability_zones", {}).get("volume", ["nova"])
    return _respond(
        request, {"availabilityZoneInfo": [{"zoneName": z, "zoneState": {"available": True}} for z in zones]}
    )


@router.get(PREFIX + "/limits")
async def limits(request: Request, project_id: str) -> Response:
    cloud, token = _token(request, project_id)
    quotas = cloud.profile.get("quotas", {})
    volumes = [v for v in cloud.store.all("volume") if v["os-vol-tenant-attr:tenant_id"] == token.project_id]
    absolute = {
        "maxTotalVolumes": quotas.get("volumes", 20),
        "maxTotalVolumeGigabytes": quotas.get("gigabytes", 1000),
        "maxTotalBackups": 10,
        "maxTotalBackupGigabytes": 1000,
        "maxTotalSnapshots": 10,
        "totalVolumesUsed": len(volumes),
        "totalGigabytesUsed": sum(v["size"] for v in volumes),
        "totalBackupsUsed": 0,
        "totalBackupGigabytesUsed": 0,
        "totalSnapshotsUsed": 0,
    }
    return _respond(request, {"limits": {"absolute": absolute, "rate": []}})
