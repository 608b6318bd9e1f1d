"""scs-0101 entropy: on a sample VM, entropy_avail is 256 and the random source passes FIPS 140-2 tests.

Both testcases read the output of one VM per run (booted once, shared). The VM gets a key pair, a
network with a router to the external network, a security group that admits SSH and a floating IP;
everything is named `scs-test-0101-...` and deleted afterwards, also when something fails.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import threading
import time
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import asyncssh
from openstack import exceptions

from ...collect import Flavor, IaasSnapshot, Image
from ...collect._cleanup import delete_created
from ...collect._retry import CANCEL, Cancelled, wait_for_status, with_retries
from .._model import Finding, Outcome
from .._registry import testcase

PREFIX = "scs-test-0101-"
BOOT_TIMEOUT_S = 300.0
SSH_TIMEOUT_S = 180.0
ENTROPY = "cat /proc/sys/kernel/random/entropy_avail"
FIPS = "cat /dev/random | rngtest -c 1000"
RNGD = "sudo systemctl status rngd"
USER_DATA = "#cloud-config\npackages:\n  - rng-tools5\n"
_FAILURES = re.compile(r"failures:\s(\d+)")


@dataclass(frozen=True)
class VmOutput:
    image: str
    entropy: str | None = None
    fips: str | None = None
    rngd: int | None = None  # exit status of `systemctl status rngd`
    error: str | None = None


_RUNS: weakref.WeakKeyDictionary[Any, VmOutput] = weakref.WeakKeyDictionary()


def canonical_image(images: tuple[Image, ...]) -> Image | None:
    """Newest Debian, else newest Ubuntu, among public images (as the reference chooses)."""
    codenames = {"buster": 10, "bullseye": 11, "bookworm": 12, "trixie": 13}

    def rank(image: Image) -> tuple[int, int]:
        distro = image.properties.get("os_distro", "").strip().lower()
        version = image.properties.get("os_version", "").strip()
        if distro == "debian":
            return 2, int(version) if version.isdigit() else codenames.get(version, 0)
        if distro == "ubuntu":
            digits = version.replace(".", "")
            return 1, int(digits) if digits.isdigit() else 0
        return 0, 0

    candidates = [i for i in images if i.visibility in ("public", "community") and rank(i)[0]]
    return max(candidates, key=rank) if candidates else None


def smallest_flavor(flavors: tuple[Flavor, ...], image: Image) -> Flavor | None:
    """The cheapest flavor with a root disk that fits the image (what a probe VM needs)."""
    fitting = [f for f in flavors if f.ram_mib >= image.min_ram and f.disk_gb >= max(image.min_disk, 1)]
    return min(fitting, key=lambda f: (f.vcpus + f.ram_mib / 3072 + f.disk_gb / 10, f.name)) if fitting else None


_LOCK = threading.Lock()  # both testcases may run at once: only one of them boots the VM


def _vm_output(snapshot: IaasSnapshot, conn: Any) -> VmOutput:
    with _LOCK:
        if conn not in _RUNS:
            _RUNS[conn] = _boot_and_probe(snapshot, conn)
        return _RUNS[conn]


def _boot_and_probe(snapshot: IaasSnapshot, conn: Any) -> VmOutput:
    image = canonical_image(snapshot.images or ())
    if image is None:
        return VmOutput("", error="no public Debian or Ubuntu image to boot")
    flavor = smallest_flavor(snapshot.flavors or (), image)
    if flavor is None:
        return VmOutput(image.name, error=f"no flavor with a root disk fits image {image.name}")
    created: list[tuple[str, Any]] = []
    try:
        key = asyncssh.generate_private_key("ssh-ed25519")
        public = key.export_public_key().decode()
        keypair = with_retries(lambda: conn.compute.create_keypair(name=f"{PREFIX}key", public_key=public))
        created.append(("keypair", keypair))
        address, port = _boot(conn, image, flavor.id, created)
        with ThreadPoolExecutor(1) as own_loop:  # the caller's thread may run an event loop already
            entropy, fips, rngd = own_loop.submit(asyncio.run, _ssh(address, port, key)).result()
        return VmOutput(image.name, entropy=entropy, fips=fips, rngd=rngd)
    except Exception as error:  # any failure here means no verdict for either testcase
        return VmOutput(image.name, error=f"{type(error).__name__}: {error}")
    finally:
        # best effort; leftovers carry the prefix for clean-up tools
        delete_created(conn, created, BOOT_TIMEOUT_S, poll_s=1)


def _boot(conn: Any, image: Image, flavor_id: str, created: list[tuple[str, Any]]) -> tuple[str, int]:
    net = conn.network
    public = next(iter(with_retries(lambda: list(net.networks(is_router_external=True)))), None)
    if public is None:
        raise RuntimeError("no external network for a floating IP")
    network = with_retries(lambda: net.create_network(name=f"{PREFIX}net"))
    created.append(("network", network))
    subnet = with_retries(
        lambda: net.create_subnet(
            name=f"{PREFIX}subnet",
            network_id=network.id,
            ip_version=4,
            cidr="10.101.0.0/24",
            dns_nameservers=["9.9.9.9"],
        )
    )
    router = with_retries(
        lambda: net.create_router(name=f"{PREFIX}router", external_gateway_info={"network_id": public.id})
    )
    created.append(("router", router))
    with_retries(lambda: net.add_interface_to_router(router, subnet.id))  # positional: SDK 4.x renames subnet_id
    created.append(("interface", (router, subnet.id)))
    group = with_retries(
        lambda: net.create_security_group(name=f"{PREFIX}ssh", description="SSH for the scs-0101 probe")
    )
    created.append(("security_group", group))
    with contextlib.suppress(exceptions.ConflictException):  # the default rules may already admit SSH
        with_retries(
            lambda: net.create_security_group_rule(
                security_group_id=group.id,
                direction="ingress",
                protocol="tcp",
                port_range_min=22,
                port_range_max=22,
                remote_ip_prefix="0.0.0.0/0",
            )
        )
    server = with_retries(
        lambda: conn.compute.create_server(
            name=f"{PREFIX}server",
            image_id=image.id,
            flavor_id=flavor_id,
            networks=[{"uuid": network.id}],
            key_name=f"{PREFIX}key",
            security_groups=[{"name": "default"}, {"name": group.name}],
            user_data=base64.b64encode(USER_DATA.encode()).decode(),
        )
    )
    created.append(("server", server))
    server = wait_for_status(lambda: conn.compute.get_server(server.id), "ACTIVE", "server", BOOT_TIMEOUT_S)
    port = next(iter(with_retries(lambda: list(net.ports(device_id=server.id)))))
    fip = with_retries(lambda: net.create_ip(floating_network_id=public.id, port_id=port.id))
    created.append(("floating_ip", fip))
    server = with_retries(lambda: conn.compute.get_server(server.id))
    return fip.floating_ip_address, int((server.metadata or {}).get("sim:ssh_port", 22))


async def _ssh(address: str, port: int, key: asyncssh.SSHKey) -> tuple[str, str, int]:
    """Log in as soon as the guest accepts (retrying while it boots) and run the two commands."""
    deadline = time.monotonic() + SSH_TIMEOUT_S
    delay = 0.5
    while True:
        for user in ("debian", "ubuntu"):
            try:
                async with asyncssh.connect(
                    address, port=port, username=user, client_keys=[key], known_hosts=None, connect_timeout=15
                ) as connection:
                    entropy = await connection.run(ENTROPY, timeout=60)
                    fips = await connection.run(FIPS, timeout=120)
                    rngd = await connection.run(RNGD, timeout=60)
                    return str(entropy.stdout), str(fips.stdout) + str(fips.stderr), int(rngd.exit_status or 0)
            except asyncssh.PermissionDenied:
                continue  # wrong user name for this image: try the next
            except (TimeoutError, OSError, asyncssh.Error):
                break
        if time.monotonic() > deadline:
            raise TimeoutError(f"could not log in to {address}:{port} within {SSH_TIMEOUT_S:.0f} s")
        if CANCEL.is_set():
            raise Cancelled("interrupted while waiting for SSH")
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 10)


@testcase(
    "scs-0101-entropy-avail",
    "scs-0101-v1",
    "`entropy_avail` is 256 on a sample VM.",
    "Use images with a kernel >= 5.18 and hosts whose CPUs offer RDRAND/RDSEED to guests.",
    needs=["images", "flavors"],
    active=True,
)
def entropy_avail(snapshot: IaasSnapshot, conn: Any) -> Outcome:
    output = _vm_output(snapshot, conn)
    if output.error or output.entropy is None:
        return Outcome.aborted(f"could not probe a VM: {output.error}")
    value = output.entropy.strip()
    if value == "256":
        return Outcome.passed(f"entropy_avail is 256 on {output.image}")
    return Outcome.failed(
        f"entropy_avail is {value}, not 256",
        [Finding(output.image, "entropy_avail", "256", value)],
        "Use images with a kernel >= 5.18 (fixed 256) and do not filter RDRAND/RDSEED from guests.",
    )


@testcase(
    "scs-0101-fips-test",
    "scs-0101-v1",
    "The random source of a sample VM passes the FIPS 140-2 test.",
    "Offer a good entropy source to guests (virtio-rng / CPU RNG instructions).",
    needs=["images", "flavors"],
    active=True,
)
def fips_test(snapshot: IaasSnapshot, conn: Any) -> Outcome:
    output = _vm_output(snapshot, conn)
    if output.error or output.fips is None:
        return Outcome.aborted(f"could not probe a VM: {output.error}")
    match = _FAILURES.search(output.fips)
    if match is None:
        return Outcome.aborted("rngtest gave no FIPS result (is rng-tools installed in the image?)")
    failures = int(match.group(1))
    if failures <= 5:
        return Outcome.passed(f"{failures} FIPS 140-2 failures in 1000 blocks")
    return Outcome.failed(
        f"{failures} FIPS 140-2 failures in 1000 blocks",
        [Finding(output.image, "FIPS 140-2 failures", "<= 5", str(failures))],
        "Give guests a better random source (virtio-rng, RDRAND/RDSEED).",
    )


@testcase(
    "scs-0101-rngd",
    "scs-0101-v1",
    "The service `rngd` is present on a sample VM.",
    "Install rng-tools in the images (recommended by scs-0101 v1.0).",
    needs=["images", "flavors"],
    severity="warning",
    active=True,
)
def rngd(snapshot: IaasSnapshot, conn: Any) -> Outcome:
    output = _vm_output(snapshot, conn)
    if output.error or output.rngd is None:
        return Outcome.aborted(f"could not probe a VM: {output.error}")
    if output.rngd == 0:
        return Outcome.passed(f"rngd runs on {output.image}")
    return Outcome.failed(
        "rngd is not running",
        [Finding(output.image, "systemctl status rngd", "0", str(output.rngd))],
        "Install and enable rng-tools in the images.",
    )


@testcase(
    "scs-0101-flavor-property",
    "scs-0101-v1",
    "Each flavor has the extra spec `hw_rng:allowed=True`.",
    "Set `hw_rng:allowed=True` on all flavors.",
    needs=["flavors"],
    severity="warning",
)
def flavor_property(snapshot: IaasSnapshot) -> Outcome:
    findings = [
        Finding(f.name, "hw_rng:allowed is not True", "True", str(f.extra_specs.get("hw_rng:allowed")))
        for f in snapshot.flavors or ()
        if str(f.extra_specs.get("hw_rng:allowed", "")).lower() != "true"
    ]
    return Outcome.from_findings(
        findings,
        "all flavors allow a virtio RNG",
        "flavors without hw_rng:allowed=True",
        "openstack flavor set --property hw_rng:allowed=True FLAVOR",
    )


@testcase(
    "scs-0101-image-property",
    "scs-0101-v1",
    "Each public image has the property `hw_rng_model=virtio`.",
    "Set `hw_rng_model=virtio` on the public images.",
    needs=["images"],
    severity="warning",
)
def image_property(snapshot: IaasSnapshot) -> Outcome:
    findings = [
        Finding(i.name, "hw_rng_model is not virtio", "virtio", str(i.properties.get("hw_rng_model")))
        for i in snapshot.images or ()
        if i.visibility in ("public", "community") and i.properties.get("hw_rng_model") != "virtio"
    ]
    return Outcome.from_findings(
        findings,
        "all public images use a virtio RNG",
        "images without hw_rng_model=virtio",
        "openstack image set --property hw_rng_model=virtio IMAGE",
    )
