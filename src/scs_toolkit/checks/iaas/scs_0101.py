"""scs-0101 entropy: on a sample VM, entropy_avail is 256 and the random source passes FIPS 140-2 tests.

All three VM testcases read one VM per run (booted once, shared). Like the official check, the VM runs
the commands from its user data and prints the results to its serial console (`_scs-test-<section>:
<line>`), which we read through the compute API: no floating IP, no SSH, nothing the tester must reach.
Only when the console carries no results (a cloud without console logs, a cloud-init that does not
log to the console) does the probe attach a floating IP and ask the guest over SSH. Everything is named
with the run's prefix and deleted afterwards, also when something fails.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import threading
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openstack import exceptions

from ...collect import Flavor, IaasSnapshot, Image
from ...collect._cleanup import delete_created, describe
from ...collect._retry import CANCEL, Cancelled, transient, wait_for_status, with_retries
from .._evaluate import PartMissing
from .._model import Finding, Outcome, Probe
from .._registry import testcase

if TYPE_CHECKING:  # asyncssh (~150 ms to import) loads when a probe needs a key, not with the checks
    import asyncssh

BOOT_TIMEOUT_S = 300.0
#: How long the console may take to show every result (cloud-init installs rng-tools first).
CONSOLE_TIMEOUT_S = 300.0
SSH_TIMEOUT_S = 180.0
END = "_scs-test-end"
SCRIPT_FAILED = "Failed to run module scripts-user"
#: The commands the VM runs; each output line is printed to the console as `_scs-test-<section>: <line>`.
COMMANDS = {
    "entropy-avail": "cat /proc/sys/kernel/random/entropy_avail",
    "fips-test": "cat /dev/random | rngtest -c 1000",
    "rngd": "sudo systemctl status rngd",
}
USER_DATA = (
    "#cloud-config\n"
    "packages:\n  - rng-tools5\n"
    "runcmd:\n"
    + "".join(
        f"  - >-\n    {command} 2>&1 | awk '$0=\"_scs-test-{section}: \"$0'\n" for section, command in COMMANDS.items()
    )
    + f"  - echo '{END}'\n"
    + f'final_message: "{END}"\n'
)
_FAILURES = re.compile(r"failures:\s(\d+)")
_MARKER = re.compile(r"_scs-test-([a-z0-9-]+):(.*)$")


@dataclass(frozen=True)
class VmOutput:
    """What the sample VM said, per section (lines without the marker), and how we learned it."""

    image: str
    sections: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = ""  # "console" or "ssh"
    error: str | None = None

    def lines(self, section: str) -> tuple[str, ...] | None:
        return self.sections.get(section)


def console_sections(console: str) -> dict[str, tuple[str, ...]]:
    """`_scs-test-<section>: payload` lines of a console log, payloads per section in order."""
    sections: dict[str, list[str]] = {}
    for line in console.splitlines():
        match = _MARKER.search(line)
        if match:
            sections.setdefault(match.group(1), []).append(match.group(2).strip())
    return {name: tuple(lines) for name, lines in sections.items()}


#: Per run: what the VM said, or the snapshot part it could not read (the other two testcases say so too).
_RUNS: weakref.WeakKeyDictionary[Probe, VmOutput | PartMissing] = weakref.WeakKeyDictionary()


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


_LOCK = threading.Lock()  # the testcases may run at once: only one of them boots the VM


def _vm_output(snapshot: IaasSnapshot, probe: Probe) -> VmOutput:
    with _LOCK:
        if probe not in _RUNS:
            try:
                _RUNS[probe] = _boot_and_probe(snapshot, probe)
            except PartMissing as missing:
                _RUNS[probe] = missing
        output = _RUNS[probe]
    if isinstance(output, PartMissing):
        raise PartMissing(output.part, output.reason)
    return output


def _boot_and_probe(snapshot: IaasSnapshot, probe: Probe) -> VmOutput:
    """Boot the VM and read what it says. Its network, key and security group need neither image nor
    flavor, so they are made on a helper thread while this one reads the snapshot's images and flavors,
    which may still be loading (a Glance listing can take long)."""
    created: list[tuple[str, Any]] = []
    vm = _Vm(probe, created)
    image: Image | None = None
    with ThreadPoolExecutor(1, thread_name_prefix="scs-0101-network") as helper:
        network = helper.submit(vm.prepare)
        try:
            image = canonical_image(snapshot.images or ())
            if image is None:
                return VmOutput("", error="no public Debian or Ubuntu image to boot")
            flavor = smallest_flavor(snapshot.flavors or (), image)
            if flavor is None:
                return VmOutput(image.name, error=f"no flavor with a root disk fits image {image.name}")
            network.result()
            vm.boot(image, flavor.id)
            sections, console_problem = vm.read_console()
            if all(section in sections for section in COMMANDS):
                return VmOutput(image.name, sections, "console")
            try:
                return VmOutput(image.name, {**vm.ask_over_ssh(), **sections}, "ssh")
            except Cancelled:
                raise
            except Exception as error:
                return VmOutput(image.name, error=f"{console_problem}; asking over SSH failed too: {describe(error)}")
        except PartMissing:
            raise  # evaluate says which part could not be read, as for any check
        except Exception as error:  # any failure here means no verdict for the VM testcases
            return VmOutput(image.name if image else "", error=describe(error))
        finally:
            wait([network])  # everything it made is in `created`
            # best effort; leftovers carry the run's prefix for `scs check cleanup`
            problems = delete_created(probe.conn, created, probe.timeout_s or BOOT_TIMEOUT_S, poll_s=1)
            if problems:
                _LEFTOVERS[probe] = tuple(problems)


_LEFTOVERS: weakref.WeakKeyDictionary[Probe, tuple[str, ...]] = weakref.WeakKeyDictionary()


class _Vm:
    """The probe VM's life: network, boot, console, and, only if needed, a floating IP for SSH."""

    def __init__(self, probe: Probe, created: list[tuple[str, Any]]) -> None:
        self.probe, self.conn, self.created = probe, probe.conn, created
        import asyncssh

        self.key = asyncssh.generate_private_key("ssh-ed25519")
        self.server: Any = None
        self.external: Any = None
        self.keypair: Any = None
        self.network: Any = None
        self.group: Any = None

    def prepare(self) -> None:
        """Key pair, network (with a router to the outside, if there is one) and security group."""
        if CANCEL.is_set():
            raise Cancelled("interrupted before the probe VM's network was made")
        conn, net, name = self.conn, self.conn.network, self.probe.name
        public = self.key.export_public_key().decode()
        self.keypair = keypair = with_retries(
            lambda: conn.compute.create_keypair(name=name("0101-key"), public_key=public)
        )
        self.created.append(("keypair", keypair))
        self.network = network = with_retries(lambda: net.create_network(name=name("0101-net")))
        self.created.append(("network", network))
        subnet = with_retries(
            lambda: net.create_subnet(
                name=name("0101-subnet"),
                network_id=network.id,
                ip_version=4,
                cidr="10.101.0.0/24",
                dns_nameservers=["9.9.9.9"],
            )
        )
        # the guest installs rng-tools: it needs a way out (and SSH, if it comes to that, a way in)
        self.external = next(iter(with_retries(lambda: list(net.networks(is_router_external=True)))), None)
        if self.external is not None:
            external_id = self.external.id
            router = with_retries(
                lambda: net.create_router(name=name("0101-router"), external_gateway_info={"network_id": external_id})
            )
            self.created.append(("router", router))
            with_retries(lambda: net.add_interface_to_router(router, subnet.id))  # positional: SDK 4.x renamed it
            self.created.append(("interface", (router, subnet.id)))
        self.group = group = with_retries(
            lambda: net.create_security_group(name=name("0101-ssh"), description="SSH for the scs-0101 probe")
        )
        self.created.append(("security_group", group))
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

    def boot(self, image: Image, flavor_id: str) -> None:
        """The server on the prepared network, ACTIVE."""
        if CANCEL.is_set():  # Ctrl-C while the snapshot's images were still loading
            raise Cancelled("interrupted before the probe VM was booted")
        conn, name, network, keypair, group = self.conn, self.probe.name, self.network, self.keypair, self.group
        server = with_retries(
            lambda: conn.compute.create_server(
                name=name("0101-server"),
                image_id=image.id,
                flavor_id=flavor_id,
                networks=[{"uuid": network.id}],
                key_name=keypair.name,
                security_groups=[{"name": "default"}, {"name": group.name}],
                user_data=base64.b64encode(USER_DATA.encode()).decode(),
            )
        )
        self.created.append(("server", server))
        self.server = wait_for_status(
            lambda: conn.compute.get_server(server.id), "ACTIVE", "server", self.probe.timeout_s or BOOT_TIMEOUT_S
        )

    def read_console(self) -> tuple[dict[str, tuple[str, ...]], str]:
        """The results from the console log, and, if some are missing, why."""
        timeout = self.probe.timeout_s or CONSOLE_TIMEOUT_S
        deadline = time.monotonic() + timeout
        delay, console = 1.0, ""
        while True:
            try:
                console = with_retries(lambda: self.conn.compute.get_server_console_output(self.server)["output"])
            except exceptions.HttpException as error:
                if transient(error):
                    raise
                return {}, f"the console log is not available ({describe(error)})"
            console = console or ""
            sections = console_sections(console)
            if END in console or SCRIPT_FAILED in console or all(s in sections for s in COMMANDS):
                missing = sorted(set(COMMANDS) - set(sections))
                if SCRIPT_FAILED in console:
                    return sections, f"cloud-init reports '{SCRIPT_FAILED}' on the console"
                return sections, f"the console log lacks {', '.join(missing)}" if missing else ""
            if time.monotonic() > deadline:
                tail = (console.strip().splitlines() or ["(empty)"])[-1][:120]
                return sections, f"no results on the console within {timeout:.0f} s (last line: {tail!r})"
            if CANCEL.wait(delay):
                raise Cancelled("interrupted while reading the console")
            delay = min(delay * 1.5, 5.0)

    def ask_over_ssh(self) -> dict[str, tuple[str, ...]]:
        """Attach a floating IP and run the commands over SSH (only when the console had no results)."""
        if self.external is None:
            raise RuntimeError("no external network for a floating IP")
        conn, net = self.conn, self.conn.network
        external_id = self.external.id
        port = next(iter(with_retries(lambda: list(net.ports(device_id=self.server.id)))))
        fip = with_retries(
            lambda: net.create_ip(
                floating_network_id=external_id, port_id=port.id, description=self.probe.name("0101-fip")
            )
        )
        self.created.append(("floating_ip", fip))
        server = with_retries(lambda: conn.compute.get_server(self.server.id))
        port_number = int((server.metadata or {}).get("sim:ssh_port", 22))
        probe = _ssh(fip.floating_ip_address, port_number, self.key, self.probe.timeout_s or SSH_TIMEOUT_S)
        with ThreadPoolExecutor(1) as own_loop:  # the caller's thread may run an event loop already
            return own_loop.submit(asyncio.run, probe).result()


async def _ssh(address: str, port: int, key: asyncssh.SSHKey, timeout_s: float) -> dict[str, tuple[str, ...]]:
    """Log in as soon as the guest accepts (retrying while it boots) and run the commands."""
    import asyncssh

    deadline = time.monotonic() + timeout_s
    delay = 0.5
    while True:
        for user in ("debian", "ubuntu"):
            try:
                async with asyncssh.connect(
                    address, port=port, username=user, client_keys=[key], known_hosts=None, connect_timeout=15
                ) as connection:
                    sections = {}
                    for section, command in COMMANDS.items():
                        done = await connection.run(f"{command} 2>&1", timeout=120)
                        sections[section] = tuple(line.strip() for line in str(done.stdout).splitlines())
                    return sections
            except asyncssh.PermissionDenied:
                continue  # wrong user name for this image: try the next
            except (TimeoutError, OSError, asyncssh.Error):
                break
        if time.monotonic() > deadline:
            raise TimeoutError(f"could not log in to {address}:{port} within {timeout_s:.0f} s")
        if CANCEL.is_set():
            raise Cancelled("interrupted while waiting for SSH")
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 10)


def _verdict(snapshot: IaasSnapshot, probe: Probe, decide: Callable[[VmOutput], Outcome]) -> Outcome:
    output = _vm_output(snapshot, probe)
    outcome = Outcome.aborted(f"could not probe a VM: {output.error}") if output.error else decide(output)
    return outcome.left_behind(_LEFTOVERS.get(probe, ()))


@testcase(
    "scs-0101-entropy-avail",
    "scs-0101-v1",
    "`entropy_avail` is 256 on a sample VM.",
    "Use images with a kernel >= 5.18 and hosts whose CPUs offer RDRAND/RDSEED to guests.",
    needs=["images", "flavors"],
    active=True,
)
def entropy_avail(snapshot: IaasSnapshot, probe: Probe) -> Outcome:
    def decide(output: VmOutput) -> Outcome:
        lines = output.lines("entropy-avail")
        if not lines:
            return Outcome.aborted(f"the VM did not report entropy_avail ({output.source})")
        value = lines[0]
        if value == "256":
            return Outcome.passed(f"entropy_avail is 256 on {output.image} (read from the {output.source})")
        return Outcome.failed(
            f"entropy_avail is {value}, not 256",
            [Finding(output.image, "entropy_avail", "256", value)],
            "Use images with a kernel >= 5.18 (fixed 256) and do not filter RDRAND/RDSEED from guests.",
        )

    return _verdict(snapshot, probe, decide)


@testcase(
    "scs-0101-fips-test",
    "scs-0101-v1",
    "The random source of a sample VM passes the FIPS 140-2 test.",
    "Offer a good entropy source to guests (virtio-rng / CPU RNG instructions).",
    needs=["images", "flavors"],
    active=True,
)
def fips_test(snapshot: IaasSnapshot, probe: Probe) -> Outcome:
    def decide(output: VmOutput) -> Outcome:
        match = _FAILURES.search(" ".join(output.lines("fips-test") or ()))
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

    return _verdict(snapshot, probe, decide)


@testcase(
    "scs-0101-rngd",
    "scs-0101-v1",
    "The service `rngd` is present on a sample VM.",
    "Install rng-tools in the images (recommended by scs-0101 v1.0).",
    needs=["images", "flavors"],
    severity="warning",
    active=True,
)
def rngd(snapshot: IaasSnapshot, probe: Probe) -> Outcome:
    def decide(output: VmOutput) -> Outcome:
        lines = output.lines("rngd")
        if lines is None:
            return Outcome.aborted(f"the VM did not report on rngd ({output.source})")
        text = " ".join(lines)
        if "active (running)" in text:
            return Outcome.passed(f"rngd runs on {output.image}")
        return Outcome.failed(
            "rngd is not running",
            [Finding(output.image, "systemctl status rngd", "active (running)", (lines or ("no output",))[0])],
            "Install and enable rng-tools in the images.",
        )

    return _verdict(snapshot, probe, decide)


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
