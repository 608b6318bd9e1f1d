"""A simulated Linux guest: the files, devices and programs a check reads on a VM.

What it answers comes from the profile's `guest:` (entropy_avail, fips_failures, rngd, virtio_rng,
kernel, os, packages) and from what the server's cloud-init installed: `rngtest` and the `rngd`
service exist only once rng-tools is installed, as on a real Debian or Ubuntu image. The shell
that runs on it is `_shell.Shell`.
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from ._shell import Invocation, Output, Program, ShellFileError, Stream

if TYPE_CHECKING:
    from ._cloud import Cloud
    from ._store import Record

#: packages that bring rngtest and the rngd service
RNG_TOOLS = frozenset({"rng-tools5", "rng-tools", "rng-tools-debian"})
_DEVICES = {"/dev/random": "random", "/dev/urandom": "urandom"}


class GuestOS:
    """One server's guest operating system, as far as checks can tell."""

    def __init__(self, cloud: Cloud, server: Record, packages: frozenset[str] = frozenset()) -> None:
        self.cloud = cloud
        self.server = server
        self.guest: dict[str, Any] = cloud.profile.get("guest", {})
        self.packages = packages | frozenset(self.guest.get("packages") or ())
        self._programs: dict[str, Program] = {
            "od": self._od,
            "ping": self._ping,
            "hostname": self._hostname,
            "uname": self._uname,
            "systemctl": self._systemctl,
        }
        if self.packages & RNG_TOOLS:
            self._programs["rngtest"] = self._rngtest

    @property
    def virtio_rng(self) -> bool:
        return bool(self.guest.get("virtio_rng", True))

    # -- the System protocol ------------------------------------------------------------------------

    def read(self, path: str, root: bool) -> Stream:
        if path in _DEVICES:
            return Stream(device=_DEVICES[path])
        if path == "/dev/hwrng":
            if not self.virtio_rng:
                raise ShellFileError("No such file or directory")
            if not root:
                raise ShellFileError("Permission denied")
            return Stream(device="hwrng")
        files = self._files()
        if path not in files:
            raise ShellFileError("No such file or directory")
        return Stream(files[path])

    def program(self, name: str) -> Program | None:
        base = name.rsplit("/", 1)[-1]
        if "/" in name and not re.fullmatch(r"/(usr/)?s?bin/[\w.-]+", name):
            return None
        return self._programs.get(base)

    def _files(self) -> dict[str, str]:
        os_name = str(self.guest.get("os", "Ubuntu 24.04 LTS"))
        distro = os_name.split()[0].lower()
        version = next((w for w in os_name.split() if w[:1].isdigit()), "")
        return {
            "/proc/sys/kernel/random/entropy_avail": f"{self.guest.get('entropy_avail', 256)}\n",
            "/proc/sys/kernel/random/poolsize": "256\n",
            "/sys/devices/virtual/misc/hw_random/rng_available": "virtio_rng.0\n" if self.virtio_rng else "\n",
            "/sys/devices/virtual/misc/hw_random/rng_current": "virtio_rng.0\n" if self.virtio_rng else "none\n",
            "/etc/os-release": f'PRETTY_NAME="{os_name}"\nNAME="{os_name.split()[0]}"\nVERSION_ID="{version}"\n'
            f"ID={distro}\n",
            "/etc/hostname": f"{self.server.get('_hostname', self.server['name'])}\n",
            "/dev/null": "",
        }

    # -- programs -----------------------------------------------------------------------------------

    def _rngtest(self, call: Invocation) -> Output:
        """rng-tools' FIPS 140-2 test; it reports on stderr, exit status 1 when blocks failed."""
        blocks = 1000  # without -c it would read forever; a guest that never answers helps nobody
        text = " ".join(call.argv[1:])
        match = re.search(r"(?:-c\s*|--blockcount=)(\d+)", text)
        if match:
            blocks = int(match.group(1))
        banner = (
            "rngtest 5\nCopyright (c) 2004 by Henrique de Moraes Holschuh\nThis is free software; see the source for "
            "copying conditions.  There is NO warranty; not even for MERCHANTABILITY or FITNESS FOR A PARTICULAR "
            "PURPOSE.\n\nrngtest: starting FIPS tests...\n"
        )
        if call.stdin.device is None:
            return Output(status=1).err(banner + "rngtest: entropy source drained\n")
        failures = min(blocks, round(int(self.guest.get("fips_failures", 0)) * blocks / 1000))
        runs, long_runs = failures // 2, failures - failures // 2
        report = (
            f"rngtest: bits received from input: {blocks * 20000 + 32}\n"
            f"rngtest: FIPS 140-2 successes: {blocks - failures}\n"
            f"rngtest: FIPS 140-2 failures: {failures}\n"
            "rngtest: FIPS 140-2(2001-10-10) Monobit: 0\n"
            "rngtest: FIPS 140-2(2001-10-10) Poker: 0\n"
            f"rngtest: FIPS 140-2(2001-10-10) Runs: {runs}\n"
            f"rngtest: FIPS 140-2(2001-10-10) Long run: {long_runs}\n"
            "rngtest: FIPS 140-2(2001-10-10) Continuous run: 0\n"
            "rngtest: input channel speed: (min=11.852; avg=19.125; max=19.863)Mibits/s\n"
            "rngtest: FIPS tests speed: (min=61.814; avg=142.155; max=162.760)Mibits/s\n"
            f"rngtest: Program run time: {blocks * 1130} microseconds\n"
        )
        return Output(status=1 if failures else 0).err(banner + report)

    def _systemctl(self, call: Invocation) -> Output:
        args = [a for a in call.argv[1:] if not a.startswith("-")]
        if not args:
            return Output(status=1).err("systemctl: missing verb\n")
        verb, units = args[0], [u if "." in u else f"{u}.service" for u in args[1:]]
        if verb == "mask":
            text = "".join(f"Created symlink /etc/systemd/system/{u} \u2192 /dev/null.\n" for u in units)
            return Output().err(text)
        if verb in ("daemon-reload", "enable", "start", "restart", "stop", "disable", "unmask"):
            missing = [u for u in units if not self._unit_exists(u)]
            if missing:
                return Output(status=5).err(f"Failed to {verb} {missing[0]}: Unit {missing[0]} not found.\n")
            return Output()
        if verb not in ("status", "is-active"):
            return Output(status=1).err(f'Unknown command verb "{verb}".\n')
        result = Output()
        for unit in units:
            if not self._unit_exists(unit):
                if verb == "is-active":
                    result.out("inactive\n")
                    result.status = 4
                else:
                    result.err(f"Unit {unit} could not be found.\n")
                    result.status = 4
                continue
            running = self._unit_running(unit)
            if verb == "is-active":
                result.out("active\n" if running else "failed\n")
            else:
                result.out(self._unit_status(unit, running))
            result.status = max(result.status, 0 if running else 3)
        return result

    def _unit_exists(self, unit: str) -> bool:
        if unit == "rngd.service":
            return bool(self.packages & RNG_TOOLS)
        return unit.startswith(("serial-getty@", "ssh.service", "cloud-init", "systemd-"))

    def _unit_running(self, unit: str) -> bool:
        return bool(self.guest.get("rngd", True)) if unit == "rngd.service" else True

    def _unit_status(self, unit: str, running: bool) -> str:
        if unit != "rngd.service":
            return f"\u25cf {unit}\n     Loaded: loaded\n     Active: active (running)\n"
        head = (
            f"{'●' if running else '×'} rngd.service - Start entropy gathering daemon (rngd)\n"
            "     Loaded: loaded (/usr/lib/systemd/system/rngd.service; enabled; preset: enabled)\n"
        )
        if running:
            return head + (
                "     Active: active (running)\n       Docs: man:rngd(8)\n   Main PID: 612 (rngd)\n"
                "     CGroup: /system.slice/rngd.service\n             \u2514\u2500612 /usr/sbin/rngd -f\n"
            )
        return head + (
            "     Active: failed (Result: exit-code)\n"
            "    Process: 612 ExecStart=/usr/sbin/rngd -f (code=exited, status=1/FAILURE)\n"
            "   Main PID: 612 (code=exited, status=1/FAILURE)\n\n"
            "rngd[612]: can't open any entropy source\n"
            "rngd[612]: Maybe RNG device modules are not loaded\n"
            "systemd[1]: rngd.service: Failed with result 'exit-code'.\n"
        )

    def _od(self, call: Invocation) -> Output:
        """`od -vAn -N<count> -tu<size>`: unsigned numbers from stdin (a device, or text)."""
        count, size = 16, 2
        for arg in call.argv[1:]:
            if arg.startswith("-N") and arg[2:].isdigit():
                count = int(arg[2:])
            elif arg.startswith("-tu") and arg[3:].isdigit():
                size = int(arg[3:])
        if call.stdin.device is not None:
            seed = f"{self.server['id']}:{call.stdin.device}".encode()
            data = hashlib.sha256(seed).digest() * (count // 32 + 1)
        else:
            data = call.stdin.text.encode()
        data = data[:count]
        numbers = [int.from_bytes(data[i : i + size], "little") for i in range(0, len(data) - size + 1, size)]
        width = len(str(256**size - 1)) + 1
        return Output().out("".join(f"{n:>{width}}" for n in numbers) + "\n" if numbers else "")

    def _ping(self, call: Invocation) -> Output:
        targets = [a for a in call.argv[1:] if not a.startswith("-") and not a.isdigit()]
        if not targets:
            return Output(status=2).err("ping: usage error: Destination address required\n")
        target = targets[-1]
        head = f"PING {target} ({target}) 56(84) bytes of data.\n"
        if target in reachable_addresses(self.cloud, self.server["id"]):
            return Output().out(
                f"{head}64 bytes from {target}: icmp_seq=1 ttl=64 time=0.412 ms\n\n--- {target} ping statistics ---\n"
                "1 packets transmitted, 1 received, 0% packet loss, time 0ms\n"
                "rtt min/avg/max/mdev = 0.412/0.412/0.412/0.000 ms\n"
            )
        return Output(status=1).out(
            f"{head}\n--- {target} ping statistics ---\n1 packets transmitted, 0 received, 100% packet loss, time 0ms\n"
        )

    def _hostname(self, call: Invocation) -> Output:
        return Output().out(self._files()["/etc/hostname"])

    def _uname(self, call: Invocation) -> Output:
        kernel = str(self.guest.get("kernel", "6.8.0-45-generic"))
        if "-r" in call.argv:
            return Output().out(f"{kernel}\n")
        if "-a" in call.argv:
            return Output().out(f"Linux {self._files()['/etc/hostname'].strip()} {kernel} x86_64 GNU/Linux\n")
        return Output().out("Linux\n")


def reachable_addresses(cloud: Cloud, server_id: str) -> set[str]:
    """Addresses of servers sharing a network with this one, routers there, plus all floating IPs."""
    networks = {p["network_id"] for p in cloud.store.select("port", device_id=server_id)}
    reachable = {f["floating_ip_address"] for f in cloud.store.all("floating_ip") if f.get("port_id")}
    for port in cloud.store.all("port"):
        if port["network_id"] in networks and port["device_owner"].startswith(("compute:", "network:router")):
            reachable |= {ip["ip_address"] for ip in port["fixed_ips"]}
    return reachable
