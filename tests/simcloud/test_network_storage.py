"""Neutron, Cinder, Octavia, Barbican and object storage through openstacksdk."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import openstack.connection
import pytest
from openstack import exceptions

from scs_toolkit.simcloud import SimCloud


def test_default_security_group_rules_api(conn: openstack.connection.Connection) -> None:
    rules = list(conn.network.default_security_group_rules())
    assert len(rules) == 4
    ingress = [r for r in rules if r.direction == "ingress"]
    assert {r.remote_group_id for r in ingress} == {"PARENT"}
    assert not any(r.used_in_non_default_sg for r in ingress)
    default = conn.network.find_security_group("default", project_id=conn.current_project_id)
    assert default is not None
    own = [r for r in conn.network.security_group_rules(security_group_id=default.id) if r.direction == "ingress"]
    assert {r.remote_group_id for r in own} == {default.id}  # PARENT became the group itself
    custom = conn.network.create_security_group(name="custom")
    try:
        directions = sorted(r["direction"] for r in conn.network.get_security_group(custom).security_group_rules)
        assert directions == ["egress", "egress"]
        conn.network.create_security_group_rule(
            security_group_id=custom.id,
            direction="ingress",
            protocol="tcp",
            port_range_min=22,
            port_range_max=22,
            remote_ip_prefix="0.0.0.0/0",
        )
        with pytest.raises(exceptions.ConflictException):
            conn.network.create_security_group_rule(
                security_group_id=custom.id,
                direction="ingress",
                protocol="tcp",
                port_range_min=22,
                port_range_max=22,
                remote_ip_prefix="0.0.0.0/0",
            )
        with pytest.raises(exceptions.BadRequestException):
            conn.network.create_security_group_rule(security_group_id=custom.id, direction="sideways")
    finally:
        conn.network.delete_security_group(custom)
    with pytest.raises(exceptions.ConflictException):
        conn.network.delete_security_group(default)


def test_floating_ip_needs_a_router(conn: openstack.connection.Connection) -> None:
    public = conn.network.find_network("public")
    network = conn.network.create_network(name="fip-net")
    subnet = conn.network.create_subnet(network_id=network.id, cidr="10.7.0.0/24", ip_version=4)
    port = conn.network.create_port(network_id=network.id)
    fip = conn.network.create_ip(floating_network_id=public.id)
    router = None
    try:
        assert fip.floating_ip_address.startswith("127.100.")
        with pytest.raises(exceptions.NotFoundException, match="not reachable"):
            conn.network.update_ip(fip, port_id=port.id)
        router = conn.network.create_router(name="fip-router", external_gateway_info={"network_id": public.id})
        conn.network.add_interface_to_router(router, subnet_id=subnet.id)
        updated = conn.network.update_ip(fip, port_id=port.id)
        assert updated.fixed_ip_address == port.fixed_ips[0]["ip_address"] and updated.router_id == router.id
        with pytest.raises(exceptions.ConflictException):
            conn.network.delete_router(router)
        conn.network.update_ip(fip, port_id=None)
    finally:
        conn.network.delete_ip(fip)
        conn.network.delete_port(port)
        if router is not None:
            conn.network.remove_interface_from_router(router, subnet_id=subnet.id)
            conn.network.delete_router(router)
        conn.network.delete_network(network)
    assert conn.network.find_network("fip-net") is None


def test_neutron_errors_and_filters(conn: openstack.connection.Connection) -> None:
    with pytest.raises(exceptions.BadRequestException, match="not a valid IP subnet"):
        conn.network.create_subnet(network_id=conn.network.find_network("public").id, cidr="10.0.0.0/33", ip_version=4)
    with pytest.raises(exceptions.ResourceNotFound):
        conn.network.get_network("nope")
    assert [n.name for n in conn.network.networks(is_router_external=True)] == ["public"]


def test_volume_types_volume_backup_restore(conn: openstack.connection.Connection) -> None:
    types = {t.name: t for t in conn.block_storage.types()}
    assert types["LUKS"].description.startswith("[scs:encrypted]")
    volume = conn.block_storage.create_volume(name="scs-test-volume", size=1, volume_type="LUKS")
    assert volume.status == "creating"
    volume = conn.block_storage.wait_for_status(volume, "available", interval=0.1, wait=30)
    backup = conn.block_storage.create_backup(name="scs-test-backup", volume_id=volume.id)
    backup = conn.block_storage.wait_for_status(
        conn.block_storage.get_backup(backup.id), "available", interval=0.1, wait=30
    )
    restored = conn.block_storage.restore_backup(backup, name="scs-test-restored")
    restored_volume = conn.block_storage.wait_for_status(
        conn.block_storage.get_volume(restored["volume_id"]), "available", interval=0.1, wait=30
    )
    assert restored_volume.size == 1 and restored_volume.name == "scs-test-restored"
    with pytest.raises(exceptions.BadRequestException):
        conn.block_storage.create_volume(name="zero", size=0)
    for item in (restored_volume, volume):
        conn.block_storage.delete_volume(item)
    conn.block_storage.wait_for_status(conn.block_storage.get_backup(backup.id), "available", interval=0.1, wait=30)
    conn.block_storage.delete_backup(backup)
    assert not list(conn.block_storage.volumes())


def test_backup_service_missing_answers_404(simcloud_factory: Callable[..., SimCloud]) -> None:
    sim: SimCloud = simcloud_factory(profile="broken-storage", seed=5)
    conn = openstack.connect(**sim.connect_kwargs())
    with pytest.raises(exceptions.HttpException) as raised:
        list(conn.block_storage.backups())
    assert raised.value.status_code == 404 and "cinder-backup" in str(raised.value)


def test_load_balancer_transitions(conn: openstack.connection.Connection) -> None:
    network = conn.network.create_network(name="lb-net")
    subnet = conn.network.create_subnet(network_id=network.id, cidr="10.6.0.0/24", ip_version=4)
    lb = conn.load_balancer.create_load_balancer(name="lb", vip_subnet_id=subnet.id)
    assert lb.provisioning_status == "PENDING_CREATE"
    with pytest.raises(exceptions.ConflictException):
        conn.load_balancer.create_listener(name="l", protocol="HTTP", protocol_port=80, load_balancer_id=lb.id)
    lb = conn.load_balancer.wait_for_load_balancer(lb.id, interval=0.1, wait=30)
    listener = conn.load_balancer.create_listener(name="l", protocol="HTTP", protocol_port=80, load_balancer_id=lb.id)
    conn.load_balancer.wait_for_load_balancer(lb.id, interval=0.1, wait=30)
    pool = conn.load_balancer.create_pool(
        name="p", protocol="HTTP", lb_algorithm="ROUND_ROBIN", listener_id=listener.id
    )
    conn.load_balancer.wait_for_load_balancer(lb.id, interval=0.1, wait=30)
    member = conn.load_balancer.create_member(pool, address="10.6.0.10", protocol_port=80, subnet_id=subnet.id)
    conn.load_balancer.wait_for_load_balancer(lb.id, interval=0.1, wait=30)
    assert conn.load_balancer.get_member(member, pool).provisioning_status == "ACTIVE"
    conn.load_balancer.delete_load_balancer(lb, cascade=True)
    assert list(conn.load_balancer.load_balancers()) == []
    assert list(conn.load_balancer.listeners()) == []
    conn.network.delete_network(network)


def test_key_manager_secrets(conn: openstack.connection.Connection) -> None:
    secret = conn.key_manager.create_secret(
        name="scs-member-role-test-secret", payload="foo", payload_content_type="text/plain", secret_type="opaque"
    )
    secret_id = secret.secret_ref.rsplit("/", 1)[-1]
    assert [s.name for s in conn.key_manager.secrets()] == ["scs-member-role-test-secret"]
    assert conn.key_manager.get_secret(secret_id).payload == "foo"
    conn.key_manager.delete_secret(secret_id)
    assert list(conn.key_manager.secrets()) == []
    with pytest.raises(exceptions.BadRequestException):
        conn.key_manager.create_secret(name="x", payload="foo")


def test_object_store_and_s3(simcloud: SimCloud, conn: openstack.connection.Connection) -> None:
    conn.object_store.create_container("scs-test-bucket")
    conn.object_store.upload_object("scs-test-bucket", "hello.txt", data=b"hello")
    assert conn.object_store.download_object("hello.txt", container="scs-test-bucket") == b"hello"
    assert [o.name for o in conn.object_store.objects("scs-test-bucket")] == ["hello.txt"]
    with pytest.raises(exceptions.ConflictException):
        conn.object_store.delete_container("scs-test-bucket")
    conn.object_store.delete_object("hello.txt", container="scs-test-bucket")
    conn.object_store.delete_container("scs-test-bucket")
    s3 = httpx.get(f"{simcloud.url}/", headers={"Authorization": "AWS4-HMAC-SHA256 Credential=doesnotexist/20260101"})
    assert s3.status_code == 403 and "<Code>InvalidAccessKeyId</Code>" in s3.text


def test_every_api_rejects_missing_tokens(simcloud: SimCloud, conn: openstack.connection.Connection) -> None:
    paths = [
        "/compute/v2.1/flavors",
        "/image/v2/images",
        f"/volume/v3/{conn.current_project_id}/types",
        "/network/v2.0/networks",
        "/load-balancer/v2/lbaas/loadbalancers",
        "/key-manager/v1/secrets",
        f"/object-store/v1/AUTH_{conn.current_project_id}",
        "/identity/v3/users",
    ]
    for path in paths:
        reply = httpx.get(simcloud.url + path)
        assert reply.status_code == 401, path


def test_other_projects_resources_are_invisible(simcloud: SimCloud, conn: openstack.connection.Connection) -> None:
    network = conn.network.create_network(name="private-net")
    try:
        other = openstack.connect(**simcloud.connect_kwargs("user2"))
        assert "private-net" not in {n.name for n in other.network.networks()}
        with pytest.raises(exceptions.ResourceNotFound):
            other.network.get_network(network.id)
        reply = httpx.get(
            f"{simcloud.url}/volume/v3/{conn.current_project_id}/volumes",
            headers={"X-Auth-Token": other.session.get_token()},
        )
        assert reply.status_code == 403
    finally:
        conn.network.delete_network(network)
