"""Glance v2: images with arbitrary properties, visibility, tags, filters, limit/marker pagination."""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .._auth import Token, require
from .._cloud import Cloud, cloud_of, service_url
from .._errors import ApiError
from .._store import Record, timestamp
from ._common import json_body, no_content, paginate, respond

router = APIRouter()
PREFIX = "/image/v2"
MAX_IMAGE_BYTES = 64 * 1024 * 1024

#: Fields Glance manages itself; everything else on an image is a free-form property.
CORE_FIELDS = {
    "id",
    "name",
    "status",
    "visibility",
    "protected",
    "os_hidden",
    "owner",
    "min_disk",
    "min_ram",
    "disk_format",
    "container_format",
    "size",
    "virtual_size",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "created_at",
    "updated_at",
    "tags",
    "file",
    "self",
    "schema",
    "locations",
    "direct_url",
    "stores",
}
_READ_ONLY = {
    "id",
    "status",
    "size",
    "virtual_size",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "created_at",
    "updated_at",
    "file",
    "self",
    "schema",
    "owner",
}
_VERSIONS = [("v2.16", "CURRENT"), ("v2.15", "SUPPORTED"), ("v2.0", "SUPPORTED")]
#: Glance's default `disk_formats` and `container_formats`
DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop")
CONTAINER_FORMATS = ("ami", "ari", "aki", "bare", "ovf", "ova", "docker", "compressed")


@router.get("/image")
@router.get("/image/")
@router.get("/image/versions")
async def versions(request: Request) -> Response:
    link = f"{service_url(request, 'image')}/v2/"
    items = [{"id": v, "status": s, "links": [{"rel": "self", "href": link}]} for v, s in _VERSIONS]
    return respond({"versions": items}, status=300 if not request.url.path.endswith("versions") else 200)


def visible_image(cloud: Cloud, token: Token, image_id: str) -> Record | None:
    image = cloud.store.find("image", id=image_id)
    if image is None or not _visible(cloud, token, image):
        return None
    return image


def _visible(cloud: Cloud, token: Token, image: Record) -> bool:
    if token.is_admin or image["owner"] == token.project_id:
        return True
    if image["visibility"] in ("public", "community"):
        return True
    if image["visibility"] == "shared":
        return cloud.store.find("image_member", image_id=image["id"], member_id=token.project_id) is not None
    return False


def new_image(owner: str | None, spec: dict[str, Any]) -> Record:
    """An image record from a create request or a profile entry (then already active)."""
    moment = timestamp()
    record: Record = {
        "name": spec.get("name"),
        "status": "queued",
        "visibility": spec.get("visibility", "shared"),
        "protected": bool(spec.get("protected", False)),
        "os_hidden": bool(spec.get("os_hidden", False)),
        "owner": owner,
        "min_disk": int(spec.get("min_disk") or 0),
        "min_ram": int(spec.get("min_ram") or 0),
        "disk_format": spec.get("disk_format"),
        "container_format": spec.get("container_format"),
        "size": None,
        "virtual_size": None,
        "checksum": None,
        "os_hash_algo": None,
        "os_hash_value": None,
        "created_at": moment,
        "updated_at": moment,
        "tags": list(spec.get("tags") or []),
        "locations": [],
    }
    if spec.get("id"):
        record["id"] = str(spec["id"])
    for key, value in spec.items():
        if key not in CORE_FIELDS:
            record[key] = value if isinstance(value, str) else str(value)
    return record


def _view(request: Request, image: Record) -> Record:
    view = {k: v for k, v in image.items() if not k.startswith("_") and k != "locations"}
    view["self"] = f"/v2/images/{image['id']}"
    view["file"] = f"/v2/images/{image['id']}/file"
    view["schema"] = "/v2/schemas/image"
    return view


def _get(cloud: Cloud, token: Token, image_id: str) -> Record:
    image = visible_image(cloud, token, image_id)
    if image is None:
        raise ApiError(404, f"No image found with ID {image_id}")
    return image


def _filter(images: list[Record], request: Request, token: Token) -> list[Record]:
    params = request.query_params
    visibility = params.get("visibility")
    if visibility and visibility != "all":
        images = [i for i in images if i["visibility"] == visibility]
    elif not visibility:
        # Glance's default listing leaves out community images of other projects
        images = [i for i in images if i["visibility"] != "community" or i["owner"] == token.project_id]
    hidden = params.get("os_hidden", "false").lower() == "true"
    images = [i for i in images if bool(i.get("os_hidden")) == hidden]
    for tag in params.getlist("tag"):
        images = [i for i in images if tag in i["tags"]]
    special = {"visibility", "os_hidden", "tag", "limit", "marker", "sort_key", "sort_dir", "sort", "member_status"}
    for key in set(params.keys()) - special:
        wanted = params[key]
        if wanted.startswith("in:"):
            options = set(wanted[3:].split(","))
            images = [i for i in images if str(i.get(key)) in options]
        else:
            images = [i for i in images if str(i.get(key)) == wanted]
    return images


def _sorted(images: list[Record], request: Request) -> list[Record]:
    params = request.query_params
    keys: list[tuple[str, str]] = []
    if "sort" in params:
        for part in params["sort"].split(","):
            key, _, direction = part.partition(":")
            keys.append((key.strip(), direction or "desc"))
    else:
        keys = [(params.get("sort_key", "created_at"), params.get("sort_dir", "desc"))]
    result = list(images)
    for key, direction in reversed([*keys, ("id", keys[0][1])]):
        result.sort(key=lambda i: (i.get(key) is None, str(i.get(key) or "")), reverse=direction == "desc")
    return result


@router.get(PREFIX + "/images")
async def list_images(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    images = [i for i in cloud.store.all("image") if _visible(cloud, token, i)]
    images = _sorted(_filter(images, request, token), request)
    limit = request.query_params.get("limit")
    page, next_url = paginate(images, request, "/v2/images")
    if limit is None and len(page) > 25:  # Glance pages by default, like the real service
        page = page[:25]
        next_url = f"/v2/images?marker={page[-1]['id']}"
    body: dict[str, Any] = {
        "images": [_view(request, i) for i in page],
        "first": "/v2/images",
        "schema": "/v2/schemas/images",
    }
    if next_url:
        body["next"] = next_url[next_url.index("/v2/") :]
    return respond(body)


@router.get(PREFIX + "/images/{image_id}")
async def get_image(request: Request, image_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    return respond(_view(request, _get(cloud, token, image_id)))


@router.post(PREFIX + "/images")
async def create_image(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    spec = await json_body(request)
    visibility = spec.get("visibility", "shared")
    if visibility not in ("public", "private", "shared", "community"):
        raise ApiError(400, f"Invalid visibility value: {visibility}")
    if visibility == "public":
        require(token.is_admin, "You are not authorized to publicize images.")
    for key in set(spec) & _READ_ONLY:
        raise ApiError(403, f"Attribute '{key}' is read-only.")
    for key, allowed in (("disk_format", DISK_FORMATS), ("container_format", CONTAINER_FORMATS)):
        if spec.get(key) is not None and spec[key] not in allowed:
            raise ApiError(400, f"Invalid value '{spec[key]}' for parameter '{key}': must be one of {list(allowed)}")
    image = cloud.store.add("image", new_image(token.project_id, spec))
    return respond(
        _view(request, image),
        status=201,
        headers={"Location": f"{service_url(request, 'image')}/v2/images/{image['id']}"},
    )


@router.patch(PREFIX + "/images/{image_id}")
async def update_image(request: Request, image_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    image = _get(cloud, token, image_id)
    require(token.is_admin or image["owner"] == token.project_id)
    if "json-patch" not in request.headers.get("content-type", ""):
        raise ApiError(415, "Unsupported Content-Type: use application/openstack-images-v2.1-json-patch")
    import json

    try:
        operations = json.loads(await request.body())
    except ValueError:
        raise ApiError(400, "Malformed JSON patch") from None
    if not isinstance(operations, list):
        raise ApiError(400, "A JSON patch is a list of operations")
    changed = dict(image)  # all or nothing: a failing operation leaves the image as it was
    for operation in operations:
        if not isinstance(operation, dict):
            raise ApiError(400, "A JSON patch operation is an object")
        op, path = operation.get("op"), str(operation.get("path", "")).lstrip("/")
        if path in _READ_ONLY:
            raise ApiError(403, f"Attribute '{path}' is read-only.")
        if op in ("add", "replace"):
            value = operation.get("value")
            _check_value(path, value)
            if op == "replace" and path not in CORE_FIELDS and path not in changed:
                raise ApiError(409, f"Property {path} does not exist.")
            changed[path] = value
        elif op == "remove":
            if path in CORE_FIELDS:
                raise ApiError(403, f"Property {path} may not be removed.")
            if path not in changed:
                raise ApiError(409, f"Property {path} does not exist.")
            del changed[path]
        else:
            raise ApiError(400, f"Unsupported patch operation {op!r}")
    image.clear()
    image.update(changed)
    image["updated_at"] = timestamp()
    cloud.store.touch()
    return respond(_view(request, image))


#: Glance's schema types of the core fields a client may change; extra properties are strings.
_INTEGER_FIELDS = ("min_disk", "min_ram")
_BOOLEAN_FIELDS = ("protected", "os_hidden")


def _check_value(path: str, value: Any) -> None:
    """Glance validates a patched image against its schema: a wrong type is a 400 naming the value."""

    def mismatch(kind: str) -> ApiError:
        return ApiError(400, f"Provided object does not match schema 'image': {value!r} is not of type '{kind}'")

    if path in _INTEGER_FIELDS:
        if not isinstance(value, int) or isinstance(value, bool):
            raise mismatch("integer")
        if value < 0:
            raise ApiError(400, f"Provided object does not match schema 'image': {value} is less than the minimum of 0")
    elif path in _BOOLEAN_FIELDS:
        if not isinstance(value, bool):
            raise mismatch("boolean")
    elif path == "tags":
        if not isinstance(value, list):
            raise mismatch("array")
    elif path not in CORE_FIELDS and not isinstance(value, str):
        raise mismatch("string")


@router.delete(PREFIX + "/images/{image_id}")
async def delete_image(request: Request, image_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    image = _get(cloud, token, image_id)
    require(token.is_admin or image["owner"] == token.project_id)
    if image["protected"]:
        raise ApiError(403, f"Image {image_id} is protected and cannot be deleted.")
    cloud.store.delete("image", image_id)
    return no_content()


@router.put(PREFIX + "/images/{image_id}/file")
async def upload_image(request: Request, image_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    image = _get(cloud, token, image_id)
    require(token.is_admin or image["owner"] == token.project_id)
    if image["status"] not in ("queued", "saving"):
        raise ApiError(409, f"Image status transition from {image['status']} to saving is not allowed")
    md5, sha512, size = hashlib.md5(usedforsecurity=False), hashlib.sha512(), 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_IMAGE_BYTES:
            raise ApiError(413, f"Image exceeds the storage quota of the simulated cloud ({MAX_IMAGE_BYTES} bytes)")
        md5.update(chunk)
        sha512.update(chunk)
    image.update(
        {
            "status": "active",
            "size": size,
            "virtual_size": size,
            "checksum": md5.hexdigest(),
            "os_hash_algo": "sha512",
            "os_hash_value": sha512.hexdigest(),
            "updated_at": timestamp(),
        }
    )
    cloud.store.touch()
    return no_content()


@router.post(PREFIX + "/images/{image_id}/tags/{tag}")
@router.put(PREFIX + "/images/{image_id}/tags/{tag}")
async def add_tag(request: Request, image_id: str, tag: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    image = _get(cloud, token, image_id)
    require(token.is_admin or image["owner"] == token.project_id)
    if tag not in image["tags"]:
        image["tags"].append(tag)
        cloud.store.touch()
    return no_content()


@router.delete(PREFIX + "/images/{image_id}/tags/{tag}")
async def remove_tag(request: Request, image_id: str, tag: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    image = _get(cloud, token, image_id)
    require(token.is_admin or image["owner"] == token.project_id)
    if tag not in image["tags"]:
        raise ApiError(404, f"Tag {tag} not found")
    image["tags"].remove(tag)
    cloud.store.touch()
    return no_content()


@router.get(PREFIX + "/schemas/image")
async def image_schema(request: Request) -> Response:
    properties = {name: {"type": ["null", "string", "integer", "boolean", "array"]} for name in CORE_FIELDS}
    return respond({"name": "image", "properties": properties, "additionalProperties": {"type": "string"}})


@router.get(PREFIX + "/schemas/images")
async def images_schema(request: Request) -> Response:
    return respond({"name": "images", "properties": {"images": {"type": "array"}}, "links": []})
