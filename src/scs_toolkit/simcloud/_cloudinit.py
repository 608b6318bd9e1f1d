"""cloud-init in a simulated guest: what the serial console shows after a server booted with user data.

Checks that cannot log in (the official scs-0101 entropy check boots from a volume, without a key
pair or floating IP) pass a `#cloud-config` and read the console log. This module does what
cloud-init does with the parts such checks use: `bootcmd` (init stage), `packages` (installed
with apt, so `rngtest` and `rngd` exist afterwards), `runcmd` (written to a `/bin/sh` script and
run by the scripts-user module, whose failure is logged as `Failed to run module scripts-user`),
`final_message`, and shell-script user data. Every line cloud-init prints goes to the console
with the kernel's time stamp and the `cloud-init[pid]:` prefix, as on a real serial console.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import gzip
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import yaml

from ._guest_os import GuestOS
from ._shell import Shell

if TYPE_CHECKING:
    from ._cloud import Cloud
    from ._store import Record

VERSION = "24.4-0ubuntu1~24.04.2"
RUNCMD_SCRIPT = "/var/lib/cloud/instance/scripts/runcmd"
USER_SCRIPT = "/var/lib/cloud/instance/scripts/part-001"


@dataclass(frozen=True)
class UserData:
    """The parts of a server's user data that cloud-init acts on here."""

    packages: tuple[str, ...] = ()
    bootcmd: tuple[str, ...] = ()
    runcmd: tuple[str, ...] = ()
    final_message: str | None = None
    script: str | None = None
    #: a warning cloud-init logs about the user data (unreadable, bad YAML, unknown type)
    warning: str | None = None


def user_data(server: Record) -> UserData:
    raw = server.get("_user_data")
    if not raw:
        return UserData()
    try:
        data = base64.b64decode(str(raw), validate=True)
    except (binascii.Error, ValueError):
        return UserData(warning="Failed to decode user data: not base64")
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            return UserData(warning="Failed to decompress gzipped user data")
    text = data.decode("utf-8", errors="replace")
    if text.startswith("#!"):
        return UserData(script=text)
    if not text.lstrip().startswith("#cloud-config"):
        return UserData(warning="Unhandled non-multipart (text/x-not-multipart) userdata: 'b'" + text[:16] + "'...'")
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
        return UserData(warning=f"Failed loading yaml blob. Invalid format{where}")
    if not isinstance(config, dict):
        return UserData(warning="Failed loading yaml blob. Yaml load allows (<class 'dict'>,) root types")
    return UserData(
        packages=tuple(_package(p) for p in config.get("packages") or () if _package(p)),
        bootcmd=tuple(_command(c) for c in config.get("bootcmd") or ()),
        runcmd=tuple(_command(c) for c in config.get("runcmd") or ()),
        final_message=str(config["final_message"]) if config.get("final_message") is not None else None,
    )


def _package(entry: Any) -> str:
    if isinstance(entry, list):
        return str(entry[0]) if entry else ""
    return str(entry)


def _command(entry: Any) -> str:
    """cloud-init's `shellify`: a list is an argv (quoted), a string a shell line."""
    if isinstance(entry, list):
        return " ".join(shlex.quote(str(word)) for word in entry)
    return str(entry)


def guest_os(cloud: Cloud, server: Record) -> GuestOS:
    """The server's guest with what its cloud-init installed."""
    return GuestOS(cloud, server, frozenset(user_data(server).packages))


class _Console:
    """Lines with kernel time stamps; `cloud-init[pid]:` lines for what cloud-init prints."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.uptime = 0.0

    def kernel(self, text: str, step: float = 0.1) -> None:
        self.uptime += step
        self.lines.append(f"[{self.uptime:12.6f}] {text}")

    def cloud_init(self, pid: int, text: str) -> None:
        for line in text.splitlines() or [""]:
            self.uptime += 0.001
            self.lines.append(f"[{self.uptime:12.6f}] cloud-init[{pid}]: {line}")

    def stage(self, pid: int, name: str, moment: dt.datetime, step: float) -> None:
        self.uptime += step
        stamp = moment.strftime("%a, %d %b %Y %H:%M:%S +0000")
        self.cloud_init(pid, f"Cloud-init v. {VERSION} running '{name}' at {stamp}. Up {self.uptime:.2f} seconds.")


def console_output(cloud: Cloud, server: Record) -> str:
    """The serial console log of a server that has booted (an empty log before that)."""
    if server["status"] == "BUILD":
        return ""
    guest = cloud.profile.get("guest", {})
    kernel = guest.get("kernel", "6.8.0-45-generic")
    moment = dt.datetime.fromisoformat(str(server["created"]).replace("Z", "+00:00"))
    data = user_data(server)
    system = guest_os(cloud, server)
    console = _Console()
    console.kernel(f"Linux version {kernel} (buildd@lcy02-amd64-046) #45-Ubuntu SMP x86_64", step=0.0)
    console.kernel(
        f"Command line: BOOT_IMAGE=/vmlinuz-{kernel} root=LABEL=cloudimg-rootfs ro console=tty1 console=ttyS0"
    )
    console.kernel("random: crng init done", step=1.2)
    console.stage(512, "init-local", moment, 3.0)
    if data.warning:
        console.cloud_init(600, f"{_log_stamp(moment)} - util.py[WARNING]: {data.warning}")
    console.stage(600, "init", moment, 1.5)
    masked = False
    for command in data.bootcmd:
        output = Shell(system, "/bin/sh").run(command, root=True)
        if output.combined:
            console.cloud_init(600, output.combined.rstrip("\n"))
        masked = masked or ("mask" in command and "serial-getty@ttyS0" in command and output.status == 0)
    console.stage(700, "modules:config", moment, 2.0)
    if data.packages:
        console.cloud_init(700, _apt_output(data.packages, system))
    console.stage(800, "modules:final", moment, 4.0)
    _scripts_user(console, system, data, moment)
    if data.final_message is not None:
        console.cloud_init(800, data.final_message.replace("$UPTIME", f"{console.uptime:.2f}"))
    else:
        stamp = moment.strftime("%a, %d %b %Y %H:%M:%S +0000")
        console.cloud_init(
            800,
            f"Cloud-init v. {VERSION} finished at {stamp}. Datasource DataSourceOpenStackLocal [net,ver=2].  "
            f"Up {console.uptime:.2f} seconds",
        )
    text = "\n".join(console.lines) + "\n"
    if not masked:
        name = server.get("_hostname", server["name"])
        text += f"\n{guest.get('os', 'Ubuntu 24.04 LTS')} {name} ttyS0\n\n{name} login: "
    return text


def _scripts_user(console: _Console, system: GuestOS, data: UserData, moment: dt.datetime) -> None:
    """runcmd and shell-script user data run as scripts; a failing one fails the scripts-user module."""
    scripts = []
    if data.runcmd:
        scripts.append((RUNCMD_SCRIPT, "\n".join(data.runcmd)))
    if data.script:
        scripts.append((USER_SCRIPT, data.script.split("\n", 1)[1] if "\n" in data.script else ""))
    failed = []
    for path, body in scripts:
        # line 1 of the script file is its #! line, so runcmd entry n is on line n + 1
        output = Shell(system, path).run("\n" + body, root=True)
        if output.combined:
            console.cloud_init(800, output.combined.rstrip("\n"))
        if output.status != 0:
            failed.append((path, output.status))
    for path, status in failed:
        console.cloud_init(800, f"{_log_stamp(moment)} - subp.py[WARNING]: Failed running {path} [{status}]")
    if failed:
        console.cloud_init(
            800,
            f"{_log_stamp(moment)} - cc_scripts_user.py[WARNING]: Failed to run module scripts-user "
            "(scripts in /var/lib/cloud/instance/scripts)",
        )
        console.cloud_init(
            800,
            f"{_log_stamp(moment)} - log_util.py[WARNING]: Running module scripts_user (<module "
            "'cloudinit.config.cc_scripts_user' from '/usr/lib/python3/dist-packages/cloudinit/config/"
            "cc_scripts_user.py'>) failed",
        )


def _apt_output(packages: tuple[str, ...], system: GuestOS) -> str:
    preinstalled = set(system.guest.get("packages") or ())
    new = [p for p in packages if p not in preinstalled]
    lines = ["Reading package lists...", "Building dependency tree...", "Reading state information..."]
    lines += [f"{p} is already the newest version." for p in packages if p in preinstalled]
    if new:
        lines += ["The following NEW packages will be installed:", "  " + " ".join(new)]
        lines.append(f"0 upgraded, {len(new)} newly installed, 0 to remove and 0 not upgraded.")
        lines += [f"Setting up {p} ..." for p in new]
    return "\n".join(lines)


def _log_stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S,000")
