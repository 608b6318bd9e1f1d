"""Octavia v2: load balancers, listeners, pools, members, health monitors, PENDING_* -> ACTIVE."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .._auth import Token, require
from .._cloud import Cloud, cloud_of, service_url
from .._errors import ApiError
from .._store import Record, now, timestamp
from ._common import json_body, no_content, paginate, project_view, respond

root_router = APIRouter()
#: Mounted at both /load-balancer/v2 and /load-balancer/v2.0, as Octavia answers on both.
router = APIRouter()
PREFIXES = ("/load-balancer/v2", "/load-balancer/v2.0")


@root_router.get("/load-balancer")
@root_router.get("/load-balancer/")
async def versions(request: Request) -> Response:
    link = {"rel": "self", "href": f"{service_url(request, 'load-balancer')}/v2"}
    return respond(
        {"versions": [{"id": "v2.0", "status": "CURRENT", "updated": "2023-01-01T00:00:00Z", "links": [link]}]}
    )


@router.get("")
@router.get("/")
async def version(request: Request) -> Response:
    link = {"rel": "self", "href": f"{service_url(request, 'load-balancer')}/v2"}
    return respond({"version": {"id": "v2.0", "status": "CURRENT", "links": [link]}})


@dataclass(frozen=True)
class _Kind:
    kind: str
    collection: str
    singular: str
    path: str
    parent_field: str | None  # which field links it to its load balancer's tree


_KINDS = {
    "loadbalancers": _Kind("loadbalancer", "loadbalancers", "loadbalancer", "lbaas/loadbalancers", None),
    "listeners": _Kind("listener", "listeners", "listener", "lbaas/listeners", "loadbalancer_id"),
    "pools": _Kind("pool", "pools", "pool", "lbaas/pools", "loadbalancer_id"),
    "healthmonitors": _Kind("healthmonitor", "healthmonitors", "healthmonitor", "lbaas/healthmonitors", "pool_id"),
}


def _settle(cloud: Cloud, record: Record) -> None:
    ready = record.get("_ready_at")
    if ready and now() >= dt.datetime.fromisoformat(ready):
        record["provisioning_status"] = "ACTIVE"
        record["operating_status"] = "ONLINE"
        del record["_ready_at"]
        record["updated_at"] = timestamp()
        cloud.store.touch()


def _pending(cloud: Cloud, record: Record, status: str) -> None:
    delay = float(cloud.profile.get("lb_time_s", 0.5)) + cloud.faults.for_service("load-balancer").build_delay_s
    record.update({"provisioning_status": status, "_ready_at": (now() + dt.timedelta(seconds=delay)).isoformat()})
    if status != "PENDING_DELETE":
        record.setdefault("operating_status", "OFFLINE")


def _lb_of(cloud: Cloud, record: Record) -> Record | None:
    if record.get("loadbalancer_id"):
        return cloud.store.find("loadbalancer", id=record["loadbalancer_id"])
    if record.get("pool_id"):
        pool = cloud.store.find("pool", id=record["pool_id"])
        return _lb_of(cloud, pool) if pool else None
    return record if "vip_address" in record else None


def _require_lb_active(cloud: Cloud, lb: Record | None) -> None:
    if lb is None:
        return
    _settle(cloud, lb)
    if lb["provisioning_status"] != "ACTIVE":
        raise ApiError(409, f"Load Balancer {lb['id']} is immutable and cannot be updated.")
    _pending(cloud, lb, "PENDING_UPDATE")


def _find(cloud: Cloud, token: Token, kind: _Kind | str, record_id: str) -> Record:
    name = kind.kind if isinstance(kind, _Kind) else kind
    record = cloud.store.find(name, id=record_id)
    if record is None or not token.owns(record):
        raise ApiError(404, f"{name.title()} {record_id} not found.")
    _settle(cloud, record)
    return record


def _new(cloud: Cloud, token: Token, kind: _Kind, body: dict[str, Any]) -> Record:
    moment = timestamp()
    base: Record = {
        "name": body.get("name", ""),
        "description": body.get("description", ""),
        "project_id": token.project_id,
        "admin_state_up": body.get("admin_state_up", True),
        "created_at": moment,
        "updated_at": moment,
        "tags": list(body.get("tags") or []),
        "operating_status": "OFFLINE",
    }
    if kind.kind == "loadbalancer":
        subnet = cloud.store.find("subnet", id=body.get("vip_subnet_id"))
        network = cloud.store.find("network", id=body.get("vip_network_id"))
        if subnet is None and network is not None and network["subnets"]:
            subnet = cloud.store.get("subnet", network["subnets"][0])
        if subnet is None:
            raise ApiError(400, "Validation failure: VIP must have a subnet or a network with a subnet.")
        from .network import _allocate_ip

        base.update(
            {
                "vip_subnet_id": subnet["id"],
                "vip_network_id": subnet["network_id"],
                "vip_address": body.get("vip_address") or _allocate_ip(cloud, subnet),
                "vip_port_id": cloud.store.new_id(),
                "provider": body.get("provider", "amphora"),
                "flavor_id": body.get("flavor_id"),
                "listeners": [],
                "pools": [],
                "availability_zone": body.get("availability_zone"),
            }
        )
    elif kind.kind == "listener":
        lb = _find(cloud, token, "loadbalancer", str(body.get("loadbalancer_id")))
        if body.get("protocol") not in ("HTTP", "HTTPS", "TCP", "UDP", "TERMINATED_HTTPS", "SCTP", "PROMETHEUS"):
            raise ApiError(400, f"Invalid input for field/attribute protocol. Value: '{body.get('protocol')}'.")
        _require_lb_active(cloud, lb)
        base.update(
            {
                "loadbalancer_id": lb["id"],
                "loadbalancers": [{"id": lb["id"]}],
                "protocol": body["protocol"],
                "protocol_port": body.get("protocol_port"),
                "default_pool_id": body.get("default_pool_id"),
                "connection_limit": body.get("connection_limit", -1),
            }
        )
    elif kind.kind == "pool":
        lb_id = body.get("loadbalancer_id")
        if not lb_id and body.get("listener_id"):
            lb_id = _find(cloud, token, "listener", body["listener_id"])["loadbalancer_id"]
        lb = _find(cloud, token, "loadbalancer", str(lb_id))
        _require_lb_active(cloud, lb)
        base.update(
            {
                "loadbalancer_id": lb["id"],
                "loadbalancers": [{"id": lb["id"]}],
                "listener_id": body.get("listener_id"),
                "listeners": [{"id": body["listener_id"]}] if body.get("listener_id") else [],
                "protocol": body.get("protocol"),
                "lb_algorithm": body.get("lb_algorithm", "ROUND_ROBIN"),
                "members": [],
                "healthmonitor_id": None,
                "session_persistence": body.get("session_persistence"),
            }
        )
    elif kind.kind == "healthmonitor":
        pool = _find(cloud, token, "pool", str(body.get("pool_id")))
        _require_lb_active(cloud, _lb_of(cloud, pool))
        base.update(
            {
                "pool_id": pool["id"],
                "pools": [{"id": pool["id"]}],
                "type": body.get("type"),
                "delay": body.get("delay"),
                "timeout": body.get("timeout"),
                "max_retries": body.get("max_retries"),
                "max_retries_down": body.get("max_retries_down", 3),
                "http_method": body.get("http_method"),
                "url_path": body.get("url_path"),
                "expected_codes": body.get("expected_codes"),
            }
        )
    _pending(cloud, base, "PENDING_CREATE")
    return base


def _kind(collection: str) -> _Kind:
    kind = _KINDS.get(collection)
    if kind is None:
        raise ApiError(404, f"Resource {collection} not found")
    return kind


@router.get("/lbaas/{collection}")
async def list_resources(request: Request, collection: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    kind = _kind(collection)
    records = [r for r in cloud.store.all(kind.kind) if token.owns(r)]
    for record in records:
        _settle(cloud, record)
    for key in set(request.query_params) - {"limit", "marker", "fields", "sort"}:
        records = [r for r in records if str(r.get(key)) == request.query_params[key]]
    page, next_url = paginate(records, request, f"{service_url(request, 'load-balancer')}/v2/lbaas/{collection}")
    body: dict[str, Any] = {collection: [project_view(r) for r in page]}
    body[f"{collection}_links"] = [{"rel": "next", "href": next_url}] if next_url else []
    return respond(body)


@router.post("/lbaas/{collection}")
async def create_resource(request: Request, collection: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.project_id is not None)
    kind = _kind(collection)
    body = await json_body(request, kind.singular)
    record = cloud.store.add(kind.kind, _new(cloud, token, kind, body))
    return respond({kind.singular: project_view(record)}, status=201)


@router.get("/lbaas/{collection}/{record_id}")
async def get_resource(request: Request, collection: str, record_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    kind = _kind(collection)
    return respond({kind.singular: project_view(_find(cloud, token, kind, record_id))})


@router.put("/lbaas/{collection}/{record_id}")
async def update_resource(request: Request, collection: str, record_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    kind = _kind(collection)
    record = _find(cloud, token, kind, record_id)
    body = await json_body(request, kind.singular)
    _require_lb_active(cloud, _lb_of(cloud, record))
    record.update(
        {
            k: v
            for k, v in body.items()
            if k
            in ("name", "description", "admin_state_up", "tags", "connection_limit", "lb_algorithm", "delay", "timeout")
        }
    )
    _pending(cloud, record, "PENDING_UPDATE")
    return respond({kind.singular: project_view(record)})


@router.delete("/lbaas/{collection}/{record_id}")
async def delete_resource(request: Request, collection: str, record_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    kind = _kind(collection)
    record = _find(cloud, token, kind, record_id)
    if record["provisioning_status"].startswith("PENDING"):
        raise ApiError(409, f"Invalid state {record['provisioning_status']} of loadbalancer resource {record_id}")
    cascade = request.query_params.get("cascade", "false").lower() == "true"
    if kind.kind == "loadbalancer":
        children = [r for k in ("listener", "pool") for r in cloud.store.select(k, loadbalancer_id=record_id)]
        if children and not cascade:
            raise ApiError(400, f"Validation failure: Cannot delete Load Balancer {record_id} - it has children")
        for child in children:
            _delete_tree(cloud, child)
    else:
        _require_lb_active(cloud, _lb_of(cloud, record))
    _delete_tree(cloud, record)
    return no_content()


def _delete_tree(cloud: Cloud, record: Record) -> None:
    kind = next((k.kind for k in _KINDS.values() if cloud.store.find(k.kind, id=record["id"]) is record), None)
    if kind == "pool":
        for member in list(cloud.store.select("member", pool_id=record["id"])):
            cloud.store.delete("member", member["id"])
        for monitor in list(cloud.store.select("healthmonitor", pool_id=record["id"])):
            cloud.store.delete("healthmonitor", monitor["id"])
    if kind is not None:
        cloud.store.delete(kind, record["id"])


# -- members ----------------------------------------------------------------------------------------


@router.get("/lbaas/pools/{pool_id}/members")
async def list_members(request: Request, pool_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    _find(cloud, token, "pool", pool_id)
    members = list(cloud.store.select("member", pool_id=pool_id))
    for member in members:
        _settle(cloud, member)
    return respond({"members": [project_view(m) for m in members], "members_links": []})


@router.post("/lbaas/pools/{pool_id}/members")
async def create_member(request: Request, pool_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    pool = _find(cloud, token, "pool", pool_id)
    body = await json_body(request, "member")
    if not body.get("address") or not body.get("protocol_port"):
        raise ApiError(400, "Invalid input: address and protocol_port are required")
    _require_lb_active(cloud, _lb_of(cloud, pool))
    moment = timestamp()
    member = {
        "name": body.get("name", ""),
        "pool_id": pool_id,
        "project_id": token.project_id,
        "address": body["address"],
        "protocol_port": body["protocol_port"],
        "weight": body.get("weight", 1),
        "subnet_id": body.get("subnet_id"),
        "admin_state_up": body.get("admin_state_up", True),
        "backup": False,
        "monitor_address": None,
        "monitor_port": None,
        "created_at": moment,
        "updated_at": moment,
        "tags": [],
        "operating_status": "NO_MONITOR",
    }
    _pending(cloud, member, "PENDING_CREATE")
    record = cloud.store.add("member", member)
    return respond({"member": project_view(record)}, status=201)


@router.get("/lbaas/pools/{pool_id}/members/{member_id}")
async def get_member(request: Request, pool_id: str, member_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    member = _find(cloud, token, "member", member_id)
    if member["pool_id"] != pool_id:
        raise ApiError(404, f"Member {member_id} not found.")
    return respond({"member": project_view(member)})


@router.delete("/lbaas/pools/{pool_id}/members/{member_id}")
async def delete_member(request: Request, pool_id: str, member_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    member = _find(cloud, token, "member", member_id)
    if member["pool_id"] != pool_id:
        raise ApiError(404, f"Member {member_id} not found.")
    _require_lb_active(cloud, _lb_of(cloud, cloud.store.get("pool", pool_id)))
    cloud.store.delete("member", member_id)
    return no_content()


@router.get("/lbaas/loadbalancers/{lb_id}/status")
async def lb_status(request: Request, lb_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    lb = _find(cloud, token, "loadbalancer", lb_id)
    listeners = []
    for listener in cloud.store.select("listener", loadbalancer_id=lb_id):
        pools = []
        for pool in cloud.store.select("pool", listener_id=listener["id"]):
            members = [
                {
                    "id": m["id"],
                    "name": m["name"],
                    "operating_status": m["operating_status"],
                    "provisioning_status": m["provisioning_status"],
                    "address": m["address"],
                    "protocol_port": m["protocol_port"],
                }
                for m in cloud.store.select("member", pool_id=pool["id"])
            ]
            pools.append(
                {
                    "id": pool["id"],
                    "name": pool["name"],
                    "provisioning_status": pool["provisioning_status"],
                    "operating_status": pool["operating_status"],
                    "members": members,
                }
            )
        listeners.append(
            {
                "id": listener["id"],
                "name": listener["name"],
                "pools": pools,
                "provisioning_status": listener["provisioning_status"],
                "operating_status": listener["operating_status"],
            }
        )
    return respond(
        {
            "statuses": {
                "loadbalancer": {
                    "id": lb_id,
                    "name": lb["name"],
                    "listeners": listeners,
                    "provisioning_status": lb["provisioning_status"],
                    "operating_status": lb["operating_status"],
                }
            }
        }
    )
