"""The plugin interface: a plugin creates a cluster and leaves `<workdir>/kubeconfig.yaml`, or deletes it."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

from ._config import ClusterConfig, ClustersFileError

KUBECONFIG_NAME = "kubeconfig.yaml"


class ClusterError(RuntimeError):
    """Provisioning failed or cannot start; `message` says what happened, `hint` what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


class ClusterPlugin(ABC):
    """One kind of cluster. Subclasses name their `kind` and implement create (-> kubeconfig path) and delete."""

    kind: ClassVar[str]

    def __init__(self, cluster: ClusterConfig, workdir: Path, say: Callable[[str], None] = lambda _: None) -> None:
        self.cluster, self.workdir, self.say = cluster, workdir, say
        self.config = cluster.config

    @property
    def kubeconfig(self) -> Path:
        return self.workdir / KUBECONFIG_NAME

    @abstractmethod
    def create(self) -> Path: ...

    @abstractmethod
    def delete(self) -> None: ...

    def require(self, key: str) -> str:
        value = self.config.get(key)
        if value in (None, ""):
            raise ClustersFileError(f"cluster {self.cluster.id} (kind {self.kind}): config.{key} is required")
        return str(value)

    def write_kubeconfig(self, text: str | bytes) -> Path:
        """Atomically, mode 0600 (it holds credentials)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        temporary = self.kubeconfig.with_name(f".{KUBECONFIG_NAME}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode() if isinstance(text, str) else text)
        temporary.replace(self.kubeconfig)
        return self.kubeconfig


PLUGINS: dict[str, type[ClusterPlugin]] = {}


def register(plugin: type[ClusterPlugin]) -> type[ClusterPlugin]:
    PLUGINS[plugin.kind] = plugin
    return plugin


def plugin_for(cluster: ClusterConfig, workdir: Path, say: Callable[[str], None] = lambda _: None) -> ClusterPlugin:
    from . import clusterapi, kind, static  # noqa: F401  (importing registers them)

    plugin = PLUGINS.get(cluster.kind)
    if plugin is None:
        raise ClustersFileError(
            f"cluster {cluster.id}: unknown kind {cluster.kind!r} (plugins: {', '.join(sorted(PLUGINS))})"
        )
    return plugin(cluster, workdir, say)
