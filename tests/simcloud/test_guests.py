"""SSH into simulated servers: a real SSH server on the floating IP, answers decided by the profile."""

from __future__ import annotations

import base64
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import openstack
import openstack.connection
import pytest
from openstack import exceptions

from scs_toolkit.simcloud import Faults, SimCloud, SimCloudOptions

RNG_TOOLS = "#cloud-config\npackages: [rng-tools5]\n"


def boot_reachable_server(
    conn: openstack.connection.Connection, key_name: str, user_data: str | None = RNG_TOOLS
) -> tuple[object, str]:
    public = conn.network.find_network("public")
    network = conn.network.create_network(name=f"{key_name}-net")
    subnet = conn.network.create_subnet(network_id=network.id, cidr="10.5.0.0/24", ip_version=4)
    router = conn.network.create_router(name=f"{key_name}-router", external_gateway_info={"network_id": public.id})
    conn.network.add_interface_to_router(router, subnet.id)
    image, flavor = conn.image.find_image("Ubuntu 24.04"), conn.compute.find_flavor("SCS-2V-4-20s")
    extra = {"user_data": base64.b64encode(user_data.encode()).decode()} if user_data else {}
    server = conn.compute.create_server(
        name=f"{key_name}-vm",
        image_id=image.id,
        flavor_id=flavor.id,
        networks=[{"uuid": network.id}],
        key_name=key_name,
        **extra,
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
    fips = ssh(keyfile, address, port, "cat /dev/random | rngtest -c 1000")
    assert (
        fips.returncode == 0 and "FIPS 140-2 failures: 0" in fips.stderr and fips.stdout == ""
    )  # rngtest reports on stderr
    rngd = ssh(keyfile, address, port, "systemctl status rngd")
    assert rngd.returncode == 0 and "Active: active (running)" in rngd.stdout
    assert ssh(keyfile, address, port, f"ping -c 1 {address}").returncode == 0
    assert ssh(keyfile, address, port, "ping -c 1 192.0.2.1").returncode == 1
    unknown = ssh(keyfile, address, port, "frobnicate")
    assert (unknown.returncode, unknown.stderr) == (127, "bash: frobnicate: command not found\n")
    piped = ssh(
        keyfile,
        address,
        port,
        "cat /proc/sys/kernel/random/entropy_avail | awk '$0=\"entropy: \"$0' && false || echo fallback",
    )
    assert piped.stdout == "entropy: 256\nfallback\n"
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
    fips = ssh(keyfile, address, port, "rngtest -c 1000 < /dev/random 2>&1")
    assert fips.returncode == 1 and "FIPS 140-2 failures: 17" in fips.stdout  # rngtest fails when blocks fail
    failed = ssh(keyfile, address, port, "systemctl status rngd")
    assert failed.returncode == 3 and "Active: failed" in failed.stdout  # installed, but no entropy source
    hwrng = ssh(keyfile, address, port, "sudo od -vAn -N2 -tu2 < /dev/hwrng")
    assert hwrng.returncode == 1 and "No such file or directory" in hwrng.stderr  # no virtio-rng device


def test_without_rng_tools_there_is_no_rngtest_and_no_rngd(simcloud: SimCloud, keyfile: Path) -> None:
    conn = openstack.connect(**simcloud.connect_kwargs())
    conn.compute.create_keypair(name="bare", public_key=keyfile.with_suffix(".pub").read_text())
    server, address = boot_reachable_server(conn, "bare", user_data=None)
    port = server.metadata["sim:ssh_port"]
    missing = ssh(keyfile, address, port, "cat /dev/random | rngtest -c 1000")
    assert (missing.returncode, missing.stderr) == (127, "bash: rngtest: command not found\n")
    rngd = ssh(keyfile, address, port, "systemctl status rngd")
    assert rngd.returncode == 4 and rngd.stderr == "Unit rngd.service could not be found.\n"
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, interval=0.1, wait=30)


def test_guests_listen_only_on_loopback(
    simcloud_factory: Callable[..., SimCloud], keyfile: Path, tmp_path: Path
) -> None:
    profile = tmp_path / "documentation-net.yaml"
    profile.write_text(
        "extends: compliant\ndescription: floating IPs off loopback\nnetwork: {floating_ip_cidr: 192.0.2.0/24}\n"
    )
    for name, expected in (("compliant", True), (str(profile), False)):
        sim = simcloud_factory(profile=name, seed=25)
        conn = openstack.connect(**sim.connect_kwargs())
        conn.compute.create_keypair(name="lo", public_key=keyfile.with_suffix(".pub").read_text())
        _, address = boot_reachable_server(conn, "lo")
        assert (address in sim.cloud.guests.listeners) is expected, address
        assert all(listening.startswith("127.") for listening in sim.cloud.guests.listeners)


#: The user data of the official scs-0101 entropy check (SovereignCloudStack/standards,
#: Tests/iaas/scs_0101_entropy/entropy_check.py, AGPL-3.0), quoted as data from
#: /work/shared/reference/standards-iaas.md, appendix "the user data of the official scs-0101 entropy check".
OFFICIAL_ENTROPY_USER_DATA = """#cloud-config
# apt-placeholder
packages:
  - rng-tools5
bootcmd:
  - systemctl mask serial-getty@ttyS0.service
runcmd:
  - >-
    cat /proc/sys/kernel/random/entropy_avail | awk '$0="_scs-test-entropy-avail: "$0'
  - >-
    cat /dev/random | rngtest -c 1000 2>&1 | awk '$0="_scs-test-fips-test: "$0'
  - >-
    sudo systemctl status rngd 2>&1 | awk '$0="_scs-test-rngd: "$0'
  - >-
    cat /sys/devices/virtual/misc/hw_random/rng_available 2>&1 | awk '$0="_scs-test-virtio-rng: "$0'; sudo /bin/sh -c 'od -vAn -N2 -tu2 < /dev/hwrng' 2>&1 | awk '$0="_scs-test-virtio-rng: "$0'
  - echo '_scs-test-end'
final_message: "_scs-test-end"
"""


def official_sections(console: str) -> dict[str, list[str]]:
    """How the official check reads the console (standards-iaas.md 4.2, step 6): each line with `_scs-test-`,
    the text after the marker split at the first `:` into section and payload (stripped)."""
    sections: dict[str, list[str]] = {}
    for line in console.splitlines():
        if "_scs-test-" not in line:
            continue
        rest = line.split("_scs-test-", 1)[1]
        if ":" not in rest:
            continue
        section, payload = rest.split(":", 1)
        sections.setdefault(section, []).append(payload.strip())
    return sections


def official_verdicts(sections: dict[str, list[str]]) -> dict[str, str]:
    """The official decisions (standards-iaas.md 4.2): entropy-avail is PASS iff its first line is 256;
    fips-test finds `failures:` + one whitespace + digits, PASS up to 5 (4-5 with a note), else FAIL."""
    entropy = "PASS" if sections["entropy-avail"][0] == "256" else "FAIL"
    match = re.search(r"failures:\s(\d+)", " ".join(sections["fips-test"]))
    fips = "ABORT" if match is None else "PASS" if int(match.group(1)) <= 5 else "FAIL"
    return {"scs-0101-entropy-avail": entropy, "scs-0101-fips-test": fips}


def boot_like_the_official_check(conn: openstack.connection.Connection, user_data: str) -> tuple[object, str]:
    """Most recent Debian image, most frugal flavor with hw_rng:allowed, from a volume, no key, no floating IP."""
    public = conn.network.find_network("public")
    network = conn.network.create_network(name="_scs-0101-net")
    subnet = conn.network.create_subnet(
        name="_scs-0101-subnet", network_id=network.id, cidr="10.1.0.0/24", ip_version=4, gateway_ip="10.1.0.1"
    )
    router = conn.network.create_router(name="_scs-0101-router", external_gateway_info={"network_id": public.id})
    conn.network.add_interface_to_router(router, subnet.id)
    image = conn.image.find_image("Debian 12")
    flavors = [f for f in conn.compute.flavors() if str(f.extra_specs.get("hw_rng:allowed", "")).lower() == "true"]
    flavor = min(flavors, key=lambda f: f.vcpus + f.ram / 3.0 + f.disk / 10.0)
    assert flavor.disk == 0  # the most frugal ones have no root disk: only a volume boot works
    server = conn.compute.create_server(
        name="_scs-0101-server",
        flavor_id=flavor.id,
        networks=[{"uuid": network.id}],
        block_device_mapping=[
            {
                "boot_index": 0,
                "uuid": image.id,
                "source_type": "image",
                "destination_type": "volume",
                "volume_size": max(image.min_disk, 8),
                "delete_on_termination": True,
            }
        ],
        user_data=base64.b64encode(user_data.encode()).decode(),
    )
    server = conn.compute.wait_for_server(server, interval=0.1, wait=30)
    return server, conn.compute.get_server_console_output(server)["output"]


@pytest.mark.parametrize(
    ("profile", "entropy", "verdicts"),
    [
        ("compliant", "256", {"scs-0101-entropy-avail": "PASS", "scs-0101-fips-test": "PASS"}),
        ("weak-entropy", "143", {"scs-0101-entropy-avail": "FAIL", "scs-0101-fips-test": "FAIL"}),
    ],
)
def test_official_entropy_check_reads_its_results_from_the_console(
    simcloud_factory: Callable[..., SimCloud], profile: str, entropy: str, verdicts: dict[str, str]
) -> None:
    sim = simcloud_factory(profile=profile, seed=22, ssh=False)
    conn = openstack.connect(**sim.connect_kwargs())
    server, console = boot_like_the_official_check(conn, OFFICIAL_ENTROPY_USER_DATA)
    sections = official_sections(console)
    assert set(sections) == {"entropy-avail", "fips-test", "rngd", "virtio-rng", "end"} - {"end"}
    assert sections["entropy-avail"] == [entropy]
    assert official_verdicts(sections) == verdicts
    assert "_scs-test-end" in console and "Failed to run module scripts-user" not in console
    assert any("rng-tools5" in line for line in console.splitlines() if "Setting up" in line)  # `packages:` ran
    assert "login:" not in console  # bootcmd masked the serial getty, as it asks
    attached = [v["id"] for v in conn.compute.get_server(server.id).attached_volumes]
    volume = conn.block_storage.get_volume(attached[0])
    assert (volume.status, volume.is_bootable, volume.size) == ("in-use", True, 8)
    raw = conn.compute.get(f"/servers/{server.id}", microversion="2.100").json()["server"]
    assert raw["image"] == ""  # a volume-backed server names no image
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, interval=0.1, wait=30)
    assert list(conn.block_storage.volumes()) == []  # delete_on_termination


def test_console_shows_rngd_and_virtio_rng_as_the_profile_says() -> None:
    """The sections the official check does not judge still say what a real guest would."""
    for profile, rngd, virtio in (
        ("compliant", "Active: active (running)", "virtio_rng.0"),
        ("weak-entropy", "Active: failed", "cannot open /dev/hwrng"),
    ):
        with SimCloud(SimCloudOptions(profile=profile, seed=23, ssh=False)) as sim:
            conn = openstack.connect(**sim.connect_kwargs())
            _, console = boot_like_the_official_check(conn, OFFICIAL_ENTROPY_USER_DATA)
        sections = official_sections(console)
        assert any(rngd in line for line in sections["rngd"]), (profile, sections["rngd"])
        assert any(virtio in line for line in sections["virtio-rng"]), (profile, sections["virtio-rng"])


def test_failing_runcmd_fails_the_scripts_user_module(
    simcloud: SimCloud, conn: openstack.connection.Connection
) -> None:
    user_data = "#cloud-config\nruncmd:\n  - echo before\n  - frobnicate --now\n"
    network = conn.network.create_network(name="runcmd-net")
    conn.network.create_subnet(network_id=network.id, cidr="10.3.0.0/24", ip_version=4)
    image, flavor = conn.image.find_image("Ubuntu 24.04"), conn.compute.find_flavor("SCS-2V-4-20s")
    server = conn.compute.create_server(
        name="runcmd-vm",
        image_id=image.id,
        flavor_id=flavor.id,
        networks=[{"uuid": network.id}],
        user_data=base64.b64encode(user_data.encode()).decode(),
    )
    conn.compute.wait_for_server(server, interval=0.1, wait=30)
    console = conn.compute.get_server_console_output(server)["output"]
    assert "cloud-init[800]: before" in console
    assert "/var/lib/cloud/instance/scripts/runcmd: 3: frobnicate: not found" in console
    assert "Failed to run module scripts-user" in console
    tail = conn.compute.get_server_console_output(server, length=2)["output"]
    assert tail.splitlines() == console.splitlines()[-2:]
    conn.compute.delete_server(server)
    conn.compute.wait_for_delete(server, interval=0.1, wait=30)
    conn.network.delete_network(network)


def test_no_console_while_building(simcloud_factory: Callable[..., SimCloud]) -> None:
    sim = simcloud_factory(profile="compliant", seed=24, ssh=False, faults=Faults(build_delay_s=600))
    conn = openstack.connect(**sim.connect_kwargs())
    image, flavor = conn.image.find_image("Ubuntu 24.04"), conn.compute.find_flavor("SCS-2V-4-20s")
    server = conn.compute.create_server(name="slow", image_id=image.id, flavor_id=flavor.id, networks="none")
    with pytest.raises(exceptions.ConflictException, match="while it is in vm_state building"):
        conn.compute.get_server_console_output(server)
