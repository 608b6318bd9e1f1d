"""The whole system on one machine: simulated clouds as subjects, the compliance monitor (with the status
page at /status/), checks with signed uploads, and the health monitor, whose alerts open incidents on
the status page, all over real HTTP on loopback.

Everything that should outlive a run (monitor and health databases, signing keys, clouds.yaml, the
last reports) lives in one data directory, so history accumulates across runs and days.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import openstack
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from . import standards
from ._paths import data_dir
from ._serving import BackgroundServer
from .checks import Probe
from .collect import KubeSpec, collect_iaas, collect_kaas, connect_kube
from .health import (
    Alerter,
    CloudSchedule,
    HealthMetrics,
    HealthMonitor,
    HealthStore,
    IterationResult,
    ScenarioOptions,
    create_health_app,
)
from .health._incidents import BridgeSettings, StatusPageBridge
from .monitor.accounts import AccountSpec, hash_api_key, sync_accounts
from .monitor.app import create_app
from .monitor.db import Database, migrate
from .reports import report_document, sign, to_yaml, upload
from .runner import RunResult, run_scope
from .simcloud import SimCloud, SimCloudOptions, write_clouds_yaml
from .simk8s import SimK8s, SimK8sOptions
from .statuspage.schemas import ComponentRequest as StatusComponent

MARKER = ".scs-demo"
IAAS = "scs-compatible-iaas"
KAAS = "scs-compatible-kaas"


@dataclass(frozen=True)
class DemoSubject:
    name: str
    profile: str
    display_name: str
    description: str
    #: What the demo expects the monitor to say about it (None: anything, e.g. a flaky cloud).
    expect_certified: bool | None
    #: "IaaS": a simulated OpenStack cloud (also health-probed); "KaaS": a simulated Kubernetes cluster.
    layer: str = "IaaS"

    @property
    def scope(self) -> str:
        return KAAS if self.layer == "KaaS" else IAAS


SUBJECTS = (
    DemoSubject("demo-compliant", "compliant", "Compliant Cloud", "Meets every SCS-compatible IaaS standard.", True),
    DemoSubject(
        "demo-broken", "bad-flavor-names", "Broken Cloud", "Flavor names that break the scs-0100 grammar.", False
    ),
    DemoSubject("demo-flaky", "flaky", "Flaky Cloud", "Injected API errors, rate limits and latency.", None),
)
#: KaaS subjects, named by the official convention <offering>-<major.minor>: simulated clusters whose e2e
#: runs are the simulator's Sonobuoy stand-in (their pods only pretend), judged by the bundled version data.
CLUSTERS = (
    DemoSubject(
        "demo-kaas-1.37",
        "compliant",
        "Compliant Cluster",
        "Kubernetes 1.37, three zones, default storage.",
        True,
        "KaaS",
    ),
    DemoSubject(
        "demo-kaas-1.34", "outdated", "Outdated Cluster", "Kubernetes 1.34, past its end of life.", False, "KaaS"
    ),
)
EVERY = SUBJECTS + CLUSTERS


class DemoError(RuntimeError):
    """A setup problem the user can fix (port taken, data directory not writable); says how."""


def default_data_dir() -> Path:
    return data_dir() / "demo"


def prepare_data_dir(path: Path, reset: bool) -> Path:
    """Create (or with `reset` empty) the data directory; refuses to empty a directory that is not ours."""
    if reset and path.exists():
        if any(path.iterdir()) and not (path / MARKER).exists():
            raise DemoError(f"{path} is not a demo data directory (no {MARKER}); not emptying it, choose --data-dir")
        shutil.rmtree(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        (path / MARKER).write_text("scs demo data directory: databases, keys, clouds.yaml, reports\n")
        (path / "keys").mkdir(mode=0o700, exist_ok=True)
        (path / "reports").mkdir(exist_ok=True)
    except OSError as error:
        raise DemoError(
            f"the data directory {path} is not writable: {error.strerror}; choose another with --data-dir"
        ) from None
    return path


def signing_key(path: Path) -> ed25519.Ed25519PrivateKey:
    """The subject's key, kept across runs so that its account and old reports stay consistent."""
    if path.exists():
        key = serialization.load_ssh_private_key(path.read_bytes(), None)
        assert isinstance(key, ed25519.Ed25519PrivateKey)
        return key
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, serialization.NoEncryption()
    )
    path.touch(mode=0o600)
    path.write_bytes(pem)
    return key


@dataclass(frozen=True)
class CheckOutcome:
    subject: str
    verdicts: dict[str, str]
    uploaded: bool
    error: str | None = None


@dataclass
class RoundSummary:
    checks: dict[str, CheckOutcome] = field(default_factory=dict)
    health: dict[str, IterationResult] = field(default_factory=dict)
    monitor: dict[str, Any] = field(default_factory=dict)

    def rows(self) -> list[dict[str, Any]]:
        rows = []
        for subject in EVERY:
            check = self.checks.get(subject.name)
            health = self.health.get(subject.name)
            status = self.monitor.get(subject.name, {})
            scope: dict[str, Any] = status.get("scopes", {}).get(standards.load_scope(subject.scope).uuid, {})
            rows.append(
                {
                    "subject": subject.name,
                    "layer": subject.layer,
                    "profile": subject.profile,
                    "verdicts": check.verdicts if check else {},
                    "uploaded": bool(check and check.uploaded),
                    "monitor": scope.get("summary", "–"),
                    "certified": scope.get("certified", []),
                    "health": None if health is None else ("ok" if health.ok else "failed"),
                    "health_api_errors": {} if health is None else health.errors_by_service(),
                    "problems": self.problems(subject),
                }
            )
        return rows

    def problems(self, subject: DemoSubject) -> list[str]:
        """What did not work as the demo expects (empty: this subject behaved as designed)."""
        found = []
        check = self.checks.get(subject.name)
        if check is None or check.error:
            found.append(f"check failed: {check.error if check else 'did not run'}")
        elif not check.uploaded:
            found.append("report not uploaded")
        health = self.health.get(subject.name)
        if subject.layer != "IaaS":
            pass  # the health monitor probes OpenStack clouds only
        elif health is None:
            found.append("health iteration did not run")
        elif health.leftovers:
            found.append(f"health iteration left resources: {', '.join(health.leftovers)}")
        certified = bool(self.monitor.get(subject.name, {}).get("certified_any"))
        expected = subject.expect_certified
        if subject.layer == "KaaS" and expected and not kaas_data_fresh():
            expected = None  # with version data older than the policy window no cluster can pass (and none is faked)
        if expected is not None and certified != expected:
            found.append(f"expected {'certified' if subject.expect_certified else 'not certified'} on the monitor")
        return found

    @property
    def ok(self) -> bool:
        return all(not self.problems(s) for s in EVERY)


class Demo:
    """Starts everything; `round()` checks, uploads and probes every subject once; `stop()` ends it all."""

    def __init__(self, data_dir: Path, port: int, health_port: int = 0, say: Callable[[str], None] = print) -> None:
        self.data_dir, self.say = data_dir, say
        self.clouds: dict[str, SimCloud] = {}
        self.clusters: dict[str, SimK8s] = {}
        self.servers: list[BackgroundServer] = []
        self.stopping = threading.Event()
        self.rounds_done = 0
        self._health_thread: threading.Thread | None = None
        try:
            self._start(port, health_port)
        except BaseException:
            self.stop()
            raise

    def _start(self, port: int, health_port: int) -> None:
        self.say("starting simulated clouds: " + ", ".join(f"{s.name} ({s.profile})" for s in SUBJECTS))
        for number, subject in enumerate(SUBJECTS):
            self.clouds[subject.name] = SimCloud(SimCloudOptions(profile=subject.profile, seed=100 + number)).start()
        clouds_yaml = self.data_dir / "clouds.yaml"
        clouds_yaml.unlink(missing_ok=True)
        for subject in SUBJECTS:
            write_clouds_yaml(clouds_yaml, self.clouds[subject.name].clouds_yaml(subject.name))
        self.say("starting simulated clusters: " + ", ".join(f"{s.name} ({s.profile})" for s in CLUSTERS))
        kubeconfig = self.data_dir / "kubeconfig"
        kubeconfig.unlink(missing_ok=True)
        for number, subject in enumerate(CLUSTERS):
            cluster = SimK8s(SimK8sOptions(profile=subject.profile, seed=200 + number, cluster_name=subject.name))
            self.clusters[subject.name] = cluster.start()
            cluster.kubeconfig(kubeconfig)  # one context per cluster, as kubectl merges them
        self.sonobuoy = sonobuoy_stand_in(self.data_dir)
        self.health_store = HealthStore(f"sqlite:///{self.data_dir / 'health.db'}")
        self.health_metrics = HealthMetrics()
        self.alerter = Alerter(self.health_store)  # one, so that a firing alert is announced once
        try:
            health = BackgroundServer(
                create_health_app(self.health_store, self.health_metrics), "127.0.0.1", health_port
            )
            self.servers.append(health.start())
        except OSError as error:
            raise DemoError(
                f"cannot listen on 127.0.0.1:{health_port}: {error.strerror}; choose another --health-port"
            ) from None
        self.health_url = health.url
        monitor_db = f"sqlite:///{self.data_dir / 'monitor.db'}"
        migrate(monitor_db)
        self.database = Database(monitor_db)
        self.tokens = self._accounts()
        try:
            monitor = BackgroundServer(create_app(self.database), "127.0.0.1", port)
            self.servers.append(monitor.start())
        except OSError as error:
            raise DemoError(
                f"cannot listen on 127.0.0.1:{port}: {error.strerror}; the port is taken, choose another with --port (0 picks a free one)"
            ) from None
        self.monitor_url = monitor.url
        self.status_url = f"{self.monitor_url}/status"
        self.bridge = StatusPageBridge(BridgeSettings(self.status_url, self._status_page(), self.health_url))
        self.say(f"compliance monitor on {self.monitor_url} (database {self.data_dir / 'monitor.db'})")
        self.say(f"status page on {self.status_url}/ (incidents from the health monitor's alerts)")
        self.say(f"health monitor dashboard on {self.health_url}")

    def _status_page(self) -> str:
        """A status page component per cloud (label cloud=NAME, kept across runs) and a fresh machine
        token for the health monitor's bridge: so the flaky cloud's alerts become real incidents."""
        from .statuspage.model import Actor
        from .statuspage.services import components, tokens

        actor = Actor("scs demo", "admin")
        with self.database.session() as session:
            for subject in SUBJECTS:
                if not components.of_cloud(session, subject.name):
                    request = StatusComponent(display_name=subject.display_name, labels={"cloud": subject.name})
                    components.create(session, actor, request)
            if any(t.name == "demo-healthmon" for t in tokens.listing(session)):
                tokens.remove(session, actor, "demo-healthmon")
                session.flush()
            return tokens.create(session, actor, "demo-healthmon", "machine", "healthmon")

    def _accounts(self) -> dict[str, str]:
        """Accounts for the subjects with fresh API keys (hashes stored) and the kept signing keys."""
        tokens, specs = {}, []
        for subject in EVERY:
            key = signing_key(self.data_dir / "keys" / subject.name)
            public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
            key_type, key_data = public.decode().split()[:2]
            secret = secrets.token_urlsafe(24)
            tokens[subject.name] = f"{subject.name}:{secret}"
            specs.append(
                AccountSpec(
                    subject.name,
                    api_keys=(hash_api_key(secret),),
                    keys=(("demo", key_type, key_data),),
                    meta={
                        "display_name": subject.display_name,
                        "description": subject.description,
                        "operator": "scs-toolkit demo",
                        "layer": subject.layer,
                        **(
                            {"healthmon_url": f"{self.health_url}/clouds/{subject.name}"}
                            if subject.layer == "IaaS"
                            else {}
                        ),
                    },
                )
            )
        with self.database.session() as session:
            sync_accounts(session, specs)
        return tokens

    def _connect(self, subject: str, api_timeout_s: float | None = None) -> Any:
        extra: dict[str, Any] = {"api_timeout": api_timeout_s, "connect_retries": 0} if api_timeout_s else {}
        return openstack.connect(**self.clouds[subject].connect_kwargs(), **extra)

    def _run_check(self, subject: DemoSubject) -> RunResult:
        if subject.layer == "KaaS":
            cluster = connect_kube(KubeSpec(str(self.data_dir / "kubeconfig"), subject.name))
            try:
                return run_scope(
                    standards.load_scope(KAAS),
                    subject.name,
                    lambda parts: collect_kaas(cluster, parts),
                    probe=Probe(cluster, settings={"sonobuoy": str(self.sonobuoy)}),
                    argv=["scs", "demo"],
                    assignment={"context": subject.name},
                )
            finally:
                cluster.close()
        conn = self._connect(subject.name)
        try:
            return run_scope(
                standards.load_scope(IAAS),
                subject.name,
                lambda parts: collect_iaas(conn, parts),
                probe=Probe(conn),
                argv=["scs", "demo"],
            )
        finally:
            conn.close()

    def check(self, subject: DemoSubject) -> CheckOutcome:
        """Run the subject's scope against it, save, sign and upload the report."""
        try:
            result = self._run_check(subject)
            payload = to_yaml(report_document(result)).encode()
            report = self.data_dir / "reports" / f"{subject.name}.yaml"
            report.write_bytes(payload)
            signature = sign(payload, signing_key(self.data_dir / "keys" / subject.name))
            report.with_name(report.name + ".sig").write_text(signature)
            upload(f"{self.monitor_url}/reports", signature, payload, self.tokens[subject.name], delays=(0.5, 1.0))
        except Exception as error:
            return CheckOutcome(subject.name, {}, False, f"{type(error).__name__}: {error}")
        return CheckOutcome(subject.name, {v.version: v.verdict.value for v in result.verdicts}, True)

    def _health_monitor(self) -> HealthMonitor:
        return HealthMonitor(
            self.health_store,
            self.health_metrics,
            self.alerter,
            connector=self._connect,
            after_evaluation=self.bridge,
        )

    def _schedules(self, iterations: int | None, interval_s: float, first: int = 1) -> list[CloudSchedule]:
        options = ScenarioOptions(vms=1, api_timeout_s=10)
        return [CloudSchedule(s.name, options, interval_s, iterations, first) for s in SUBJECTS]

    def round(self) -> RoundSummary:
        """Check and upload every subject in parallel, with one health iteration each alongside."""
        summary = RoundSummary()
        self.say(
            "checking every cloud against SCS-compatible IaaS (and probing its API health), every cluster against SCS-compatible KaaS..."
        )
        with ThreadPoolExecutor(len(EVERY) + 1) as pool:
            self.rounds_done += 1  # each round's health iteration continues the numbering of the last
            health = pool.submit(self._health_monitor().run, self._schedules(1, 0, self.rounds_done), self.stopping)
            checks = list(pool.map(self.check, EVERY))
            for result in health.result():
                summary.health[result.cloud] = result
        summary.checks = {c.subject: c for c in checks}
        summary.monitor = self.monitor_status()
        return summary

    def monitor_status(self) -> dict[str, Any]:
        """What the monitor says, read over its JSON API like any client would."""
        status = {}
        with httpx.Client(timeout=30) as client:
            for subject in EVERY:
                reply = client.get(f"{self.monitor_url}/api/subjects/{subject.name}")
                if reply.status_code == 200:
                    data = reply.json()
                    data["certified_any"] = any(s["certified"] for s in data["scopes"].values())
                    status[subject.name] = data
        return status

    def start_health_schedule(self, interval_s: float) -> None:
        """Health iterations on every subject until stop(), each cloud on its own interval."""
        monitor = self._health_monitor()
        schedules = self._schedules(None, interval_s)
        self._health_thread = threading.Thread(target=monitor.run, args=(schedules, self.stopping), daemon=True)
        self._health_thread.start()

    def stop(self) -> None:
        """Stop probing (running iterations clean up first), then the servers and clouds."""
        self.stopping.set()
        if self._health_thread is not None:
            self._health_thread.join()
        for server in reversed(self.servers):
            server.stop()
        for cloud in self.clouds.values():
            cloud.stop()
        for cluster in self.clusters.values():
            cluster.stop()
        if hasattr(self, "bridge"):
            self.bridge.close()
        if hasattr(self, "database"):
            self.database.close()
        if hasattr(self, "health_store"):
            self.health_store.close()


def kaas_data_fresh() -> bool:
    """Whether the Kubernetes version data is young enough for the version policy to pass anything."""
    from ._time import utcnow
    from .checks.kaas import _versions
    from .checks.kaas.scs_0210 import PATCH_WINDOW

    return _versions.current_data().age(utcnow()) <= PATCH_WINDOW


def sonobuoy_stand_in(data_dir: Path) -> Path:
    """An executable `sonobuoy` in the data directory that runs the simulated clusters' stand-in."""
    import sys

    folder = data_dir / "bin"
    folder.mkdir(exist_ok=True)
    path = folder / "sonobuoy"
    path.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m scs_toolkit.simk8s.sonobuoy "$@"\n')
    path.chmod(0o755)
    return path


def summary_json(summary: RoundSummary) -> str:
    return json.dumps({"ok": summary.ok, "subjects": summary.rows(), "at": dt.datetime.now(dt.UTC).isoformat()})
