"""Turn a profile into the cloud's initial records: identity, flavors, images, volume types, networks."""

from __future__ import annotations

from typing import Any

from .. import flavor_names, standards
from ._auth import hash_secret
from ._store import Store, timestamp
from .services.compute import new_flavor
from .services.image import new_image
from .services.volume import new_volume_type

DEFAULT_ROLES = ("admin", "member", "reader", "manager", "load-balancer_member", "creator")


def seed(store: Store, profile: dict[str, Any]) -> None:
    _identity(store, profile)
    for flavor in flavors_of(profile):
        store.add("flavor", new_flavor(flavor))
    admin_project = store.find("project", name=profile.get("admin_project", "admin"))
    owner = admin_project["id"] if admin_project else None
    for image in profile.get("images", []):
        record = new_image(owner, {"visibility": "public", **image})
        record.update(
            {
                "status": image.get("status", "active"),
                "size": 1073741824,
                "virtual_size": 1073741824,
                "checksum": "d41d8cd98f00b204e9800998ecf8427e",
                "os_hash_algo": "sha512",
                "os_hash_value": "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce",
                "disk_format": image.get("disk_format", "qcow2"),
                "container_format": image.get("container_format", "bare"),
            }
        )
        store.add("image", record)
    for volume_type in profile.get("volume_types", []):
        store.add("volume_type", new_volume_type(store, volume_type))
    for rule in profile.get("default_security_group_rules", []):
        store.add(
            "default_security_group_rule",
            {
                "direction": rule["direction"],
                "ethertype": rule.get("ethertype", "IPv4"),
                "protocol": rule.get("protocol"),
                "port_range_min": rule.get("port_range_min"),
                "port_range_max": rule.get("port_range_max"),
                "remote_ip_prefix": rule.get("remote_ip_prefix"),
                "remote_group_id": rule.get("remote_group_id"),
                "remote_address_group_id": None,
                "description": rule.get("description", ""),
                "used_in_default_sg": rule.get("used_in_default_sg", True),
                "used_in_non_default_sg": rule.get("used_in_non_default_sg", True),
            },
        )
    _networks(store, profile, owner)


def flavors_of(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """The profile's flavors: scs-0103 standard ones (derived from their names) plus additions."""
    spec = profile.get("flavors", {})
    common = dict(spec.get("extra_specs") or {})
    overrides = spec.get("override") or {}
    removed = set(spec.get("remove") or [])
    flavors: list[dict[str, Any]] = []
    wanted = set(spec.get("standard") or [])
    for standard in standards.mandatory_flavors():
        if standard.status not in wanted or standard.name in removed:
            continue
        parsed = flavor_names.parse(standard.name).flavor
        extra = {**common, **flavor_names.extra_specs(parsed)}
        flavor = {
            "name": standard.name,
            "vcpus": standard.cpus,
            "ram": standard.ram_mib,
            "disk": standard.disk_gb or 0,
            "extra_specs": extra,
        }
        flavors.append(_override(flavor, overrides.get(standard.name)))
    for added in spec.get("add") or []:
        entry = {"vcpus": added.get("cpus", added.get("vcpus")), **added}
        entry["extra_specs"] = {**common, **(added.get("extra_specs") or {})}
        flavors.append(_override(entry, overrides.get(added["name"])))
    return flavors


def _override(flavor: dict[str, Any], change: dict[str, Any] | None) -> dict[str, Any]:
    if not change:
        return flavor
    merged = {**flavor, **{k: v for k, v in change.items() if k not in ("extra_specs", "drop_extra_specs")}}
    specs = {**flavor["extra_specs"], **(change.get("extra_specs") or {})}
    for key in change.get("drop_extra_specs") or []:
        specs.pop(key, None)
    merged["extra_specs"] = specs
    return merged


def _identity(store: Store, profile: dict[str, Any]) -> None:
    for role in profile.get("roles", DEFAULT_ROLES):
        store.add("role", {"name": role, "domain_id": None, "description": None})
    for domain in profile.get("domains", [{"name": "Default", "id": "default"}]):
        store.add(
            "domain",
            {"id": domain.get("id"), "name": domain["name"], "description": "", "enabled": True}
            if domain.get("id")
            else {"name": domain["name"], "description": "", "enabled": True},
        )
    for project in profile.get("projects", []):
        domain = _domain(store, project.get("domain", "Default"))
        store.add(
            "project",
            {
                "name": project["name"],
                "domain_id": domain,
                "description": project.get("description", ""),
                "enabled": True,
                "is_domain": False,
                "parent_id": domain,
                "tags": [],
            },
        )
    for user in profile.get("users", []):
        domain = _domain(store, user.get("domain", "Default"))
        record = store.add(
            "user",
            {
                "name": user["name"],
                "domain_id": domain,
                "enabled": True,
                "email": None,
                "description": "",
                "default_project_id": None,
                "password_expires_at": None,
                "options": {},
                "_password_hash": hash_secret(user["password"]),
            },
        )
        for project_name, roles in (user.get("projects") or {}).items():
            project = store.find("project", name=project_name)
            if project is None:
                raise ValueError(f"user {user['name']}: unknown project {project_name}")
            if record["default_project_id"] is None:
                record["default_project_id"] = project["id"]
            for role in roles:
                _assign(store, record["id"], "user", project["id"], "project", role)
        for domain_name, roles in (user.get("domains") or {}).items():
            for role in roles:
                _assign(store, record["id"], "user", _domain(store, domain_name), "domain", role)


def _domain(store: Store, name: str) -> str:
    domain = store.find("domain", name=name) or store.find("domain", id=name)
    if domain is None:
        raise ValueError(f"unknown domain {name}")
    return str(domain["id"])


def _assign(store: Store, actor_id: str, actor_type: str, target_id: str, target_type: str, role_name: str) -> None:
    role = store.find("role", name=role_name)
    if role is None:
        raise ValueError(f"unknown role {role_name}")
    store.add(
        "role_assignment",
        {
            "actor_id": actor_id,
            "actor_type": actor_type,
            "target_id": target_id,
            "target_type": target_type,
            "role_id": role["id"],
        },
    )


def _networks(store: Store, profile: dict[str, Any], owner: str | None) -> None:
    network_spec = profile.get("network", {})
    cidr = network_spec.get("floating_ip_cidr", "127.100.0.0/16")
    moment = timestamp()
    public = store.add(
        "network",
        {
            "name": network_spec.get("external_network", "public"),
            "description": "",
            "project_id": owner,
            "tenant_id": owner,
            "created_at": moment,
            "updated_at": moment,
            "revision_number": 0,
            "tags": [],
            "status": "ACTIVE",
            "admin_state_up": True,
            "shared": False,
            "router:external": True,
            "subnets": [],
            "mtu": 1500,
            "port_security_enabled": True,
            "availability_zones": ["nova"],
            "availability_zone_hints": [],
            "ipv4_address_scope": None,
            "ipv6_address_scope": None,
            "is_default": True,
            "provider:network_type": "flat",
        },
    )
    import ipaddress

    network = ipaddress.ip_network(cidr)
    hosts = network.hosts()
    gateway = str(next(hosts))
    subnet = store.add(
        "subnet",
        {
            "name": "public-subnet",
            "description": "",
            "project_id": owner,
            "tenant_id": owner,
            "created_at": moment,
            "updated_at": moment,
            "revision_number": 0,
            "tags": [],
            "network_id": public["id"],
            "cidr": cidr,
            "ip_version": 4,
            "gateway_ip": gateway,
            "enable_dhcp": False,
            "dns_nameservers": [],
            "host_routes": [],
            "allocation_pools": [{"start": str(next(hosts)), "end": str(network[-2])}],
            "ipv6_ra_mode": None,
            "ipv6_address_mode": None,
            "subnetpool_id": None,
            "service_types": [],
            "_next_host": 0,
        },
    )
    public["subnets"].append(subnet["id"])
