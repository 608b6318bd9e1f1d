"""Nova and Glance through openstacksdk: flavors, keypairs, servers, images, pagination, errors."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import openstack.connection
import pytest
from openstack import exceptions

from scs_toolkit import flavor_names, standards
from scs_toolkit.simcloud import Faults, SimCloud


def test_standard_flavors_with_extra_specs(conn: openstack.connection.Connection) -> None:
    flavors = {f.name: f for f in conn.compute.flavors()}
    assert set(flavors) == {f.name for f in standards.mandatory_flavors()}
    for standard in standards.mandatory_flavors():
        flavor = flavors[standard.name]
        assert (flavor.vcpus, flavor.ram, flavor.disk) == (standard.cpus, standard.ram_mib, standard.disk_gb or 0)
        expected = flavor_names.extra_specs(flavor_names.parse(standard.name).flavor)
        assert flavor.extra_specs == {**expected, "hw_rng:allowed": "True"}


def test_flavor_pagination_and_not_found(simcloud: SimCloud, conn: openstack.connection.Connection) -> None:
    token = conn.session.get_token()
    seen: list[str] = []
    url = f"{simcloud.url}/compute/v2.1/flavors?limit=7"
    while url:
        body = httpx.get(url, headers={"X-Auth-Token": token}).json()
        seen += [f["id"] for f in body["flavors"]]
        url = next((link["href"] for link in body.get("flavors_links", []) if link["rel"] == "next"), None)
    assert len(seen) == len(set(seen)) == 31
    reply = httpx.get(f"{simcloud.url}/compute/v2.1/flavors?marker=nope", headers={"X-Auth-Token": token})
    assert reply.status_code == 400 and "marker" in reply.json()["badRequest"]["message"]
    with pytest.raises(exceptions.ResourceNotFound):
        conn.compute.get_flavor("does-not-exist")


def test_microversion_is_echoed(simcloud: SimCloud, conn: openstack.connection.Connection) -> None:
    reply = httpx.get(
        f"{simcloud.url}/compute/v2.1/flavors",
        headers={"X-Auth-Token": conn.session.get_token(), "OpenStack-API-Version": "compute 2.61"},
    )
    assert reply.headers["OpenStack-API-Version"] == "compute 2.61"


def test_member_cannot_create_flavors(conn: openstack.connection.Connection) -> None:
    with pytest.raises(exceptions.ForbiddenException):
        conn.compute.create_flavor(name="SCS-1V-1", ram=1024, vcpus=1, disk=0)


def test_keypairs_generated_and_imported(conn: openstack.connection.Connection) -> None:
    generated = conn.compute.create_keypair(name="gen-key")
    try:
        assert generated.private_key.startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
        assert generated.public_key.startswith("ssh-ed25519 ")
        with pytest.raises(exceptions.ConflictException):
            conn.compute.create_keypair(name="gen-key")
        imported = conn.compute.create_keypair(name="imported", public_key=generated.public_key)
        assert imported.fingerprint == generated.fingerprint and not imported.private_key
        assert {k.name for k in conn.compute.keypairs()} >= {"gen-key", "imported"}
        with pytest.raises(exceptions.BadRequestException):
            conn.compute.create_keypair(name="broken", public_key="ssh-rsa not-a-key")
    finally:
        conn.compute.delete_keypair("gen-key", ignore_missing=True)
        conn.compute.delete_keypair("imported", ignore_missing=True)


def test_server_lifecycle(simcloud: SimCloud, conn: openstack.connection.Connection) -> None:
    network = conn.network.create_network(name="lifecycle-net")
    conn.network.create_subnet(network_id=network.id, cidr="10.9.0.0/24", ip_version=4)
    image = conn.image.find_image("Ubuntu 24.04")
    flavor = conn.compute.find_flavor("SCS-2V-4-20s")
    server = conn.compute.create_server(
        name="lifecycle",
        image_id=image.id,
        flavor_id=flavor.id,
        networks=[{"uuid": network.id}],
        metadata={"purpose": "test"},
    )
    try:
        assert conn.compute.get_server(server.id).status == "BUILD"
        server = conn.compute.wait_for_server(server, interval=0.1, wait=30)
        assert server.status == "ACTIVE"
        assert server.flavor.original_name == "SCS-2V-4-20s"
        assert server.addresses["lifecycle-net"][0]["addr"].startswith("10.9.0.")
        assert server.metadata == {"purpose": "test"}
        assert [s.name for s in conn.compute.servers()] == ["lifecycle"]
    finally:
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, interval=0.1, wait=30)
        conn.network.delete_network(network)
    assert simcloud.cloud.store.count("server") == 0
    assert not list(conn.network.ports(network_id=network.id))


@pytest.mark.parametrize(
    ("change", "error", "says"),
    [
        ({"image_id": "missing"}, exceptions.BadRequestException, "Can not find requested image"),
        ({"flavor_id": "missing"}, exceptions.BadRequestException, "Invalid flavorRef provided"),
        ({"flavor": "SCS-2V-4"}, exceptions.ForbiddenException, "zero disk"),
        ({"key_name": "no-such-key"}, exceptions.BadRequestException, "Invalid key_name"),
        ({"flavor": "SCS-1V-2-5", "image": "Ubuntu 24.04"}, exceptions.BadRequestException, "disk is too small"),
    ],
)
def test_server_create_errors(
    conn: openstack.connection.Connection, change: dict[str, str], error: type[Exception], says: str
) -> None:
    image = conn.image.find_image(change.pop("image", "Ubuntu 24.04"))
    flavor = conn.compute.find_flavor(change.pop("flavor", "SCS-2V-4-20s"))
    arguments = {"name": "bad", "image_id": image.id, "flavor_id": flavor.id, "networks": "none", **change}
    with pytest.raises(error, match=says):
        conn.compute.create_server(**arguments)


def test_images_with_properties_filters_and_pagination(
    simcloud: SimCloud, conn: openstack.connection.Connection
) -> None:
    images = list(conn.image.images())
    assert {i.name for i in images} == {"Ubuntu 24.04", "Ubuntu 22.04", "Debian 12", "ubuntu-capi-image-v1.31.5"}
    ubuntu = conn.image.find_image("Ubuntu 24.04")
    assert ubuntu.architecture == "x86_64" and ubuntu.os_distro == "ubuntu" and ubuntu.hw_disk_bus == "scsi"
    assert ubuntu.properties["image_source"].startswith("https://cloud-images.ubuntu.com/releases/noble/")
    assert ubuntu.properties["replace_frequency"] == "monthly"
    assert {i.name for i in conn.image.images(os_distro="debian")} == {"Debian 12"}
    paged = list(conn.image.images(limit=1))
    assert sorted(i.id for i in paged) == sorted(i.id for i in images)
    reply = httpx.get(f"{simcloud.url}/image/v2/images?limit=2", headers={"X-Auth-Token": conn.session.get_token()})
    body = reply.json()
    assert len(body["images"]) == 2 and body["next"].startswith("/v2/images?")


def test_image_upload_update_and_visibility(conn: openstack.connection.Connection, simcloud: SimCloud) -> None:
    image = conn.image.create_image(
        name="my-image",
        disk_format="raw",
        container_format="bare",
        data=b"x" * 4096,
        visibility="private",
        os_distro="custom",
    )
    try:
        image = conn.image.get_image(image)
        assert (image.status, image.size, image.visibility) == ("active", 4096, "private")
        conn.image.update_image(image, os_version="1.0", image_source="private")
        updated = conn.image.get_image(image)
        assert updated.os_version == "1.0" and updated.properties["image_source"] == "private"
        other = openstack.connect(**simcloud.connect_kwargs("user2"))
        assert "my-image" not in {i.name for i in other.image.images()}
        with pytest.raises(exceptions.ForbiddenException):
            other.image.create_image(name="pub", visibility="public", disk_format="raw", container_format="bare")
    finally:
        conn.image.delete_image(image)
    with pytest.raises(exceptions.ResourceNotFound):
        conn.image.get_image(image.id)


def test_slow_build_fault_keeps_servers_in_build(simcloud_factory: Callable[..., SimCloud]) -> None:
    sim = simcloud_factory(profile="compliant", seed=3, faults=Faults(build_delay_s=1.0))
    conn = openstack.connect(**sim.connect_kwargs())
    network = conn.network.create_network(name="slow")
    conn.network.create_subnet(network_id=network.id, cidr="10.8.0.0/24", ip_version=4)
    image, flavor = conn.image.find_image("Debian 12"), conn.compute.find_flavor("SCS-2V-4-20s")
    started = time.monotonic()
    server = conn.compute.create_server(
        name="slow", image_id=image.id, flavor_id=flavor.id, networks=[{"uuid": network.id}]
    )
    conn.compute.wait_for_server(server, interval=0.1, wait=30)
    assert time.monotonic() - started >= 1.0
