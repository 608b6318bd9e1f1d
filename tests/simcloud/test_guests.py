"""SSH into simulated servers: a real SSH server on the floating IP, answers decided by the profile."""

from __future__ import annotations

import base64
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import openstack
import openstack.connection
import pytest

from scs_toolkit.simcloud import SimCloud


def boot_reachable_server(conn: openstack.connection.Connection, key_name: str) -> tuple[object, str]:
    public = conn.network.find_network("public")
    network = conn.network.create_network(name=f"{key_name}-net")
    subnet = conn.network.create_subnet(network_id=network.id, cidr="10.5.0.0/24", ip_version=4)
    router = conn.network.create_router(name=f"{key_name}-router", external_gateway_info={"network_id": public.id})
    conn.network.add_interface_to_router(router, subnet_id=subnet.id)
    image, flavor = conn.image.find_image("Ubuntu 24.04"), conn.compute.find_flavor("SCS-2V-4-20s")
    server = conn.compute.create_server(
        name=f"{key_name}-vm",
        image_id=image.id,
        flavor_id=flavor.id,
        networks=[{"uuid": network.id}],
        key_name=key_name,
    )
    server = conn.compute.wait_for_server(server, interval=0.1, wait=30)
    port = next(conn.network.ports(device_id=server.id))
    fip = conn.network.create_ip(floating_network_id=public.id, port_id=port.id)
    return conn.compute.get_server(server.id), fip.floating_ip_address


def ssh(key: Path, address: str, port: str, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "ssh",
            "-i",
            str(key),
            "-p",
            port,
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "ConnectTimeout=10",
            f"ubuntu@{address}",
            command,
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.fixture
def keyfile(tmp_path: Path) -> Iterator[Path]:
    key = tmp_path / "id_ed25519"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    yield key


def test_ssh_with_the_injected_key(
    simcloud: SimCloud, conn: openstack.connection.Connection, keyfile: Path, tmp_path: Path
) -> None:
    conn.compute.create_keypair(name="ssh-test", public_key=(keyfile.with_suffix(".pub")).read_text())
    server, address = boot_reachable_server(conn, "ssh-test")
    port = server.metadata["sim:ssh_port"]
    result = ssh(keyfile, address, port, "cat /proc/sys/kernel/random/entropy_avail")
    assert (result.returncode, result.stdout) == (0, "256\n")
    assert "FIPS 140-2 failures: 0" in ssh(keyfile, address, port, "cat /dev/random | rngtest -c 1000").stdout
    assert ssh(keyfile, address, port, "systemctl status rngd").returncode == 0
    assert ssh(keyfile, address, port, f"ping -c 1 {address}").returncode == 0
    assert ssh(keyfile, address, port, "ping -c 1 192.0.2.1").returncode == 1
    assert ssh(keyfile, address, port, "frobnicate").returncode == 127
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    denied = ssh(other, address, port, "true")
    assert denied.returncode == 255 and "Permission denied" in denied.stderr
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, interval=0.1, wait=30)
    assert ssh(keyfile, address, port, "true").returncode == 255  # the guest is gone
    assert address not in simcloud.cloud.guests.listeners


def test_profile_decides_the_answers(simcloud_factory: Callable[..., SimCloud], keyfile: Path) -> None:
    sim = simcloud_factory(profile="weak-entropy", seed=21)
    conn = openstack.connect(**sim.connect_kwargs())
    conn.compute.create_keypair(name="weak", public_key=keyfile.with_suffix(".pub").read_text())
    server, address = boot_reachable_server(conn, "weak")
    port = server.metadata["sim:ssh_port"]
    assert ssh(keyfile, address, port, "cat /proc/sys/kernel/random/entropy_avail").stdout == "143\n"
    assert "FIPS 140-2 failures: 17" in ssh(keyfile, address, port, "rngtest -c 1000 < /dev/random").stdout
    missing = ssh(keyfile, address, port, "systemctl status rngd")
    assert missing.returncode == 4 and "could not be found" in missing.stderr


def test_guests_listen_only_on_loopback(simcloud: SimCloud) -> None:
    assert all(address.startswith("127.") for address in simcloud.cloud.guests.listeners)
    assert os.environ.get("SCS_NEVER_SET") is None  # sanity: no hidden switches


USER_DATA = """#cloud-config
packages: [rng-tools5]
runcmd:
  - echo '_scs-test-entropy-avail'; cat /proc/sys/kernel/random/entropy_avail
  - echo '_scs-test-fips-test'; cat /dev/random | rngtest -c 1000
  - echo '_scs-test-rngd'; sudo systemctl status rngd
  - echo '_scs-test-end'
final_message: "_scs-test-end"
"""


@pytest.mark.parametrize(("profile", "entropy", "failures"), [("compliant", "256", "0"), ("weak-entropy", "143", "17")])
def test_console_shows_cloud_init_running_user_data(
    simcloud_factory: Callable[..., SimCloud], profile: str, entropy: str, failures: str
) -> None:
    """What the reference entropy check reads: no SSH, just user data and the console log."""
    sim = simcloud_factory(profile=profile, seed=22, ssh=False)
    conn = openstack.connect(**sim.connect_kwargs())
    network = conn.network.create_network(name="console-net")
    conn.network.create_subnet(network_id=network.id, cidr="10.3.0.0/24", ip_version=4)
    image, flavor = conn.image.find_image("Ubuntu 24.04"), conn.compute.find_flavor("SCS-2V-4-20s")
    server = conn.compute.create_server(
        name="console-vm",
        image_id=image.id,
        flavor_id=flavor.id,
        networks=[{"uuid": network.id}],
        user_data=base64.b64encode(USER_DATA.encode()).decode(),
    )
    conn.compute.wait_for_server(server, interval=0.1, wait=30)
    lines = conn.compute.get_server_console_output(server)["output"].splitlines()
    assert lines[lines.index("_scs-test-entropy-avail") + 1] == entropy
    assert f"rngtest: FIPS 140-2 failures: {failures}" in lines
    assert lines.count("_scs-test-end") == 2  # the runcmd echo and the final message
