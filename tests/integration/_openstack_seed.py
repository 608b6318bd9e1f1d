"""What an SCS operator would set up on the real services: catalog, accounts, flavors, images, networks.

The flavors, images and volume types are those of our simulated cloud's `compliant` profile (one
source of truth for "a compliant cloud"), uploaded through the real APIs as the admin. Two more
things make verdicts meaningful: a community image without `image_description` (scs-0102 covers
community images too, so it must FAIL) and the scs-0115 default security group rules, which an
API-only Neutron (schema built from its models) does not seed itself.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING, Any

import openstack
import yaml

from scs_toolkit.simcloud._profiles import load_profile
from scs_toolkit.simcloud._seed import flavors_of

from . import _openstack_config as config

if TYPE_CHECKING:
    from ._openstack_services import OpenStackServices

EXTERNAL_NETWORK = "public"
EXTERNAL_CIDR = "127.200.0.0/24"  # loopback: nothing ever leaves the machine
#: a community image that lacks a mandatory scs-0102 property (the real Glance lists it only when asked)
COMMUNITY_IMAGE = "scs-it Alpine 3.20 (community)"
_IMAGE_DATA = b"\0" * 65536  # raw: Glance's format inspector accepts it as what it claims to be
_IMAGE_FIELDS = {"name", "visibility", "min_disk", "min_ram", "tags", "disk_format", "container_format", "status"}


def _catalog(services: OpenStackServices) -> list[tuple[str, str, str]]:
    p = services.ports
    cinder = f"http://127.0.0.1:{p.cinder}/v3/%(project_id)s"
    return [
        ("compute", "nova", f"http://127.0.0.1:{p.nova}/v2.1"),
        ("placement", "placement", f"http://127.0.0.1:{p.placement}"),
        ("image", "glance", f"http://127.0.0.1:{p.glance}"),
        ("block-storage", "cinder", cinder),
        ("volumev3", "cinderv3", cinder),
        ("network", "neutron", f"http://127.0.0.1:{p.neutron}"),
    ]


def _entry(auth_url: str, username: str, password: str, project: str | None, domain: str) -> dict[str, Any]:
    auth: dict[str, Any] = {"auth_url": auth_url, "username": username, "password": password}
    auth["user_domain_name"] = domain
    if project is not None:
        auth |= {"project_name": project, "project_domain_name": domain}
    else:
        auth["domain_name"] = domain
    return {"auth": auth, "region_name": config.REGION, "interface": "public", "identity_api_version": 3}


def identity(services: OpenStackServices) -> None:
    """Service users, the catalog, an admin, a member, two domains with a manager each; clouds.yaml for them."""
    from ._openstack_services import ADMIN, MANAGERS, MEMBER

    url = config.keystone_url(services.ports)
    conn: Any = openstack.connect(**_entry(url, ADMIN.username, ADMIN.password, ADMIN.project, "Default"))
    ident = conn.identity
    roles = {r.name: r for r in ident.roles()}
    service_project = ident.create_project(name="service", domain_id="default")
    for name in ("nova", "placement", "glance", "cinder", "neutron"):
        user = ident.create_user(name=name, password=config.SERVICE_PASSWORD, domain_id="default")
        ident.assign_project_role_to_user(service_project, user, roles["admin"])
        ident.assign_project_role_to_user(service_project, user, roles["service"])
    for service_type, name, endpoint in _catalog(services):
        service = ident.create_service(type=service_type, name=name)
        for interface in ("public", "internal"):
            ident.create_endpoint(service_id=service.id, interface=interface, url=endpoint, region_id=config.REGION)
    project = ident.create_project(name=MEMBER.project, domain_id="default")
    member = ident.create_user(name=MEMBER.username, password=MEMBER.password, domain_id="default")
    ident.assign_project_role_to_user(project, member, roles["member"])
    domains = []
    for manager in MANAGERS:
        domain = ident.create_domain(name=manager.domain)
        user = ident.create_user(name=manager.username, password=manager.password, domain_id=domain.id)
        ident.assign_domain_role_to_user(domain, user, roles["manager"])
        domains.append(
            {"name": manager.domain, "manager": {"username": manager.username, "password": manager.password}}
        )
    conn.close()
    broken = f"http://127.0.0.1:{services.ports.keystone_broken}/v3"
    clouds = {
        "admin": _entry(url, ADMIN.username, ADMIN.password, ADMIN.project, "Default"),
        "member": _entry(url, MEMBER.username, MEMBER.password, MEMBER.project, "Default"),
        # the same accounts on the second Keystone, whose policy lets a manager into other domains
        "broken-policy": _entry(broken, MEMBER.username, MEMBER.password, MEMBER.project, "Default"),
        "broken-policy-admin": _entry(broken, ADMIN.username, ADMIN.password, ADMIN.project, "Default"),
    }
    services.clouds_yaml.parent.mkdir(parents=True, exist_ok=True)
    services.clouds_yaml.write_text(yaml.safe_dump({"clouds": clouds}, sort_keys=False))
    services.clouds_yaml.chmod(0o600)
    document = {"domains": [{**d, "member_role": "member"} for d in domains]}
    services.domain_manager_config.write_text(yaml.safe_dump(document, sort_keys=False))


def _property(value: Any) -> Any:
    """Profile values such as `now-10d` become real dates, as an operator would write them."""
    if isinstance(value, str) and value.startswith("now-") and value.endswith("d"):
        return (dt.datetime.now(dt.UTC) - dt.timedelta(days=int(value[4:-1]))).strftime("%Y-%m-%d")
    return value


def _upload(conn: Any, spec: dict[str, Any]) -> None:
    properties = {k: str(_property(v)) for k, v in spec.items() if k not in _IMAGE_FIELDS}
    conn.image.create_image(
        name=spec["name"],
        data=io.BytesIO(_IMAGE_DATA),
        disk_format="raw",
        container_format="bare",
        visibility=spec.get("visibility", "public"),
        min_disk=spec.get("min_disk", 0),
        min_ram=spec.get("min_ram", 0),
        tags=list(spec.get("tags") or []),
        allow_duplicates=True,
        wait=True,
        **properties,
    )


def resources(services: OpenStackServices) -> None:
    """Flavors, images, volume types, the external network and the default security group rules."""
    profile = load_profile("compliant")
    conn = services.connect("admin")
    for spec in flavors_of(profile):
        flavor = conn.compute.create_flavor(
            name=spec["name"], vcpus=spec["vcpus"], ram=spec["ram"], disk=spec["disk"], is_public=True
        )
        conn.compute.create_flavor_extra_specs(flavor, spec["extra_specs"])
    images = list(profile["images"])
    community = {**images[0], "name": COMMUNITY_IMAGE, "visibility": "community", "os_distro": "alpine"}
    community |= {"os_version": "3.20", "image_original_user": "alpine", "tags": []}
    community.pop("image_description")
    for spec in [*images, community]:
        _upload(conn, spec)
    for spec in profile["volume_types"]:
        if spec["name"] == "__DEFAULT__":
            continue  # Cinder creates it
        specs = {**(spec.get("extra_specs") or {}), "volume_backend_name": "fake"}  # the one backend there is
        conn.block_storage.create_type(name=spec["name"], description=spec.get("description"), extra_specs=specs)
    network = conn.network.create_network(
        name=EXTERNAL_NETWORK,
        is_router_external=True,
        provider_network_type="flat",
        provider_physical_network="public",
    )
    conn.network.create_subnet(
        name=f"{EXTERNAL_NETWORK}-subnet",
        network_id=network.id,
        ip_version=4,
        cidr=EXTERNAL_CIDR,
        gateway_ip="127.200.0.1",
        allocation_pools=[{"start": "127.200.0.10", "end": "127.200.0.250"}],
        is_dhcp_enabled=False,
    )
    for rule in list(conn.network.default_security_group_rules()):
        conn.network.delete_default_security_group_rule(rule)
    for rule in profile["default_security_group_rules"]:
        fields = {("ether_type" if k == "ethertype" else k): v for k, v in rule.items()}
        conn.network.create_default_security_group_rule(**fields)
    conn.close()
