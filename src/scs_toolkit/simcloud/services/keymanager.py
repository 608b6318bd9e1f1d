"""Barbican v1: secrets (metadata and payload) and containers, as the key-manager standard uses them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .._auth import Token, require
from .._cloud import Cloud, cloud_of, service_url
from .._errors import ApiError
from .._store import Record, timestamp
from ._common import json_body, no_content, project_view, respond

router = APIRouter()
PREFIX = "/key-manager/v1"
#: Roles allowed to create and read secrets (Barbican's `creator`, mapped from Keystone `member`).
_WRITERS = {"admin", "member", "creator"}


@router.get("/key-manager")
@router.get("/key-manager/")
async def versions(request: Request) -> Response:
    link = {"rel": "self", "href": f"{service_url(request, 'key-manager')}/v1/"}
    version = {
        "id": "v1",
        "status": "stable",
        "updated": "2015-04-28T00:00:00Z",
        "links": [link],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.key-manager-v1+json"}],
    }
    return respond({"versions": {"values": [version]}}, status=300)


@router.get(PREFIX)
@router.get(PREFIX + "/")
async def version(request: Request) -> Response:
    link = {"rel": "self", "href": f"{service_url(request, 'key-manager')}/v1/"}
    return respond({"version": {"id": "v1", "status": "stable", "links": [link]}})


def _allowed(cloud: Cloud, token: Token) -> None:
    roles = set(token.roles)
    if cloud.profile.get("key_manager", {}).get("member_is_creator", True):
        require(
            bool(roles & _WRITERS), "Secret creation attempt not allowed - please review your user/project privileges"
        )
    else:
        require(
            bool(roles & {"admin", "creator"}),
            "Secret creation attempt not allowed - please review your user/project privileges",
        )


def _ref(request: Request, kind: str, record_id: str) -> str:
    return f"{service_url(request, 'key-manager')}/v1/{kind}/{record_id}"


def _secret_view(request: Request, secret: Record) -> Record:
    view = project_view(secret, hidden=("project_id",))
    view["secret_ref"] = _ref(request, "secrets", secret["id"])
    view.pop("id", None)
    view["content_types"] = {"default": secret["_content_type"]} if secret.get("_payload") is not None else {}
    return view


def _owned(cloud: Cloud, token: Token, kind: str, record_id: str) -> Record:
    """A secret or container of the caller's project; 404 for anything else (no existence leak)."""
    record = cloud.store.find(kind, id=record_id)
    if record is None or record["project_id"] != token.project_id:
        raise ApiError(404, f"{'Secret' if kind == 'secret' else 'Container'} not found.")
    return record


def _secret(cloud: Cloud, token: Token, secret_id: str) -> Record:
    return _owned(cloud, token, "secret", secret_id)


@router.get(PREFIX + "/secrets")
async def list_secrets(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    _allowed(cloud, token)
    secrets = [s for s in cloud.store.all("secret") if s["project_id"] == token.project_id]
    if "name" in request.query_params:
        secrets = [s for s in secrets if s["name"] == request.query_params["name"]]
    offset = int(request.query_params.get("offset", 0))
    limit = int(request.query_params.get("limit", 10))
    page = secrets[offset : offset + limit]
    body: dict[str, Any] = {"secrets": [_secret_view(request, s) for s in page], "total": len(secrets)}
    if offset + limit < len(secrets):
        body["next"] = f"{_ref(request, 'secrets', '')[:-1]}?limit={limit}&offset={offset + limit}"
    return respond(body)


@router.post(PREFIX + "/secrets")
async def create_secret(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    _allowed(cloud, token)
    spec = await json_body(request)
    payload = spec.get("payload")
    content_type = spec.get("payload_content_type")
    if payload is not None and not content_type:
        raise ApiError(
            400, "Provided object does not match schema 'Secret': payload_content_type is required with a payload"
        )
    if payload is not None and not isinstance(payload, str):
        raise ApiError(400, "Provided object does not match schema 'Secret': payload must be a string")
    moment = timestamp()
    secret = cloud.store.add(
        "secret",
        {
            "name": spec.get("name"),
            "secret_type": spec.get("secret_type", "opaque"),
            "status": "ACTIVE",
            "algorithm": spec.get("algorithm"),
            "bit_length": spec.get("bit_length"),
            "mode": spec.get("mode"),
            "expiration": spec.get("expiration"),
            "created": moment,
            "updated": moment,
            "creator_id": token.user_id,
            "project_id": token.project_id,
            "_payload": payload,
            "_content_type": content_type,
        },
    )
    return respond({"secret_ref": _ref(request, "secrets", secret["id"])}, status=201)


@router.get(PREFIX + "/secrets/{secret_id}")
async def get_secret(request: Request, secret_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    _allowed(cloud, token)
    secret = _secret(cloud, token, secret_id)
    accept = request.headers.get("accept", "")
    wants_payload = accept not in ("", "*/*") and "json" not in accept
    if wants_payload and secret.get("_payload") is not None:
        return Response(secret["_payload"], media_type=secret["_content_type"])
    return respond(_secret_view(request, secret))


@router.get(PREFIX + "/secrets/{secret_id}/payload")
async def get_payload(request: Request, secret_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    _allowed(cloud, token)
    secret = _secret(cloud, token, secret_id)
    if secret.get("_payload") is None:
        raise ApiError(404, "Secret payload not found.")
    return Response(secret["_payload"], media_type=secret["_content_type"])


@router.delete(PREFIX + "/secrets/{secret_id}")
async def delete_secret(request: Request, secret_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    _allowed(cloud, token)
    _secret(cloud, token, secret_id)
    cloud.store.delete("secret", secret_id)
    return no_content()


def _container(cloud: Cloud, token: Token, container_id: str) -> Record:
    return _owned(cloud, token, "kmcontainer", container_id)


@router.get(PREFIX + "/containers")
async def list_containers(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    _allowed(cloud, token)
    containers = [c for c in cloud.store.all("kmcontainer") if c["project_id"] == token.project_id]
    views = [
        {**project_view(c, hidden=("project_id", "id")), "container_ref": _ref(request, "containers", c["id"])}
        for c in containers
    ]
    return respond({"containers": views, "total": len(views)})


@router.post(PREFIX + "/containers")
async def create_container(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    _allowed(cloud, token)
    spec = await json_body(request)
    if spec.get("type") not in ("generic", "rsa", "certificate"):
        raise ApiError(
            400, "Provided object does not match schema 'Container': type must be generic, rsa or certificate"
        )
    refs = spec.get("secret_refs") or []
    for ref in refs:
        _secret(cloud, token, str(ref.get("secret_ref", "")).rstrip("/").rsplit("/", 1)[-1])
    moment = timestamp()
    container = cloud.store.add(
        "kmcontainer",
        {
            "name": spec.get("name"),
            "type": spec["type"],
            "status": "ACTIVE",
            "secret_refs": refs,
            "created": moment,
            "updated": moment,
            "creator_id": token.user_id,
            "project_id": token.project_id,
        },
    )
    return respond({"container_ref": _ref(request, "containers", container["id"])}, status=201)


@router.get(PREFIX + "/containers/{container_id}")
async def get_container(request: Request, container_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    _allowed(cloud, token)
    container = _container(cloud, token, container_id)
    return respond(
        {
            **project_view(container, hidden=("project_id", "id")),
            "container_ref": _ref(request, "containers", container_id),
        }
    )


@router.delete(PREFIX + "/containers/{container_id}")
async def delete_container(request: Request, container_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    _allowed(cloud, token)
    _container(cloud, token, container_id)  # 404 unless it is ours
    cloud.store.delete("kmcontainer", container_id)
    return no_content()
