"""Run a simulated cluster over HTTPS on loopback: in a background thread for tests, or in the
foreground for `scs simk8s serve`.

with SimK8s(SimK8sOptions(profile="compliant")) as sim:
    sim.kubeconfig(tmp_path / "kubeconfig")          # then KUBECONFIG=... kubectl get nodes
    kubernetes.config.load_kube_config(str(tmp_path / "kubeconfig"))
"""

from __future__ import annotations

import copy
import shutil
import ssl
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from .._serving import BackgroundServer
from . import _kubeconfig, _tls
from ._api import Api
from ._app import create_app
from ._auth import Authenticator
from ._cluster import Cluster
from ._controllers import Controllers
from ._faults import FaultInjector, Faults
from ._profiles import load_profile
from ._seed import seed
from ._store import Store

DEFAULT_USER = "admin"


@dataclass
class SimK8sOptions:
    profile: str | Path = "compliant"
    host: str = "127.0.0.1"
    port: int = 0
    state_file: Path | None = None
    seed: int | None = None
    faults: Faults = field(default_factory=Faults)
    #: Overrides the profile's Kubernetes version (e.g. for Cluster API workload clusters).
    git_version: str | None = None
    #: Name used for the kubeconfig's cluster and contexts (default `simk8s-<profile>`).
    cluster_name: str | None = None


def _known_resources(cluster: Cluster) -> frozenset[str]:
    return frozenset({t.plural for t in cluster.types.values()} | {"discovery"})


class SimK8s:
    """A simulated Kubernetes API server running in a background thread on a loopback port."""

    def __init__(self, options: SimK8sOptions | None = None) -> None:
        self.options = options or SimK8sOptions()
        profile = copy.deepcopy(load_profile(self.options.profile))
        if self.options.git_version:
            profile["version"] = {**profile["version"], "gitVersion": self.options.git_version}
        self.profile = profile
        self.name = self.options.cluster_name or f"simk8s-{profile['name']}"
        self._folder = Path(tempfile.mkdtemp(prefix="simk8s-"))  # 0700: holds the server key
        certificate = _tls.generate(self.name)
        self.ca_path, cert_path, key_path = certificate.write(self._folder)
        self.ca_pem = certificate.ca_pem
        profile["_ca_pem"] = certificate.ca_pem.decode()
        store = Store(seed=self.options.seed, path=self.options.state_file)
        loaded = store.load()
        faults = FaultInjector(self.options.seed, self.options.faults)
        self.cluster = Cluster(profile, store, faults, Authenticator(profile.get("users") or {}))
        faults.known = _known_resources(self.cluster)
        if profile.get("faults"):
            faults.configure(profile["faults"])
        self.controllers = Controllers(
            self.cluster, workloads=self._start_workload if profile.get("cluster_api") else None
        )
        if loaded:
            self.cluster.refresh_types()
            faults.known = _known_resources(self.cluster)
            self.controllers.reconcile_all()
        else:
            seed(self.cluster, profile)
            store.save()
        self.api = Api(self.cluster, self.controllers)
        self._server = BackgroundServer(
            create_app(self.api),
            self.options.host,
            self.options.port,
            on_loop=self.cluster.attach,
            tls=(str(cert_path), str(key_path)),
        )
        self.port, self.url = self._server.port, self._server.url
        self._workloads: list[SimK8s] = []

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> SimK8s:
        self._server.start()
        return self

    def stop(self) -> None:
        self.controllers.stop_workloads()
        loop = self.cluster.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.cluster.store.close_watches)
        self._server.stop()
        self.cluster.store.save()
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> SimK8s:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # -- clients ---------------------------------------------------------------------------

    @property
    def users(self) -> list[str]:
        return list(self.cluster.auth.tokens)

    def ssl_context(self) -> ssl.SSLContext:
        """A client TLS context that trusts this cluster's CA (and nothing else)."""
        return ssl.create_default_context(cafile=str(self.ca_path))

    def token(self, user: str = DEFAULT_USER) -> str:
        return self.cluster.auth.tokens[user]

    def kubeconfig_document(self, user: str = DEFAULT_USER) -> dict[str, Any]:
        """A kubeconfig with one context per profile user; `user`'s context is the current one."""
        if user not in self.cluster.auth.tokens:
            raise KeyError(f"profile {self.profile['name']} has no user {user!r}; users: {', '.join(self.users)}")
        return _kubeconfig.document(self.name, self.url, self.ca_pem, self.cluster.auth.tokens, current=user)

    def kubeconfig(self, path: Path, user: str = DEFAULT_USER) -> Path:
        """Write (merge) the kubeconfig into `path`, mode 0600; returns the path."""
        return _kubeconfig.write(Path(path), self.kubeconfig_document(user))

    # -- Cluster API workload clusters -----------------------------------------------------

    def _start_workload(self, name: str, version: str | None) -> tuple[str, Any]:
        settings = self.profile.get("cluster_api") or {}
        options = replace(
            self.options,
            profile=settings.get("workload_profile", "compliant"),
            port=0,
            state_file=None,
            faults=Faults(),
            git_version=version,
            cluster_name=name,
        )
        workload = SimK8s(options).start()
        self._workloads.append(workload)
        text = yaml.safe_dump(workload.kubeconfig_document(), sort_keys=False)

        def stop() -> None:
            if workload in self._workloads:
                self._workloads.remove(workload)
                workload.stop()

        return text, stop
