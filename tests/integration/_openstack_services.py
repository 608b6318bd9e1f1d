"""Bring real OpenStack services up on this machine (and down again), for the integration tier.

Keystone (twice: the second one with a broken domain-manager policy), Placement, Glance, Nova with
its fake virt driver, Cinder with its fake volume and backup drivers, and API-only Neutron with a
bind-everything ML2 driver; RabbitMQ and a throwaway PostgreSQL cluster from Debian. Everything
listens on 127.0.0.1 only, keeps its files under one temporary root and logs into one folder; the
services run from their own virtualenv (.venv-openstack/ or $SCS_OPENSTACK_VENV), rebuilt only when
.ci/openstack/requirements.txt or the ML2 driver changes. Every process starts in its own process
group, and `down()` kills every group and removes the root, also after a failed bring-up.

From pytest: the session fixture in tests/integration/conftest.py. By hand, for debugging:
    python -m tests.integration._openstack_services up     # prints the clouds.yaml, keeps running
    python -m tests.integration._openstack_services down   # stops what a detached `up` left running
    python -m tests.integration._openstack_services venv   # only build (or reuse) the services' virtualenv
"""

from __future__ import annotations

import contextlib
import grp
import hashlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from . import _openstack_config as config
from ._openstack_config import Layout, Ports

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CI_DIR = PROJECT_ROOT / ".ci" / "openstack"
REQUIREMENTS = CI_DIR / "requirements.txt"
DRIVERS = CI_DIR / "scs_it_drivers"  # the test-only ML2 and Cinder drivers
SUDO_SHIM = CI_DIR / "bin"
DEFAULT_VENV = PROJECT_ROOT / ".venv-openstack"
POINTER = Path(tempfile.gettempdir()) / "scs-openstack-services.json"
MARKER = ".scs-requirements-sha256"
READY_TIMEOUT_S = 180.0


class ServiceError(RuntimeError):
    """A service did not come up; the message names it and the folder with every log."""


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    project: str | None = None
    domain: str = "Default"


ADMIN = Account("admin", "scs-it-admin-secret", "admin")
MEMBER = Account("scs-it-member", "scs-it-member-secret", "scs-it-project")
MANAGERS = (
    Account("scs-test-domain-a-manager", "scs-it-manager-a-secret", domain="scs-test-domain-a"),
    Account("scs-test-domain-b-manager", "scs-it-manager-b-secret", domain="scs-test-domain-b"),
)


@dataclass
class _Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    argv: list[str]
    env: dict[str, str] | None
    user: tuple[int, int] | None


def requirements_hash() -> str:
    """What the service venv was built from: the pins, the test drivers' sources and the Python version."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    for path in sorted([DRIVERS / "pyproject.toml", *DRIVERS.glob("src/*/*.py")]):
        digest.update(str(path.relative_to(DRIVERS)).encode() + b"\0" + path.read_bytes())
    digest.update(f"{sys.version_info[:2]}".encode())
    return digest.hexdigest()


def ensure_venv(venv: Path, log: Callable[[str], None] = print) -> Path:
    """The services' own virtualenv, reused when its requirements hash matches, else built anew."""
    wanted = requirements_hash()
    marker = venv / MARKER
    if marker.exists() and marker.read_text().strip() == wanted and (venv / "bin" / "gunicorn").exists():
        return venv
    log(f"building the OpenStack services' virtualenv in {venv} (a few minutes)...")
    shutil.rmtree(venv, ignore_errors=True)
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check"]
    with tempfile.TemporaryDirectory() as scratch:  # a copy: building in place would leave build/ in the repo
        drivers = shutil.copytree(DRIVERS, Path(scratch) / DRIVERS.name)
        for args in (["-r", str(REQUIREMENTS)], [str(drivers)]):
            _pip(venv, [*pip, *args])
    marker.write_text(wanted + "\n")
    return venv


def _pip(venv: Path, argv: list[str]) -> None:
    result = subprocess.run(argv, capture_output=True, text=True)
    if result.returncode != 0:
        errors = "\n".join(line for line in result.stderr.splitlines() if "is ignored: it is neither" not in line)
        raise ServiceError(f"{' '.join(argv[1:])} failed in {venv}:\n{errors[-3000:]}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _system_user(name: str) -> tuple[int, int] | None:
    """(uid, gid) of a Debian service user when we are root (services refuse to, or should not, run as root)."""
    if os.geteuid() != 0:
        return None
    entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def _own(path: Path, user: tuple[int, int] | None) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if user is not None:
        os.chown(path, *user)


def _amqp_ready(port: int) -> bool:
    """RabbitMQ answers the AMQP 0-9-1 protocol header with a Connection.Start method frame."""
    with socket.create_connection(("127.0.0.1", port), timeout=2) as connection:
        connection.sendall(b"AMQP\x00\x00\x09\x01")
        return connection.recv(1) == b"\x01"


def _listening(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=2):
        return True


def _http_ready(url: str) -> bool:
    return httpx.get(url, timeout=5).status_code < 500


@dataclass
class OpenStackServices:
    """One bring-up: `up()` starts and seeds everything, `down()` removes every trace of it."""

    venv: Path = field(default_factory=lambda: Path(os.environ.get("SCS_OPENSTACK_VENV") or DEFAULT_VENV))
    log: Callable[[str], None] = print
    layout: Layout = field(init=False)
    ports: Ports = field(init=False)
    processes: list[_Process] = field(default_factory=list, init=False)
    timings: dict[str, float] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        root = Path(tempfile.mkdtemp(prefix="scs-openstack-"))
        root.chmod(0o711)  # the rabbitmq and postgres users must reach their folders
        self.layout = Layout(root, self.venv)
        self.ports = Ports(*(free_port() for _ in range(9)))

    # -- public ------------------------------------------------------------------------------------

    @property
    def clouds_yaml(self) -> Path:
        return self.layout.root / "clouds" / "clouds.yaml"

    @property
    def domain_manager_config(self) -> Path:
        return self.layout.root / "clouds" / "domain-manager.yaml"

    def env(self) -> dict[str, str]:
        """The environment for our CLI's subprocesses: only the test clouds.yaml, and a home of their own
        (state, data, config and cache folders), never the user's."""
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "XDG_"))}
        home = self.layout.root / "home"
        environ |= {
            "OS_CLIENT_CONFIG_FILE": str(self.clouds_yaml),
            "HOME": str(home),
            **{f"XDG_{kind}_HOME": str(home / kind.lower()) for kind in ("STATE", "DATA", "CONFIG", "CACHE")},
        }
        return environ

    def connect(self, cloud: str = "admin") -> Any:
        import openstack

        document = yaml.safe_load(self.clouds_yaml.read_text())
        entry = document["clouds"][cloud]
        return openstack.connect(
            auth=entry["auth"], region_name=entry["region_name"], identity_api_version="3", interface="public"
        )

    def up(self) -> OpenStackServices:
        begun = time.monotonic()
        try:
            self._timed("venv", lambda: ensure_venv(self.venv, self.log))
            self._prepare_files()
            with ThreadPoolExecutor(3) as pool:
                identity = pool.submit(self._timed, "keystone", self._start_keystone)
                databases = pool.submit(self._timed, "postgres+dbs", self._start_postgres_and_sync)
                bus = pool.submit(self._timed, "rabbitmq", self._start_rabbitmq)
                sqlite = pool.submit(self._timed, "sqlite dbs", self._sync_sqlite_databases)
                for future in (identity, databases, bus, sqlite):
                    future.result()
            from . import _openstack_seed as seed

            self._timed("identity seed", lambda: seed.identity(self))
            self._timed("broken keystone", self._start_broken_keystone)
            self._timed("services", self._start_services)
            self._timed("seed", lambda: seed.resources(self))
            self.timings["total"] = time.monotonic() - begun
            self._write_pointer()
            return self
        except BaseException as error:
            self._print_log_tails()
            kept = self.down(keep_logs=True)
            if isinstance(error, Exception):
                raise ServiceError(f"bring-up failed: {error}\nevery service's log: {kept}") from error
            raise

    def down(self, keep_logs: bool = False) -> Path | None:
        """Kill every process group we started (SIGTERM, then SIGKILL) and remove the temporary root.

        With keep_logs, the logs are copied first to a new temporary folder, which is returned."""
        for process in reversed(self.processes):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.popen.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in reversed(self.processes):
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.popen.pid, signal.SIGKILL)  # stragglers of the group (workers, beam.smp)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.popen.wait(timeout=5)
        self.processes.clear()
        _kill_leftovers(self.layout.root)
        kept = None
        if keep_logs and self.layout.logs.exists():
            kept = Path(tempfile.mkdtemp(prefix="scs-openstack-logs-"))
            shutil.copytree(self.layout.logs, kept, dirs_exist_ok=True)
            self.log(f"the services' logs are kept in {kept}")
        shutil.rmtree(self.layout.root, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            if json.loads(POINTER.read_text()).get("root") == str(self.layout.root):
                POINTER.unlink()
        return kept

    # -- processes ---------------------------------------------------------------------------------

    def _timed(self, what: str, step: Callable[[], Any]) -> Any:
        begun = time.monotonic()
        result = step()
        self.timings[what] = time.monotonic() - begun
        return result

    def _bin(self, name: str) -> str:
        return str(self.venv / "bin" / name)

    def spawn(
        self, name: str, argv: list[str], env: dict[str, str] | None = None, user: tuple[int, int] | None = None
    ) -> _Process:
        log = self.layout.logs / f"{name}.out"
        environment = {**os.environ, **(env or {})}
        if user is not None:  # another user cannot read the test run's XDG folders (Erlang keeps its cookie there)
            environment = {k: v for k, v in environment.items() if not k.startswith("XDG_")}
        with log.open("ab") as out:
            popen = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group: down() kills it with all its children
                env=environment,
                cwd=self.layout.root,
                user=user[0] if user else None,
                group=user[1] if user else None,
                extra_groups=[] if user else None,
            )
        process = _Process(name, popen, log, argv, env, user)
        self.processes.append(process)
        return process

    def stop(self, name: str) -> _Process:
        """Kill one service (its process group), as if it had crashed; `start_again` brings it back."""
        process = next(p for p in self.processes if p.name == name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.popen.pid, signal.SIGKILL)
        process.popen.wait(timeout=30)
        self.processes.remove(process)
        return process

    def start_again(self, process: _Process) -> _Process:
        return self.spawn(process.name, process.argv, process.env, process.user)

    def run(self, name: str, argv: list[str], env: dict[str, str] | None = None, user: Any = None) -> None:
        """A one-shot command (db sync, bootstrap); its output goes to the logs, a failure raises with the tail."""
        log = self.layout.logs / f"{name}.out"
        with log.open("ab") as out:
            result = subprocess.run(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
                cwd=self.layout.root,
                user=user[0] if user else None,
                group=user[1] if user else None,
                extra_groups=[] if user else None,
                timeout=600,
            )
        if result.returncode != 0:
            raise ServiceError(f"{name} failed (exit {result.returncode}): {_tail(log)}\nlogs: {self.layout.logs}")

    def wait(self, what: str, probe: Callable[[], Any], watch: list[_Process], timeout: float = READY_TIMEOUT_S) -> Any:
        """Poll a real readiness probe with backoff; fail at once when a watched process dies."""
        deadline = time.monotonic() + timeout
        delay, last = 0.05, "not ready"
        while True:
            for process in watch:
                if process.popen.poll() is not None:
                    raise ServiceError(
                        f"{process.name} exited with {process.popen.returncode} while waiting for {what}:"
                        f" {_tail(process.log)}\nlogs: {self.layout.logs}"
                    )
            try:
                result = probe()
                if result:
                    return result
            except Exception as error:
                last = f"{type(error).__name__}: {error}"
            if time.monotonic() > deadline:
                raise ServiceError(f"{what} not ready within {timeout:.0f} s ({last}); logs: {self.layout.logs}")
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    def gunicorn(self, name: str, port: int, module: str, env: dict[str, str], ready_path: str = "/") -> _Process:
        argv = [
            self._bin("gunicorn"),
            "--chdir",
            str(self.layout.apps),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--threads",
            "4",
            "--timeout",
            "300",
            "--graceful-timeout",
            "5",
            "--access-logfile",
            str(self.layout.logs / f"{name}-access.log"),
            f"{module}:application",
        ]
        return self.spawn(name, argv, env)

    # -- steps -------------------------------------------------------------------------------------

    def _prepare_files(self) -> None:
        layout, ports = self.layout, self.ports
        layout.logs.mkdir(parents=True)
        layout.logs.chmod(0o755)
        layout.apps.mkdir()
        for service in ("keystone", "placement", "glance", "nova", "cinder", "neutron"):
            layout.etc(service).mkdir(parents=True)
            layout.state(service).mkdir(parents=True)
        (layout.state("glance") / "images").mkdir()
        etc = self.venv / "etc"
        shutil.copy(etc / "glance" / "glance-api-paste.ini", layout.etc("glance"))
        shutil.copy(etc / "nova" / "api-paste.ini", layout.etc("nova"))
        shutil.copy(etc / "cinder" / "api-paste.ini", layout.etc("cinder"))
        shutil.copy(etc / "cinder" / "resource_filters.json", layout.etc("cinder"))
        shutil.copy(etc / "neutron" / "api-paste.ini", layout.etc("neutron"))
        files = {
            layout.etc("keystone") / "keystone.conf": config.keystone(layout),
            layout.etc("keystone-broken") / "keystone.conf": config.keystone(
                layout, layout.etc("keystone-broken") / "policy.yaml", name="keystone-broken"
            ),
            layout.etc("keystone-broken") / "policy.yaml": config.BROKEN_DOMAIN_MANAGER_POLICY,
            layout.etc("placement") / "placement.conf": config.placement(layout, ports),
            layout.etc("glance") / "glance-api.conf": config.glance(layout, ports),
            layout.etc("nova") / "nova.conf": config.nova(layout, ports),
            layout.etc("cinder") / "cinder.conf": config.cinder(layout, ports),
            layout.etc("neutron") / "neutron.conf": config.neutron(layout, ports),
            layout.etc("neutron") / "ml2_conf.ini": config.ml2(),
            layout.apps / "keystone_app.py": config.wsgi_wrapper("from keystone.wsgi.api import application"),
            layout.apps / "placement_app.py": config.wsgi_wrapper("from placement.wsgi.api import application"),
            layout.apps / "glance_app.py": config.wsgi_wrapper("from glance.wsgi.api import application"),
            layout.apps / "nova_app.py": config.wsgi_wrapper("from nova.wsgi.osapi_compute import application"),
            layout.apps / "neutron_app.py": config.wsgi_wrapper("from neutron.wsgi.api import application"),
            layout.apps / "cinder_app.py": config.wsgi_wrapper(
                "from cinder.wsgi.api import application", ["--config-file", str(layout.etc("cinder") / "cinder.conf")]
            ),
        }
        for path, text in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

    def _keystone_manage(self, *args: str, conf: Path | None = None) -> None:
        conf = conf or self.layout.etc("keystone") / "keystone.conf"
        self.run("keystone-manage", [self._bin("keystone-manage"), "--config-file", str(conf), *args])

    def _start_keystone(self) -> None:
        state = self.layout.state("keystone")
        for folder in ("fernet-keys", "fernet-receipts", "credential-keys"):
            (state / folder).mkdir()
        user = [
            "--keystone-user",
            pwd.getpwuid(os.getuid()).pw_name,
            "--keystone-group",
            grp.getgrgid(os.getgid()).gr_name,
        ]
        self._keystone_manage("db_sync")
        self._keystone_manage("fernet_setup", *user)
        self._keystone_manage("credential_setup", *user)
        url = config.keystone_url(self.ports)
        self._keystone_manage(
            "bootstrap",
            "--bootstrap-password",
            ADMIN.password,
            "--bootstrap-admin-url",
            url,
            "--bootstrap-internal-url",
            url,
            "--bootstrap-public-url",
            url,
            "--bootstrap-region-id",
            config.REGION,
        )
        process = self.gunicorn(
            "keystone-api",
            self.ports.keystone,
            "keystone_app",
            {"OS_KEYSTONE_CONFIG_DIR": str(self.layout.etc("keystone"))},
        )
        self.wait("keystone", lambda: _http_ready(url), [process])

    def _start_broken_keystone(self) -> None:
        """A second Keystone on a copy of the seeded database whose catalog points at itself, with a broken policy."""
        etc = self.layout.etc("keystone-broken")
        database = self.layout.state("keystone") / "keystone.db"
        copy = self.layout.state("keystone") / "keystone-broken.db"
        shutil.copy(database, copy)
        text = (etc / "keystone.conf").read_text().replace(str(database), str(copy))
        (etc / "keystone.conf").write_text(text)
        good, broken = f"127.0.0.1:{self.ports.keystone}", f"127.0.0.1:{self.ports.keystone_broken}"
        self.run(
            "keystone-broken-catalog",
            [
                self._bin("python"),
                "-c",
                "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]);"
                " db.execute('update endpoint set url = replace(url, ?, ?)', (sys.argv[2], sys.argv[3])); db.commit()",
                str(copy),
                good,
                broken,
            ],
        )
        process = self.gunicorn(
            "keystone-broken-api", self.ports.keystone_broken, "keystone_app", {"OS_KEYSTONE_CONFIG_DIR": str(etc)}
        )
        self.wait("keystone (broken policy)", lambda: _http_ready(f"http://{broken}/v3"), [process])

    def _start_postgres_and_sync(self) -> None:
        import psycopg

        user = _system_user("postgres")
        sockets, data = self.layout.pg_socket_dir, self.layout.root / "pg-data"
        _own(sockets, user)
        _own(data, user)
        binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        if not binaries:
            raise ServiceError("PostgreSQL is not installed: run `sh .ci/openstack/packages.sh`")
        pgbin = binaries[-1]
        self.run(
            "postgres-initdb",
            [str(pgbin / "initdb"), "-D", str(data), "-A", "trust", "--no-sync", "-U", "postgres"],
            user=user,
        )
        process = self.spawn(
            "postgres",
            [
                str(pgbin / "postgres"),
                "-D",
                str(data),
                "-k",
                str(sockets),
                "-c",
                "listen_addresses=",  # unix socket only
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "max_connections=400",
            ],
            user=user,
        )

        def connect() -> Any:
            return psycopg.connect(host=str(sockets), user="postgres", dbname="postgres", autocommit=True)

        with self.wait("postgres", connect, [process]) as connection:
            for database in ("nova_api", "nova_cell0", "nova_cell1", "cinder"):
                connection.execute(f"CREATE DATABASE {database}")
        nova = ["--config-file", str(self.layout.etc("nova") / "nova.conf")]
        manage = self._bin("nova-manage")
        self.run("nova-manage", [manage, *nova, "api_db", "sync"])
        cell0 = self.layout.postgres("nova_cell0")
        self.run("nova-manage", [manage, *nova, "cell_v2", "map_cell0", "--database_connection", cell0])
        self.run("nova-manage", [manage, *nova, "cell_v2", "create_cell", "--name", "cell1"])
        self.run("nova-manage", [manage, *nova, "db", "sync"])
        cinder = ["--config-file", str(self.layout.etc("cinder") / "cinder.conf")]
        self.run("cinder-manage", [self._bin("cinder-manage"), *cinder, "db", "sync"])

    def _start_rabbitmq(self) -> None:
        user = _system_user("rabbitmq")
        home = self.layout.root / "rabbitmq"
        _own(home, user)
        (home / "enabled_plugins").write_text("[].\n")
        (home / "rabbitmq.conf").write_text(f"listeners.tcp.1 = 127.0.0.1:{self.ports.rabbit}\n")
        for path in (home / "enabled_plugins", home / "rabbitmq.conf"):
            if user is not None:
                os.chown(path, *user)
        epmd = self.spawn(
            "epmd", ["epmd", "-address", "127.0.0.1", "-port", str(self.ports.epmd)], {"HOME": str(home)}, user
        )
        env = {
            "HOME": str(home),
            "RABBITMQ_NODENAME": "scs-it@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.ports.rabbit),
            "RABBITMQ_DIST_PORT": str(free_port()),
            "RABBITMQ_CONFIG_FILE": str(home / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(home / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(home / "mnesia"),
            "RABBITMQ_LOG_BASE": str(home / "log"),
            "RABBITMQ_LOGS": "-",
            "RABBITMQ_PID_FILE": str(home / "pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_EPMD_PORT": str(self.ports.epmd),
            # Erlang distribution on loopback only (it listens on every address otherwise)
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }
        self.wait("epmd", lambda: _listening(self.ports.epmd), [epmd])
        process = self.spawn("rabbitmq", ["/usr/lib/rabbitmq/bin/rabbitmq-server"], env, user)
        self.wait("rabbitmq", lambda: _amqp_ready(self.ports.rabbit), [process, epmd])

    def _sync_sqlite_databases(self) -> None:
        placement = self.layout.etc("placement") / "placement.conf"
        self.run("placement-manage", [self._bin("placement-manage"), "--config-file", str(placement), "db", "sync"])
        glance = self.layout.etc("glance") / "glance-api.conf"
        self.run("glance-manage", [self._bin("glance-manage"), "--config-file", str(glance), "db_sync"])
        # neutron's migrations cannot ALTER constraints on SQLite: build the schema from the models, then stamp it
        self.run(
            "neutron-schema",
            [
                self._bin("python"),
                "-c",
                "import sys, sqlalchemy; from neutron.db.migration.models import head;"
                " head.get_metadata().create_all(sqlalchemy.create_engine(sys.argv[1]))",
                self.layout.sqlite("neutron"),
            ],
        )
        neutron = ["--config-file", str(self.layout.etc("neutron") / "neutron.conf")]
        neutron += ["--config-file", str(self.layout.etc("neutron") / "ml2_conf.ini")]
        self.run("neutron-db-manage", [self._bin("neutron-db-manage"), *neutron, "stamp", "heads"])

    def _start_services(self) -> None:
        layout, ports = self.layout, self.ports
        nova = ["--config-file", str(layout.etc("nova") / "nova.conf")]
        cinder = ["--config-file", str(layout.etc("cinder") / "cinder.conf")]
        apis = {
            "placement": (ports.placement, {"OS_PLACEMENT_CONFIG_DIR": str(layout.etc("placement"))}),
            "glance": (ports.glance, {"OS_GLANCE_CONFIG_DIR": str(layout.etc("glance"))}),
            "nova": (ports.nova, {"OS_NOVA_CONFIG_DIR": str(layout.etc("nova"))}),
            "cinder": (ports.cinder, {}),
            "neutron": (
                ports.neutron,
                {
                    "OS_NEUTRON_CONFIG_DIR": str(layout.etc("neutron")),
                    "OS_NEUTRON_CONFIG_FILES": "neutron.conf;ml2_conf.ini",
                },
            ),
        }
        started = {name: self.gunicorn(f"{name}-api", port, f"{name}_app", env) for name, (port, env) in apis.items()}
        daemons = [
            self.spawn(name, [self._bin(name), *nova, "--log-file", str(layout.logs / f"{name}.log")])
            for name in ("nova-conductor", "nova-scheduler", "nova-compute")
        ]
        for name, (port, _env) in apis.items():
            self.wait(f"{name} API", lambda port=port: _http_ready(f"http://127.0.0.1:{port}/"), [started[name]])
        admin = self.connect("admin")
        # cinder-volume and cinder-scheduler hit a database lock when they start together: one after the other
        for name in ("cinder-scheduler", "cinder-volume", "cinder-backup"):
            argv = [self._bin(name), *cinder, "--log-file", str(layout.logs / f"{name}.log")]
            # os-brick runs `sudo cinder-rootwrap ... privsep-helper`: our shim, then the venv's helper
            path = f"{SUDO_SHIM}:{self.venv / 'bin'}:{os.environ.get('PATH', '')}"
            process = self.spawn(name, argv, {"PATH": path})
            binary = "cinder-volume" if name == "cinder-volume" else name
            self.wait(name, lambda binary=binary: _service_up(admin.block_storage.services(), binary), [process])
        self.wait("nova-compute", lambda: _service_up(admin.compute.services(), "nova-compute"), daemons)
        self.run("nova-manage", [self._bin("nova-manage"), *nova, "cell_v2", "discover_hosts"])
        self.wait("hypervisor", lambda: list(admin.compute.hypervisors()), daemons)
        admin.close()

    # -- bookkeeping -------------------------------------------------------------------------------

    def _write_pointer(self) -> None:
        state = {
            "root": str(self.layout.root),
            "venv": str(self.venv),
            "ports": asdict(self.ports),
            "pgids": [p.popen.pid for p in self.processes],
        }
        POINTER.write_text(json.dumps(state))

    @classmethod
    def attach(cls) -> OpenStackServices:
        """The services a detached `up` left running (for quick re-runs of the tests while debugging)."""
        state = json.loads(POINTER.read_text())
        services = cls.__new__(cls)
        services.venv, services.log = Path(state["venv"]), print
        services.layout = Layout(Path(state["root"]), services.venv)
        services.ports, services.processes, services.timings = Ports(**state["ports"]), [], {}
        return services

    def _print_log_tails(self) -> None:
        for process in self.processes:
            if process.popen.poll() is not None:
                self.log(f"--- {process.name} (exit {process.popen.returncode}) ---\n{_tail(process.log)}")


def _service_up(services: Iterator[Any], binary: str) -> bool:
    return any(s.binary == binary and s.state == "up" for s in services)


def service_state(admin: Any, binary: str) -> str:
    """`up` or `down`: what Cinder's API says of one of its services (from its heartbeats)."""
    return str(next(s.state for s in admin.block_storage.services() if s.binary == binary))


def _tail(path: Path, lines: int = 25) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return "(no output)"


def _kill_leftovers(root: Path) -> None:
    """Kill any process whose command line names our root (a service that left its process group)."""
    marker = str(root)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"):
                os.kill(int(entry.name), signal.SIGKILL)


def down_from_pointer() -> None:
    """Stop what a detached `up` left running (process groups and root recorded in the pointer file)."""
    try:
        state = json.loads(POINTER.read_text())
    except FileNotFoundError:
        print("nothing to stop")
        return
    for pgid in reversed(state["pgids"]):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    root = Path(state["root"])
    _kill_leftovers(root)
    shutil.rmtree(root, ignore_errors=True)
    POINTER.unlink()
    print(f"stopped; removed {root}")


def main(argv: list[str]) -> int:
    if argv[:1] == ["down"]:
        down_from_pointer()
        return 0
    if argv[:1] == ["venv"]:
        begun = time.monotonic()
        venv = ensure_venv(Path(os.environ.get("SCS_OPENSTACK_VENV") or DEFAULT_VENV))
        print(f"OpenStack services' virtualenv ready in {time.monotonic() - begun:.1f} s: {venv}")
        return 0
    if argv[:1] != ["up"]:
        print(
            "usage: python -m tests.integration._openstack_services venv | up [--detach] | down\n"
            "  venv: build (or reuse) the services' own virtualenv\n"
            "  up: bring the services up, print the clouds.yaml, keep running until Ctrl-C (--detach: exit, leave them)"
        )
        return 2
    services = OpenStackServices().up()
    print(f"clouds.yaml: {services.clouds_yaml}\nlogs: {services.layout.logs}\ntimings: {services.timings}")
    print(f"export OS_CLIENT_CONFIG_FILE={services.clouds_yaml}")
    if "--detach" in argv:
        print("detached: stop them with `python -m tests.integration._openstack_services down`")
        return 0
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        services.down()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
