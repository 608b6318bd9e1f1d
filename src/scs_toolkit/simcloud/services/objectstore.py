"""Object storage: a Swift v1 account API, and an S3 front that rejects unknown access keys.

The S3 part only needs to prove the endpoint speaks S3 (scs-0123): any signed request is
answered with S3's own `InvalidAccessKeyId` error document, as a real gateway does for a
credential it does not know.
"""

from __future__ import annotations

import hashlib

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .._auth import require
from .._cloud import Cloud, cloud_of
from .._errors import ApiError
from .._store import Record, timestamp

router = APIRouter()
s3_router = APIRouter()
PREFIX = "/object-store/v1/AUTH_{project_id}"
MAX_OBJECT_BYTES = 16 * 1024 * 1024


def _account(request: Request, project_id: str) -> Cloud:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.is_admin or token.project_id == project_id)
    return cloud


@router.get("/object-store/info")
async def info(request: Request) -> Response:
    return JSONResponse({"swift": {"version": "2.33.0", "max_file_size": MAX_OBJECT_BYTES}})


@router.get(PREFIX)
@router.head(PREFIX)
async def list_containers(request: Request, project_id: str) -> Response:
    cloud = _account(request, project_id)
    containers = sorted(cloud.store.select("container", project_id=project_id), key=lambda c: c["name"])
    listing = [
        {"name": c["name"], "count": _count(cloud, c), "bytes": _bytes(cloud, c), "last_modified": c["last_modified"]}
        for c in containers
    ]
    headers = {
        "X-Account-Container-Count": str(len(listing)),
        "X-Account-Object-Count": str(sum(x["count"] for x in listing)),
        "X-Account-Bytes-Used": str(sum(x["bytes"] for x in listing)),
    }
    if request.method == "HEAD":
        return Response(status_code=204, headers=headers)
    return JSONResponse(listing, headers=headers)


def _count(cloud: Cloud, container: Record) -> int:
    return sum(1 for _ in cloud.store.select("object", container_id=container["id"]))


def _bytes(cloud: Cloud, container: Record) -> int:
    return sum(o["bytes"] for o in cloud.store.select("object", container_id=container["id"]))


def _container(cloud: Cloud, project_id: str, name: str) -> Record:
    container = cloud.store.find("container", project_id=project_id, name=name)
    if container is None:
        raise ApiError(404, f"Container {name} not found")
    return container


@router.put(PREFIX + "/{container}")
async def create_container(request: Request, project_id: str, container: str) -> Response:
    cloud = _account(request, project_id)
    if cloud.store.find("container", project_id=project_id, name=container):
        return Response(status_code=202)
    cloud.store.add("container", {"name": container, "project_id": project_id, "last_modified": timestamp()})
    return Response(status_code=201)


@router.get(PREFIX + "/{container}")
@router.head(PREFIX + "/{container}")
async def list_objects(request: Request, project_id: str, container: str) -> Response:
    cloud = _account(request, project_id)
    record = _container(cloud, project_id, container)
    objects = sorted(cloud.store.select("object", container_id=record["id"]), key=lambda o: o["name"])
    headers = {"X-Container-Object-Count": str(len(objects)), "X-Container-Bytes-Used": str(_bytes(cloud, record))}
    if request.method == "HEAD":
        return Response(status_code=204, headers=headers)
    listing = [{k: o[k] for k in ("name", "bytes", "hash", "content_type", "last_modified")} for o in objects]
    return JSONResponse(listing, headers=headers)


@router.delete(PREFIX + "/{container}")
async def delete_container(request: Request, project_id: str, container: str) -> Response:
    cloud = _account(request, project_id)
    record = _container(cloud, project_id, container)
    if _count(cloud, record):
        raise ApiError(409, "There was a conflict when trying to complete your request: container not empty")
    cloud.store.delete("container", record["id"])
    return Response(status_code=204)


@router.put(PREFIX + "/{container}/{name:path}")
async def put_object(request: Request, project_id: str, container: str, name: str) -> Response:
    cloud = _account(request, project_id)
    record = _container(cloud, project_id, container)
    data = bytearray()
    async for chunk in request.stream():
        data.extend(chunk)
        if len(data) > MAX_OBJECT_BYTES:
            raise ApiError(413, f"Object larger than {MAX_OBJECT_BYTES} bytes")
    etag = hashlib.md5(data, usedforsecurity=False).hexdigest()
    existing = cloud.store.find("object", container_id=record["id"], name=name)
    if existing:
        cloud.store.delete("object", existing["id"])
    cloud.store.add(
        "object",
        {
            "container_id": record["id"],
            "name": name,
            "bytes": len(data),
            "hash": etag,
            "content_type": request.headers.get("content-type", "application/octet-stream"),
            "last_modified": timestamp(),
            "_data": data.hex(),
        },
    )
    return Response(status_code=201, headers={"ETag": etag})


@router.get(PREFIX + "/{container}/{name:path}")
@router.head(PREFIX + "/{container}/{name:path}")
async def get_object(request: Request, project_id: str, container: str, name: str) -> Response:
    cloud = _account(request, project_id)
    record = _container(cloud, project_id, container)
    obj = cloud.store.find("object", container_id=record["id"], name=name)
    if obj is None:
        raise ApiError(404, f"Object {name} not found")
    headers = {"ETag": obj["hash"], "Last-Modified": obj["last_modified"]}
    if request.method == "HEAD":
        return Response(
            status_code=200, headers={**headers, "Content-Length": str(obj["bytes"])}, media_type=obj["content_type"]
        )
    return Response(bytes.fromhex(obj["_data"]), media_type=obj["content_type"], headers=headers)


@router.delete(PREFIX + "/{container}/{name:path}")
async def delete_object(request: Request, project_id: str, container: str, name: str) -> Response:
    cloud = _account(request, project_id)
    record = _container(cloud, project_id, container)
    obj = cloud.store.find("object", container_id=record["id"], name=name)
    if obj is None:
        raise ApiError(404, f"Object {name} not found")
    cloud.store.delete("object", obj["id"])
    return Response(status_code=204)


_S3_ERROR = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidAccessKeyId</Code>'
    "<Message>The AWS Access Key Id you provided does not exist in our records.</Message>"
    "<RequestId>sim</RequestId></Error>"
)


@s3_router.api_route("/", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
@s3_router.api_route("/s3", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
@s3_router.api_route("/s3/{path:path}", methods=["GET", "HEAD", "PUT", "POST", "DELETE"])
async def s3(request: Request) -> Response:
    if "authorization" not in request.headers and "X-Amz-Signature" not in request.query_params:
        return Response(
            _S3_ERROR.replace("InvalidAccessKeyId", "AccessDenied"), status_code=403, media_type="application/xml"
        )
    return Response(_S3_ERROR, status_code=403, media_type="application/xml")
