"""Collecting from an OpenStack cloud: answers of older APIs read right, and the VM probe's clean-up
deleting side by side only what nothing else holds. Real HTTP to simcloud."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import openstack

from scs_toolkit.checks.iaas.scs_0101 import canonical_image, smallest_flavor
from scs_toolkit.collect import collect_iaas
from scs_toolkit.collect._cleanup import delete_created
from scs_toolkit.simcloud import SimCloud


def test_flavor_extra_specs_below_microversion_2_61(simcloud_factory: Callable[..., SimCloud]) -> None:
    """Nova lists extra specs only from 2.61 on; openstacksdk gives {} for what an older answer lacks, so the
    specs are asked per flavor (they are not taken for "none")."""
    sim = simcloud_factory(profile="compliant", seed=3)
    old = openstack.connect(**sim.connect_kwargs(), compute_default_microversion="2.1")
    current = openstack.connect(**sim.connect_kwargs())
    listed = collect_iaas(current, {"flavors"}).flavors
    asked = collect_iaas(old, {"flavors"}).flavors
    assert listed and asked == listed
    assert all(flavor.extra_specs for flavor in asked)


def test_clean_up_deletes_dependants_first_and_the_rest_side_by_side(
    simcloud_factory: Callable[..., SimCloud],
) -> None:
    """Server, key pair and router interface go at once; the network only after the server and the interface,
    the router after its interface, the security group after the server: Neutron refuses them otherwise."""
    sim = simcloud_factory(profile="compliant", seed=4)
    conn = openstack.connect(**sim.connect_kwargs())
    net = conn.network
    created: list[tuple[str, object]] = []
    keypair = conn.compute.create_keypair(name="scs-test-c-key")
    created.append(("keypair", keypair))
    network = net.create_network(name="scs-test-c-net")
    created.append(("network", network))
    subnet = net.create_subnet(network_id=network.id, ip_version=4, cidr="10.9.0.0/24", name="scs-test-c-subnet")
    external = next(iter(net.networks(is_router_external=True)))
    router = net.create_router(name="scs-test-c-router", external_gateway_info={"network_id": external.id})
    created.append(("router", router))
    net.add_interface_to_router(router, subnet.id)
    created.append(("interface", (router, subnet.id)))
    group = net.create_security_group(name="scs-test-c-sg")
    created.append(("security_group", group))
    offer = collect_iaas(conn, {"images", "flavors"})
    image = canonical_image(offer.images or ())
    assert image is not None
    flavor = smallest_flavor(offer.flavors or (), image)
    assert flavor is not None
    server = conn.compute.create_server(
        name="scs-test-c-server",
        image_id=image.id,
        flavor_id=flavor.id,
        networks=[{"uuid": network.id}],
        key_name=keypair.name,
        security_groups=[{"name": group.name}],
    )
    created.append(("server", server))
    # a slow compute API: whatever the network side deletes too early is refused (the server's port)
    httpx.put(f"{sim.url}/_sim/faults", json={"services": {"compute": {"latency_ms": 300}}})
    assert delete_created(conn, created, timeout_s=30) == []
    httpx.delete(f"{sim.url}/_sim/faults")
    assert not [s for s in conn.compute.servers() if s.name.startswith("scs-test-c")]
    assert not [n for n in net.networks() if n.name.startswith("scs-test-c")]
    assert not [r for r in net.routers() if r.name.startswith("scs-test-c")]
    assert not [g for g in net.security_groups() if g.name.startswith("scs-test-c")]
    assert not [k for k in conn.compute.keypairs() if k.name.startswith("scs-test-c")]
