"""Neutron v2.0: networks, subnets, routers, ports, security groups (with default rules), floating IPs.

The resources share one generic CRUD implementation (filters, fields, pagination, ownership,
Neutron's attribute checks); what is special about a resource lives in its `_new_*` constructor
and delete hook. Errors carry Neutron's exception names (`NetworkNotFound`, `SubnetInUse`, ...).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .._auth import Token
from .._cloud import Cloud, cloud_of, service_url
from .._errors import ApiError
from .._store import Record, timestamp
from ._common import json_body, no_content, paginate, project_view, respond

router = APIRouter()
PREFIX = "/network/v2.0"
EXTENSIONS = (
    "router",
    "external-net",
    "security-group",
    "security-groups-default-rules",
    "quotas",
    "standard-attr-description",
    "standard-attr-timestamp",
    "standard-attr-tag",
    "availability_zone",
    "network_availability_zone",
    "router_availability_zone",
    "ext-gw-mode",
    "l3-ha",
    "binding",
    "port-security",
    "project-id",
    "pagination",
    "sorting",
    "fip-port-details",
)


@router.get("/network")
@router.get("/network/")
async def versions(request: Request) -> Response:
    link = {"rel": "self", "href": f"{service_url(request, 'network')}/v2.0/"}
    return respond({"versions": [{"id": "v2.0", "status": "CURRENT", "links": [link]}]})


@router.get(PREFIX)
@router.get(PREFIX + "/")
async def resources(request: Request) -> Response:
    base = f"{service_url(request, 'network')}/v2.0"
    names = [spec.collection for spec in _SPECS.values()]
    listing = [{"name": n[:-1], "collection": n, "links": [{"rel": "self", "href": f"{base}/{n}"}]} for n in names]
    return respond({"resources": listing})


@router.get(PREFIX + "/extensions")
async def extensions(request: Request) -> Response:
    cloud_of(request).token_for(request)
    items = [
        {"alias": a, "name": a, "description": a, "updated": "2023-01-01T00:00:00-00:00", "links": []}
        for a in EXTENSIONS
    ]
    return respond({"extensions": items})


# -- generic resource handling --------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    kind: str
    collection: str
    singular: str
    new: Callable[[Cloud, Token, dict[str, Any]], Record]
    on_delete: Callable[[Cloud, Record], None] | None = None
    #: Fields a non-admin owner may change with PUT.
    mutable: tuple[str, ...] = ("name", "description", "admin_state_up", "tags")
    #: Attributes a POST may carry (Neutron's attribute map); anything else is "Unrecognized".
    creatable: tuple[str, ...] = ()
    #: Attributes only admins may set in a POST (Neutron's `create_<resource>:<attribute>` rules).
    admin_only: tuple[str, ...] = ()
    #: Neutron's exception name and message when the record is missing or invisible.
    not_found: tuple[str, str] = ("NotFound", "{id} could not be found.")
    #: Readable through a shared or external network (networks themselves, their subnets).
    shared_visible: bool = False
    #: Cloud-wide records (no project) that every user may read.
    everyone_reads: bool = False


#: attributes every resource with standard attributes accepts in a POST
_STANDARD = ("name", "description", "tenant_id", "project_id", "tags")


def _owned(cloud: Cloud, token: Token, record: Record, spec: _Spec) -> bool:
    if token.is_admin or record.get("project_id") == token.project_id or spec.everyone_reads:
        return True
    if not spec.shared_visible:
        return False
    network = record if spec.kind == "network" else cloud.store.find("network", id=record.get("network_id"))
    return network is not None and bool(network.get("shared") or network.get("router:external"))


def _policy(allowed: bool, rule: str) -> None:
    """Neutron's 403 for a resource the caller sees but may not touch (invisible ones are 404s)."""
    if not allowed:
        raise ApiError(403, f"({rule}) is disallowed by policy", kind="PolicyNotAuthorized")


def _missing(spec: _Spec, record_id: str) -> ApiError:
    kind, template = spec.not_found
    return ApiError(404, template.format(id=record_id), kind=kind)


def _find(cloud: Cloud, token: Token, spec: _Spec, record_id: str) -> Record:
    record = cloud.store.find(spec.kind, id=record_id)
    if record is None or not _owned(cloud, token, record, spec):
        raise _missing(spec, record_id)
    return record


#: Neutron's converters for typed attributes (its attribute maps: convert_to_int, convert_to_boolean).
_INTEGERS = frozenset(
    {"mtu", "ip_version", "port_range_min", "port_range_max", "prefixlen", "provider:segmentation_id"}
)
_BOOLEANS = frozenset(
    {"admin_state_up", "shared", "port_security_enabled", "router:external", "enable_dhcp", "is_default", "distributed"}
)


def _converted(attribute: str, value: Any) -> Any:
    """The value as Neutron's converter leaves it, or its 400 InvalidInput."""
    if attribute in _INTEGERS and value is not None:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
        raise ApiError(400, f"Invalid input for {attribute}. Reason: '{value}' is not an integer.", kind="InvalidInput")
    if attribute in _BOOLEANS:
        truth = {"true": True, "1": True, "false": False, "0": False}
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, str)) and str(value).lower() in truth:
            return truth[str(value).lower()]
        raise ApiError(
            400,
            f"Invalid input for {attribute}. Reason: '{value}' cannot be converted to boolean.",
            kind="InvalidInput",
        )
    return value


def _check_attributes(spec: _Spec, body: dict[str, Any], token: Token) -> None:
    """Neutron's API layer: 400 for attributes the resource does not have or values its converters refuse,
    then 403 for admin-only ones. Converted values replace the given ones (`"mtu": "1450"` is 1450)."""
    unknown = sorted(set(body) - set(spec.creatable))
    if unknown:
        raise ApiError(400, f"Unrecognized attribute(s) '{', '.join(unknown)}'", kind="HTTPBadRequest")
    for attribute in list(body):
        body[attribute] = _converted(attribute, body[attribute])
    for attribute in spec.admin_only:
        if attribute in body:
            _policy(token.is_admin, f"rule:create_{spec.singular} and rule:create_{spec.singular}:{attribute}")


def _view(record: Record, request: Request) -> Record:
    view = project_view(record)
    fields = request.query_params.getlist("fields")
    if fields:
        view = {k: v for k, v in view.items() if k in fields}
    return view


def _base(cloud: Cloud, token: Token, body: dict[str, Any]) -> Record:
    project_id = body.get("project_id") or body.get("tenant_id") or token.project_id
    if project_id != token.project_id:
        _policy(token.is_admin, "rule:create_resource:tenant_id")
    moment = timestamp()
    return {
        "name": body.get("name", ""),
        "description": body.get("description", ""),
        "project_id": project_id,
        "tenant_id": project_id,
        "created_at": moment,
        "updated_at": moment,
        "revision_number": 0,
        "tags": list(body.get("tags") or []),
    }


def _list(request: Request, spec: _Spec) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    ensure_default_security_group(cloud, token.project_id)  # as Neutron does on a project's first use
    records = [r for r in cloud.store.all(spec.kind) if _owned(cloud, token, r, spec)]
    params = request.query_params
    for key in set(params.keys()) - {"fields", "limit", "marker", "sort_key", "sort_dir", "page_reverse"}:
        wanted = params.getlist(key)
        records = [r for r in records if _field_matches(r.get(key), wanted)]
    records.sort(key=lambda r: (str(r.get(params.get("sort_key", "created_at"), "")), r["id"]))
    if params.get("sort_dir") == "desc":
        records.reverse()
    url = f"{service_url(request, 'network')}/v2.0/{spec.collection}"
    page, next_url = paginate(records, request, url)
    if spec.kind == "security_group":
        page = [_group_view_rules(cloud, r) for r in page]
    body: dict[str, Any] = {spec.collection: [_view(r, request) for r in page]}
    if next_url:
        body[f"{spec.collection}_links"] = [{"rel": "next", "href": next_url}]
    return respond(body)


def _field_matches(actual: Any, wanted: list[str]) -> bool:
    if isinstance(actual, bool):
        return str(actual).lower() in [w.lower() for w in wanted]
    if isinstance(actual, list):
        return any(w in [str(a) for a in actual] for w in wanted)
    return str(actual) in wanted if actual is not None else any(w in ("", "None", "null") for w in wanted)


async def _create(request: Request, spec: _Spec) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    document = await json_body(request)
    if f"{spec.collection}" in document:
        items = document[spec.collection]
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise ApiError(400, f"Invalid input: {spec.collection} must be a list of objects", kind="HTTPBadRequest")
        for item in items:
            _check_attributes(spec, item, token)
        created: list[Record] = []
        try:
            for item in items:
                created.append(cloud.store.add(spec.kind, spec.new(cloud, token, item)))
        except ApiError:  # Neutron's bulk create is all or nothing
            for record in reversed(created):
                if spec.on_delete:
                    spec.on_delete(cloud, record)
                cloud.store.delete(spec.kind, record["id"])
            raise
        return respond({spec.collection: [_created_view(cloud, spec, r) for r in created]}, status=201)
    body = document.get(spec.singular)
    if not isinstance(body, dict):
        raise ApiError(400, f"Resource body required with '{spec.singular}'", kind="HTTPBadRequest")
    _check_attributes(spec, body, token)
    record = cloud.store.add(spec.kind, spec.new(cloud, token, body))
    return respond({spec.singular: _created_view(cloud, spec, record)}, status=201)


def _created_view(cloud: Cloud, spec: _Spec, record: Record) -> Record:
    """What a POST answers: the new record as a GET shows it (a security group with its rules)."""
    if spec.kind == "security_group":
        return project_view(_group_view_rules(cloud, record))
    return project_view(record)


async def _update(request: Request, spec: _Spec, record_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    record = _find(cloud, token, spec, record_id)
    immutable = spec.kind == "default_security_group_rule"  # not even admins change a template
    if not immutable:  # a template's body is refused first: the API layer knows no attribute it may change
        _policy(token.is_admin or record.get("project_id") == token.project_id, f"rule:update_{spec.singular}")
    body = await json_body(request, spec.singular)
    unknown = set(body) - set(spec.mutable)
    if unknown and (immutable or not token.is_admin):
        raise ApiError(400, f"Cannot update read-only attribute {', '.join(sorted(unknown))}", kind="HTTPBadRequest")
    if immutable:
        _policy(token.is_admin, f"rule:update_{spec.singular}")
    if spec.kind == "floating_ip" and "port_id" in body:
        _associate(cloud, token, record, body["port_id"], body.get("fixed_ip_address"))
    if spec.kind == "router" and "external_gateway_info" in body:
        _set_gateway(cloud, record, body.pop("external_gateway_info"), token)
    record.update({k: v for k, v in body.items() if k != "port_id"})
    record["updated_at"] = timestamp()
    record["revision_number"] += 1
    cloud.store.touch()
    return respond({spec.singular: _created_view(cloud, spec, record)})


def _delete(request: Request, spec: _Spec, record_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    record = _find(cloud, token, spec, record_id)
    _policy(token.is_admin or record.get("project_id") == token.project_id, f"rule:delete_{spec.singular}")
    if spec.on_delete:
        spec.on_delete(cloud, record)
    cloud.store.delete(spec.kind, record_id)
    return no_content()


# -- networks and subnets -------------------------------------------------------------------------


def _new_network(cloud: Cloud, token: Token, body: dict[str, Any]) -> Record:
    external = bool(body.get("router:external", False))
    for attribute in ("router:external", "shared"):
        if body.get(attribute):
            _policy(token.is_admin, f"rule:create_network and rule:create_network:{attribute}")
    return {
        **_base(cloud, token, body),
        "status": "ACTIVE",
        "admin_state_up": body.get("admin_state_up", True),
        "shared": bool(body.get("shared", False)),
        "router:external": external,
        "subnets": [],
        "mtu": 1450,
        "port_security_enabled": body.get("port_security_enabled", True),
        "availability_zones": ["nova"],
        "availability_zone_hints": [],
        "ipv4_address_scope": None,
        "ipv6_address_scope": None,
        "is_default": bool(body.get("is_default", False)),
        "provider:network_type": "geneve",
    }


def _delete_network(cloud: Cloud, network: Record) -> None:
    ports = [p for p in cloud.store.select("port", network_id=network["id"]) if p["device_owner"] != "network:dhcp"]
    if ports:
        raise ApiError(
            409,
            f"Unable to complete operation on network {network['id']}. There are one or more ports still in use on the network.",
            kind="NetworkInUse",
        )
    for subnet in list(cloud.store.select("subnet", network_id=network["id"])):
        cloud.store.delete("subnet", subnet["id"])


def _new_subnet(cloud: Cloud, token: Token, body: dict[str, Any]) -> Record:
    # as Neutron: attribute formats first, then policy, then the plugin's lookups
    try:
        cidr = ipaddress.ip_network(str(body.get("cidr")), strict=False)
    except ValueError:
        raise ApiError(
            400,
            f"Invalid input for cidr. Reason: '{body.get('cidr')}' is not a valid IP subnet.",
            kind="HTTPBadRequest",
        ) from None
    version = body.get("ip_version", cidr.version)
    if version not in (4, 6, "4", "6"):
        raise ApiError(
            400, f"Invalid input for ip_version. Reason: '{version}' is not in [4, 6].", kind="HTTPBadRequest"
        )
    version = int(version)
    if version != cidr.version:
        raise ApiError(400, "Invalid input for operation: cidr and ip_version do not match.", kind="InvalidInput")
    network_id = body.get("network_id")
    network = cloud.store.find("network", id=network_id) if network_id else None
    if network is None or not _owned(cloud, token, network, _SPECS["networks"]):
        raise _missing(_SPECS["networks"], str(network_id))
    if not (token.is_admin or network["project_id"] == token.project_id):
        raise ApiError(403, "(rule:create_subnet) is disallowed by policy", kind="PolicyNotAuthorized")
    hosts = cidr.hosts()
    gateway = body.get("gateway_ip", str(next(hosts)))
    first = next(hosts)
    record = {
        **_base(cloud, token, body),
        "network_id": network["id"],
        "cidr": str(cidr),
        "ip_version": version,
        "gateway_ip": gateway,
        "enable_dhcp": body.get("enable_dhcp", True),
        "dns_nameservers": list(body.get("dns_nameservers") or []),
        "host_routes": [],
        "allocation_pools": body.get("allocation_pools") or [{"start": str(first), "end": str(cidr[-2])}],
        "ipv6_ra_mode": body.get("ipv6_ra_mode"),
        "ipv6_address_mode": body.get("ipv6_address_mode"),
        "subnetpool_id": None,
        "service_types": [],
        "_next_host": 0,
    }
    record.setdefault("id", cloud.store.new_id())
    network["subnets"].append(record["id"])
    return record


def _delete_subnet(cloud: Cloud, subnet: Record) -> None:
    for port in cloud.store.all("port"):
        if any(ip["subnet_id"] == subnet["id"] for ip in port["fixed_ips"]):
            raise ApiError(
                409,
                f"Unable to complete operation on subnet {subnet['id']}: One or more ports have an IP allocation from this subnet.",
                kind="SubnetInUse",
            )
    network = cloud.store.find("network", id=subnet["network_id"])
    if network and subnet["id"] in network["subnets"]:
        network["subnets"].remove(subnet["id"])


def _allocate_ip(cloud: Cloud, subnet: Record) -> str:
    cidr = ipaddress.ip_network(subnet["cidr"])
    used = {ip["ip_address"] for p in cloud.store.all("port") for ip in p["fixed_ips"]}
    used |= {f["floating_ip_address"] for f in cloud.store.all("floating_ip")}
    used.add(subnet["gateway_ip"])
    start = int(ipaddress.ip_address(subnet["allocation_pools"][0]["start"]))
    end = int(ipaddress.ip_address(subnet["allocation_pools"][0]["end"]))
    for number in range(start, end + 1):
        candidate = ipaddress.ip_address(number) if cidr.version == 4 else ipaddress.IPv6Address(number)
        if str(candidate) not in used and candidate in cidr:
            return str(candidate)
    raise ApiError(
        409, f"No more IP addresses available on network {subnet['network_id']}.", kind="IpAddressGenerationFailure"
    )


# -- ports ------------------------------------------------------------------------------------------


def _new_port(cloud: Cloud, token: Token, body: dict[str, Any]) -> Record:
    network_id = body.get("network_id")
    network = cloud.store.find("network", id=network_id) if network_id else None
    if network is None or not _owned(cloud, token, network, _SPECS["networks"]):
        raise _missing(_SPECS["networks"], str(network_id))
    fixed_ips = []
    for subnet_id in network["subnets"][:1]:
        subnet = cloud.store.get("subnet", subnet_id)
        fixed_ips.append({"subnet_id": subnet_id, "ip_address": _allocate_ip(cloud, subnet)})
    project_id = body.get("project_id") or token.project_id
    ensure_default_security_group(cloud, project_id)
    groups = body.get("security_groups")
    if groups is None:
        default = cloud.store.find("security_group", project_id=project_id, name="default")
        groups = [default["id"]] if default else []
    mac_id = cloud.store.count("port") + cloud.store.count("floating_ip") + 1
    return {
        **_base(cloud, token, body),
        "network_id": network["id"],
        "mac_address": f"fa:16:3e:{(mac_id >> 16) & 255:02x}:{(mac_id >> 8) & 255:02x}:{mac_id & 255:02x}",
        "fixed_ips": fixed_ips,
        "device_id": body.get("device_id", ""),
        "device_owner": body.get("device_owner", ""),
        "status": "ACTIVE" if body.get("device_id") else "DOWN",
        "admin_state_up": body.get("admin_state_up", True),
        "security_groups": list(groups),
        "port_security_enabled": body.get("port_security_enabled", True),
        "allowed_address_pairs": [],
        "binding:vnic_type": body.get("binding:vnic_type", "normal"),
        "extra_dhcp_opts": [],
        "dns_name": "",
    }


def _delete_port(cloud: Cloud, port: Record) -> None:
    if port["device_owner"] == "network:router_interface":
        raise ApiError(
            409,
            f"Port {port['id']} cannot be deleted directly via the port API: has device owner network:router_interface.",
            kind="ServicePortInUse",
        )
    for fip in cloud.store.select("floating_ip", port_id=port["id"]):
        _disassociate(cloud, fip)


# -- routers ----------------------------------------------------------------------------------------


def _new_router(cloud: Cloud, token: Token, body: dict[str, Any]) -> Record:
    record = {
        **_base(cloud, token, body),
        "status": "ACTIVE",
        "admin_state_up": body.get("admin_state_up", True),
        "external_gateway_info": None,
        "routes": [],
        "availability_zones": ["nova"],
        "availability_zone_hints": [],
        "distributed": False,
        "ha": False,
    }
    _set_gateway(cloud, record, body.get("external_gateway_info"), token)
    return record


def _set_gateway(cloud: Cloud, router_record: Record, info: Any, token: Token | None = None) -> None:
    if not info:
        router_record["external_gateway_info"] = None
        return
    for detail in ("enable_snat", "external_fixed_ips"):  # admin-only details of the gateway
        if token is not None and detail in info:
            _policy(token.is_admin, f"rule:create_router and rule:create_router:external_gateway_info:{detail}")
    network = cloud.store.find("network", id=info.get("network_id"))
    if network is None or not network["router:external"]:
        raise ApiError(
            400, f"Bad router request: network {info.get('network_id')} is not an external network.", kind="BadRequest"
        )
    subnet_id = network["subnets"][0] if network["subnets"] else None
    ips = (
        [{"subnet_id": subnet_id, "ip_address": _allocate_ip(cloud, cloud.store.get("subnet", subnet_id))}]
        if subnet_id
        else []
    )
    router_record["external_gateway_info"] = {
        "network_id": network["id"],
        "enable_snat": info.get("enable_snat", True),
        "external_fixed_ips": ips,
    }


def _delete_router(cloud: Cloud, router_record: Record) -> None:
    interfaces = list(
        cloud.store.select("port", device_id=router_record["id"], device_owner="network:router_interface")
    )
    if interfaces:
        raise ApiError(409, f"Router {router_record['id']} still has ports", kind="RouterInUse")
    if any(f.get("router_id") == router_record["id"] for f in cloud.store.all("floating_ip")):
        raise ApiError(409, f"Router {router_record['id']} still has floating IPs associated", kind="RouterInUse")


@router.put(PREFIX + "/routers/{router_id}/add_router_interface")
async def add_router_interface(request: Request, router_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    router_record = _find(cloud, token, _SPECS["routers"], router_id)
    body = await json_body(request)
    if "subnet_id" in body:
        subnet = _find(cloud, token, _SPECS["subnets"], str(body["subnet_id"]))
        if any(
            ip["subnet_id"] == subnet["id"]
            for p in cloud.store.select("port", device_id=router_id)
            for ip in p["fixed_ips"]
        ):
            raise ApiError(400, f"Router already has a port on subnet {subnet['id']}", kind="BadRequest")
        port = cloud.store.add(
            "port",
            {
                **_new_port(
                    cloud,
                    token,
                    {
                        "network_id": subnet["network_id"],
                        "device_id": router_id,
                        "device_owner": "network:router_interface",
                        "security_groups": [],
                    },
                ),
                "fixed_ips": [{"subnet_id": subnet["id"], "ip_address": subnet["gateway_ip"]}],
            },
        )
    elif "port_id" in body:
        port = _find(cloud, token, _SPECS["ports"], str(body["port_id"]))
        port.update({"device_id": router_id, "device_owner": "network:router_interface", "status": "ACTIVE"})
        subnet = cloud.store.get("subnet", port["fixed_ips"][0]["subnet_id"])
    else:
        raise ApiError(400, "Bad router request: Either subnet_id or port_id must be specified", kind="BadRequest")
    cloud.store.touch()
    return respond(
        {
            "id": router_id,
            "tenant_id": router_record["project_id"],
            "project_id": router_record["project_id"],
            "port_id": port["id"],
            "subnet_id": subnet["id"],
            "subnet_ids": [subnet["id"]],
            "network_id": subnet["network_id"],
        }
    )


@router.put(PREFIX + "/routers/{router_id}/remove_router_interface")
async def remove_router_interface(request: Request, router_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    router_record = _find(cloud, token, _SPECS["routers"], router_id)
    body = await json_body(request)
    ports = list(cloud.store.select("port", device_id=router_id, device_owner="network:router_interface"))
    if "port_id" in body:
        ports = [p for p in ports if p["id"] == body["port_id"]]
    elif "subnet_id" in body:
        ports = [p for p in ports if any(ip["subnet_id"] == body["subnet_id"] for ip in p["fixed_ips"])]
    if not ports:
        raise ApiError(
            404, f"Router {router_id} does not have an interface with {body}", kind="RouterInterfaceNotFound"
        )
    port = ports[0]
    cloud.store.delete("port", port["id"])
    subnet_id = port["fixed_ips"][0]["subnet_id"] if port["fixed_ips"] else None
    return respond(
        {"id": router_id, "project_id": router_record["project_id"], "port_id": port["id"], "subnet_id": subnet_id}
    )


@router.put(PREFIX + "/routers/{router_id}/add_external_gateways")
@router.put(PREFIX + "/routers/{router_id}/remove_external_gateways")
async def external_gateways(request: Request, router_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    router_record = _find(cloud, token, _SPECS["routers"], router_id)
    body = await json_body(request, "router")
    gateways = body.get("external_gateways") or []
    adding = request.url.path.endswith("add_external_gateways")
    _set_gateway(cloud, router_record, gateways[0] if adding and gateways else None)
    cloud.store.touch()
    return respond({"router": project_view(router_record)})


# -- security groups --------------------------------------------------------------------------------

DEFAULT_RULE_FIELDS = (
    "direction",
    "ethertype",
    "protocol",
    "port_range_min",
    "port_range_max",
    "remote_ip_prefix",
    "remote_group_id",
    "remote_address_group_id",
)


def ensure_default_security_group(cloud: Cloud, project_id: str | None) -> None:
    """Neutron creates a project's `default` group on first use, from the default rule templates."""
    if project_id is None or cloud.store.find("security_group", project_id=project_id, name="default"):
        return
    group = _group_record(cloud, project_id, "default", "Default security group", default=True)
    cloud.store.add("security_group", group)


def _group_record(cloud: Cloud, project_id: str, name: str, description: str, default: bool) -> Record:
    group_id = cloud.store.new_id()
    moment = timestamp()
    for template in cloud.store.all("default_security_group_rule"):
        if not template["used_in_default_sg" if default else "used_in_non_default_sg"]:
            continue
        remote_group = template.get("remote_group_id")
        if remote_group == "PARENT":
            remote_group = group_id
        cloud.store.add(
            "security_group_rule",
            {
                **{f: template.get(f) for f in DEFAULT_RULE_FIELDS},
                "remote_group_id": remote_group,
                "security_group_id": group_id,
                "project_id": project_id,
                "tenant_id": project_id,
                "description": template.get("description", ""),
                "created_at": moment,
                "updated_at": moment,
                "revision_number": 0,
            },
        )
    return {
        "id": group_id,
        "name": name,
        "description": description,
        "project_id": project_id,
        "tenant_id": project_id,
        "stateful": True,
        "shared": False,
        "created_at": moment,
        "updated_at": moment,
        "revision_number": 0,
        "tags": [],
    }


def _group_view_rules(cloud: Cloud, group: Record) -> Record:
    rules = [project_view(r) for r in cloud.store.select("security_group_rule", security_group_id=group["id"])]
    return {**group, "security_group_rules": rules}


def _new_security_group(cloud: Cloud, token: Token, body: dict[str, Any]) -> Record:
    base = _base(cloud, token, body)
    if base["name"] == "default" and cloud.store.find("security_group", project_id=base["project_id"], name="default"):
        raise ApiError(409, "Default security group already exists.", kind="SecurityGroupDefaultAlreadyExists")
    record = _group_record(cloud, base["project_id"], base["name"], base["description"], default=False)
    return record


def _delete_security_group(cloud: Cloud, group: Record) -> None:
    if group["name"] == "default":
        raise ApiError(
            409, "Insufficient rights for removing default security group.", kind="SecurityGroupCannotRemoveDefault"
        )
    in_use = [p for p in cloud.store.all("port") if group["id"] in p["security_groups"]]
    if in_use:
        raise ApiError(409, f"Security Group {group['id']} in use.", kind="SecurityGroupInUse")
    for rule in list(cloud.store.select("security_group_rule", security_group_id=group["id"])):
        cloud.store.delete("security_group_rule", rule["id"])


def _new_security_group_rule(cloud: Cloud, token: Token, body: dict[str, Any]) -> Record:
    direction = body.get("direction")  # attribute checks come before lookups, as in Neutron's API layer
    if direction not in ("ingress", "egress"):
        raise ApiError(
            400,
            f"Invalid input for direction. Reason: '{direction}' is not in ['ingress', 'egress'].",
            kind="HTTPBadRequest",
        )
    ethertype = body.get("ethertype", "IPv4")
    if ethertype not in ("IPv4", "IPv6"):
        raise ApiError(
            400,
            f"Invalid input for ethertype. Reason: '{ethertype}' is not in ['IPv4', 'IPv6'].",
            kind="HTTPBadRequest",
        )
    group = cloud.store.find("security_group", id=body.get("security_group_id"))
    if group is None or not (token.is_admin or group["project_id"] == token.project_id):
        raise ApiError(
            404, f"Security group {body.get('security_group_id')} does not exist", kind="SecurityGroupNotFound"
        )
    rule = {f: body.get(f) for f in DEFAULT_RULE_FIELDS}
    rule["ethertype"] = ethertype
    for existing in cloud.store.select("security_group_rule", security_group_id=group["id"]):
        if all(existing.get(f) == rule.get(f) for f in DEFAULT_RULE_FIELDS):
            raise ApiError(
                409, f"Security group rule already exists. Rule id is {existing['id']}.", kind="SecurityGroupRuleExists"
            )
    return {
        **_base(cloud, token, body),
        **rule,
        "security_group_id": group["id"],
        "project_id": group["project_id"],
        "tenant_id": group["project_id"],
    }


_ANYWHERE = {"IPv4": "0.0.0.0/0", "IPv6": "::/0"}


def _same_template(existing: Record, rule: Record) -> bool:
    """Neutron's duplicate test for default rules: equal fields (no prefix = anywhere), and used for some of the
    same groups (default or custom)."""

    def prefix(record: Record) -> Any:
        return record.get("remote_ip_prefix") or _ANYWHERE.get(str(record.get("ethertype")))

    fields = [f for f in DEFAULT_RULE_FIELDS if f != "remote_ip_prefix"]
    if any(existing.get(f) != rule.get(f) for f in fields) or prefix(existing) != prefix(rule):
        return False
    return bool(
        (existing["used_in_default_sg"] and rule["used_in_default_sg"])
        or (existing["used_in_non_default_sg"] and rule["used_in_non_default_sg"])
    )


def _new_default_rule(cloud: Cloud, token: Token, body: dict[str, Any]) -> Record:
    _policy(token.is_admin, "rule:create_default_security_group_rule")
    rule = {f: body.get(f) for f in DEFAULT_RULE_FIELDS}
    rule["ethertype"] = body.get("ethertype", "IPv4")
    record = {
        **rule,
        "description": body.get("description", ""),
        "used_in_default_sg": bool(body.get("used_in_default_sg", True)),
        "used_in_non_default_sg": bool(body.get("used_in_non_default_sg", True)),
    }
    for existing in cloud.store.all("default_security_group_rule"):
        if _same_template(existing, record):
            raise ApiError(
                409,
                f"Default Security group rule already exists. Rule id is {existing['id']}.",
                kind="DefaultSecurityGroupRuleExists",
            )
    return record


# -- floating IPs -----------------------------------------------------------------------------------


def _new_floating_ip(cloud: Cloud, token: Token, body: dict[str, Any]) -> Record:
    network = cloud.store.find("network", id=body.get("floating_network_id"))
    if network is None or not _owned(cloud, token, network, _SPECS["networks"]):
        raise _missing(_SPECS["networks"], str(body.get("floating_network_id")))
    if not network["router:external"]:
        raise ApiError(
            400, f"Bad floatingip request: Network {network['id']} is not a valid external network.", kind="BadRequest"
        )
    if not network["subnets"]:
        raise ApiError(
            409, f"No more IP addresses available on network {network['id']}.", kind="IpAddressGenerationFailure"
        )
    quota = cloud.profile.get("quotas", {}).get("floating_ips", 50)
    if sum(1 for f in cloud.store.all("floating_ip") if f["project_id"] == token.project_id) >= quota:
        raise ApiError(409, "Quota exceeded for resources: ['floatingip'].", kind="OverQuota")
    address = body.get("floating_ip_address") or _allocate_ip(cloud, cloud.store.get("subnet", network["subnets"][0]))
    record = {
        **_base(cloud, token, body),
        "floating_ip_address": address,
        "floating_network_id": network["id"],
        "fixed_ip_address": None,
        "port_id": None,
        "router_id": None,
        "status": "DOWN",
        "port_details": None,
        "dns_domain": "",
        "dns_name": "",
        "port_forwardings": [],
        "qos_policy_id": None,
    }
    if body.get("port_id"):
        record.setdefault("id", cloud.store.new_id())
        _associate(cloud, token, record, body["port_id"], body.get("fixed_ip_address"))
    return record


def _associate(cloud: Cloud, token: Token, fip: Record, port_id: str | None, fixed_ip: str | None) -> None:
    if port_id is None:
        _disassociate(cloud, fip)
        return
    port = _find(cloud, token, _SPECS["ports"], port_id)
    if not port["fixed_ips"]:
        raise ApiError(
            400, f"Bad floatingip request: Port {port_id} does not have any IP addresses.", kind="BadRequest"
        )
    subnet_ids = {ip["subnet_id"] for ip in port["fixed_ips"]}
    router_id = None
    for router_port in cloud.store.select("port", device_owner="network:router_interface"):
        if subnet_ids & {ip["subnet_id"] for ip in router_port["fixed_ips"]}:
            gateway = cloud.store.get("router", router_port["device_id"])["external_gateway_info"]
            if gateway and gateway["network_id"] == fip["floating_network_id"]:
                router_id = router_port["device_id"]
    if router_id is None:
        raise ApiError(
            404,
            f"External network {fip['floating_network_id']} is not reachable from subnet {sorted(subnet_ids)[0]}. "
            f"Therefore, cannot associate Port {port_id} with a Floating IP.",
            kind="ExternalGatewayForFloatingIPNotFound",
        )
    fip.update(
        {
            "port_id": port_id,
            "fixed_ip_address": fixed_ip or port["fixed_ips"][0]["ip_address"],
            "router_id": router_id,
            "status": "ACTIVE",
            "port_details": {
                "name": port["name"],
                "network_id": port["network_id"],
                "device_id": port["device_id"],
                "device_owner": port["device_owner"],
                "mac_address": port["mac_address"],
                "status": port["status"],
                "admin_state_up": True,
            },
        }
    )
    if cloud.guests is not None and port["device_owner"].startswith("compute:"):
        server = cloud.store.find("server", id=port["device_id"])
        if server is not None:
            cloud.guests.floating_ip_associated(server, fip["floating_ip_address"])


def _disassociate(cloud: Cloud, fip: Record) -> None:
    if fip.get("port_id") and cloud.guests is not None:
        cloud.guests.floating_ip_released(fip["floating_ip_address"])
    fip.update({"port_id": None, "fixed_ip_address": None, "router_id": None, "status": "DOWN", "port_details": None})


def _delete_floating_ip(cloud: Cloud, fip: Record) -> None:
    _disassociate(cloud, fip)


# -- integration with compute ----------------------------------------------------------------------


def attach_server(cloud: Cloud, token: Token, server: Record, networks: Any, auto: bool) -> None:
    """Create the server's ports as Nova asks Neutron to: on the requested networks or ports, on the
    project's only network (`auto`, or nothing requested before 2.37), or none at all (`none`)."""
    if networks == "none":
        return
    requested = networks if isinstance(networks, list) else []
    if not requested:
        candidates = [
            n
            for n in cloud.store.all("network")
            if n["subnets"] and not n["router:external"] and (n["project_id"] == token.project_id or n["shared"])
        ]
        if len(candidates) > 1:
            raise ApiError(409, "Multiple possible networks found, use a Network ID to be more specific.")
        if not candidates and networks == "auto":
            raise ApiError(400, f"Unable to automatically allocate a network for project {token.project_id}")
        requested = [{"uuid": n["id"]} for n in candidates]
    group_ids = []
    ensure_default_security_group(cloud, token.project_id)
    for name in server["_security_groups"]:
        group = cloud.store.find("security_group", project_id=token.project_id, name=name) or cloud.store.find(
            "security_group", id=name
        )
        if group is None:
            raise ApiError(400, f"Security group {name} not found for project {token.project_id}.")
        group_ids.append(group["id"])
    for item in requested:
        if item.get("port"):
            port = cloud.store.find("port", id=str(item["port"]))
            if port is None or not _owned(cloud, token, port, _SPECS["ports"]):
                raise ApiError(400, f"Port {item['port']} could not be found.")
            if port["device_id"]:
                raise ApiError(409, f"Port {port['id']} is still in use.")
            port.update({"device_id": server["id"], "device_owner": "compute:nova", "status": "ACTIVE"})
            continue
        network_id = str(item.get("uuid"))
        found = cloud.store.find("network", id=network_id)
        if found is None or not _owned(cloud, token, found, _SPECS["networks"]):
            raise ApiError(400, f"Network {network_id} could not be found.")
        port = _new_port(
            cloud,
            token,
            {
                "network_id": network_id,
                "device_id": server["id"],
                "device_owner": "compute:nova",
                "security_groups": group_ids,
            },
        )
        port["_created_by_nova"] = True
        cloud.store.add("port", port)


def detach_server(cloud: Cloud, server_id: str) -> None:
    """Nova deletes the ports it made for a server and unbinds the ones it was given."""
    for port in list(cloud.store.select("port", device_id=server_id)):
        for fip in cloud.store.select("floating_ip", port_id=port["id"]):
            _disassociate(cloud, fip)
        if port.get("_created_by_nova"):
            cloud.store.delete("port", port["id"])
        else:
            port.update({"device_id": "", "device_owner": "", "status": "DOWN"})


def change_server_group(cloud: Cloud, token: Token, server: Record, name: str, add: bool) -> None:
    """addSecurityGroup / removeSecurityGroup: Nova changes the groups of the server's ports."""
    ports = list(cloud.store.select("port", device_id=server["id"]))
    if not ports:
        raise ApiError(404, f"instance_id {server['id']} could not be found as device id on any ports")
    group = cloud.store.find("security_group", project_id=server["tenant_id"], name=name) or cloud.store.find(
        "security_group", id=name
    )
    if group is None or not (token.is_admin or group["project_id"] == server["tenant_id"]):
        raise ApiError(404, f"Security group {name} not found for project {server['tenant_id']}.")
    if not add and not any(group["id"] in p["security_groups"] for p in ports):
        raise ApiError(404, f"Security group {name} not associated with the instance {server['id']}")
    for port in ports:
        if add and group["id"] not in port["security_groups"]:
            port["security_groups"].append(group["id"])
        elif not add and group["id"] in port["security_groups"]:
            port["security_groups"].remove(group["id"])
    cloud.store.touch()


def server_addresses(cloud: Cloud, server_id: str) -> dict[str, list[Record]]:
    addresses: dict[str, list[Record]] = {}
    for port in cloud.store.select("port", device_id=server_id):
        network = cloud.store.find("network", id=port["network_id"])
        name = network["name"] if network else port["network_id"]
        entries = addresses.setdefault(name, [])
        for ip in port["fixed_ips"]:
            version = ipaddress.ip_address(ip["ip_address"]).version
            entries.append(
                {
                    "version": version,
                    "addr": ip["ip_address"],
                    "OS-EXT-IPS:type": "fixed",
                    "OS-EXT-IPS-MAC:mac_addr": port["mac_address"],
                }
            )
        for fip in cloud.store.select("floating_ip", port_id=port["id"]):
            entries.append(
                {
                    "version": 4,
                    "addr": fip["floating_ip_address"],
                    "OS-EXT-IPS:type": "floating",
                    "OS-EXT-IPS-MAC:mac_addr": port["mac_address"],
                }
            )
    return addresses


@router.get(PREFIX + "/quotas/{project_id}")
async def quotas(request: Request, project_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    _policy(token.is_admin or token.project_id == project_id, "rule:get_quota")
    limits = cloud.profile.get("quotas", {})
    body = {
        "network": 100,
        "subnet": 100,
        "port": 500,
        "router": 10,
        "floatingip": limits.get("floating_ips", 50),
        "security_group": 50,
        "security_group_rule": 500,
        "rbac_policy": 10,
        "router_route": 30,
        "subnetpool": -1,
    }
    return respond({"quota": body})


@router.get(PREFIX + "/agents")
async def agents(request: Request) -> Response:
    """No agents run in the simulated cloud; Neutron's policy filters the list for members, it does not refuse it."""
    cloud_of(request).token_for(request)
    return respond({"agents": []})


# -- routes -----------------------------------------------------------------------------------------

_SPECS: dict[str, _Spec] = {
    "networks": _Spec(
        "network",
        "networks",
        "network",
        _new_network,
        _delete_network,
        mutable=("name", "description", "admin_state_up", "tags", "mtu", "port_security_enabled"),
        creatable=(
            *_STANDARD,
            "admin_state_up",
            "shared",
            "router:external",
            "mtu",
            "port_security_enabled",
            "availability_zone_hints",
            "dns_domain",
            "qos_policy_id",
            "is_default",
            "provider:network_type",
            "provider:physical_network",
            "provider:segmentation_id",
            "segments",
            "vlan_transparent",
        ),
        admin_only=(
            "provider:network_type",
            "provider:physical_network",
            "provider:segmentation_id",
            "segments",
            "is_default",
        ),
        not_found=("NetworkNotFound", "Network {id} could not be found."),
        shared_visible=True,
    ),
    "subnets": _Spec(
        "subnet",
        "subnets",
        "subnet",
        _new_subnet,
        _delete_subnet,
        mutable=("name", "description", "dns_nameservers", "enable_dhcp", "gateway_ip", "tags"),
        creatable=(
            *_STANDARD,
            "network_id",
            "cidr",
            "ip_version",
            "gateway_ip",
            "enable_dhcp",
            "dns_nameservers",
            "host_routes",
            "allocation_pools",
            "ipv6_ra_mode",
            "ipv6_address_mode",
            "subnetpool_id",
            "prefixlen",
            "use_default_subnetpool",
            "service_types",
            "segment_id",
            "dns_publish_fixed_ip",
        ),
        not_found=("SubnetNotFound", "Subnet {id} could not be found."),
        shared_visible=True,
    ),
    "ports": _Spec(
        "port",
        "ports",
        "port",
        _new_port,
        _delete_port,
        mutable=(
            "name",
            "description",
            "admin_state_up",
            "security_groups",
            "tags",
            "device_id",
            "device_owner",
            "port_security_enabled",
            "allowed_address_pairs",
        ),
        creatable=(
            *_STANDARD,
            "network_id",
            "admin_state_up",
            "mac_address",
            "fixed_ips",
            "device_id",
            "device_owner",
            "security_groups",
            "allowed_address_pairs",
            "extra_dhcp_opts",
            "binding:host_id",
            "binding:vnic_type",
            "binding:profile",
            "port_security_enabled",
            "qos_policy_id",
            "dns_name",
            "dns_domain",
            "propagate_uplink_status",
            "numa_affinity_policy",
            "hints",
        ),
        admin_only=("binding:host_id", "binding:profile"),
        not_found=("PortNotFound", "Port {id} could not be found."),
    ),
    "routers": _Spec(
        "router",
        "routers",
        "router",
        _new_router,
        _delete_router,
        mutable=("name", "description", "admin_state_up", "tags", "routes", "external_gateway_info"),
        creatable=(
            *_STANDARD,
            "admin_state_up",
            "external_gateway_info",
            "distributed",
            "ha",
            "availability_zone_hints",
            "flavor_id",
            "enable_ndp_proxy",
        ),
        admin_only=("distributed", "ha"),
        not_found=("RouterNotFound", "Router {id} could not be found"),
    ),
    "security-groups": _Spec(
        "security_group",
        "security_groups",
        "security_group",
        _new_security_group,
        _delete_security_group,
        mutable=("name", "description", "tags", "stateful"),
        creatable=(*_STANDARD, "stateful"),
        not_found=("SecurityGroupNotFound", "Security group {id} does not exist"),
    ),
    "security-group-rules": _Spec(
        "security_group_rule",
        "security_group_rules",
        "security_group_rule",
        _new_security_group_rule,
        mutable=("description",),
        creatable=("tenant_id", "project_id", "security_group_id", "description", *DEFAULT_RULE_FIELDS),
        not_found=("SecurityGroupRuleNotFound", "Security group rule {id} does not exist"),
    ),
    "default-security-group-rules": _Spec(
        "default_security_group_rule",
        "default_security_group_rules",
        "default_security_group_rule",
        _new_default_rule,
        mutable=(),  # every attribute is allow_put: False: a template is replaced, never changed
        creatable=("description", "used_in_default_sg", "used_in_non_default_sg", *DEFAULT_RULE_FIELDS),
        not_found=("DefaultSecurityGroupRuleNotFound", "Default Security Group rule {id} does not exist"),
        everyone_reads=True,
    ),
    "floatingips": _Spec(
        "floating_ip",
        "floatingips",
        "floatingip",
        _new_floating_ip,
        _delete_floating_ip,
        mutable=("description", "port_id", "fixed_ip_address", "tags"),
        creatable=(
            "tenant_id",
            "project_id",
            "description",
            "tags",
            "floating_network_id",
            "floating_ip_address",
            "subnet_id",
            "port_id",
            "fixed_ip_address",
            "dns_domain",
            "dns_name",
            "qos_policy_id",
        ),
        admin_only=("floating_ip_address",),
        not_found=("FloatingIPNotFound", "Floating IP {id} could not be found"),
    ),
}


def _spec(collection: str) -> _Spec:
    spec = _SPECS.get(collection)
    if spec is None:
        raise ApiError(404, "The resource could not be found.", kind="HTTPNotFound")
    return spec


@router.get(PREFIX + "/{collection}")
async def list_resources(request: Request, collection: str) -> Response:
    spec = _spec(collection)
    if spec.kind == "default_security_group_rule":
        return _list_default_rules(request, spec)
    return _list(request, spec)


def _list_default_rules(request: Request, spec: _Spec) -> Response:
    cloud = cloud_of(request)
    if not cloud.profile.get("network", {}).get("default_security_group_rules_api", True):
        raise ApiError(404, "The resource could not be found.", kind="HTTPNotFound")
    return _list(request, spec)


@router.post(PREFIX + "/{collection}")
async def create_resource(request: Request, collection: str) -> Response:
    return await _create(request, _spec(collection))


@router.get(PREFIX + "/{collection}/{record_id}")
async def get_resource(request: Request, collection: str, record_id: str) -> Response:
    spec = _spec(collection)
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    record = _find(cloud, token, spec, record_id)
    if spec.kind == "security_group":
        record = _group_view_rules(cloud, record)
    return respond({spec.singular: _view(record, request)})


@router.put(PREFIX + "/{collection}/{record_id}")
async def update_resource(request: Request, collection: str, record_id: str) -> Response:
    return await _update(request, _spec(collection), record_id)


@router.delete(PREFIX + "/{collection}/{record_id}")
async def delete_resource(request: Request, collection: str, record_id: str) -> Response:
    return _delete(request, _spec(collection), record_id)
