"""The clusters file in the official plugin format, strictly validated (errors name the key path)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

#: Where the official tooling keeps it (`BASEPATH = ~/.config/scs`); relative paths in it resolve against its folder.
DEFAULT_CLUSTERS_FILE = Path("~/.config/scs/clusters.yaml")


class ClustersFileError(ValueError):
    """The clusters file is missing or malformed; the message names the file and the key path."""


@dataclass(frozen=True)
class ClusterConfig:
    id: str
    kind: str
    config: Mapping[str, Any]
    #: The folder relative template and kubeconfig paths resolve against.
    basepath: Path

    @property
    def name(self) -> str:
        """`config.name`, defaulting to the id (the official rule; ids with dots need an explicit name)."""
        return str(self.config.get("name") or self.id)

    def path(self, value: str) -> Path:
        path = Path(value).expanduser()
        return path if path.is_absolute() else self.basepath / path


@dataclass(frozen=True)
class ClustersFile:
    path: Path
    clusters: Mapping[str, ClusterConfig]

    def get(self, cluster_id: str) -> ClusterConfig:
        if cluster_id not in self.clusters:
            known = ", ".join(sorted(self.clusters)) or "(none)"
            raise ClustersFileError(f"{self.path}: no cluster {cluster_id!r} (clusters: {known})")
        return self.clusters[cluster_id]


def load_clusters(path: Path | None = None) -> ClustersFile:
    source = (path or DEFAULT_CLUSTERS_FILE).expanduser()
    try:
        document = yaml.safe_load(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ClustersFileError(f"no clusters file at {source}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ClustersFileError(f"cannot read {source}: {error}") from None
    except yaml.YAMLError as error:
        raise ClustersFileError(f"{source}: not valid YAML: {error}") from None
    if not isinstance(document, dict) or not isinstance(document.get("clusters"), dict):
        raise ClustersFileError(f"{source}: expected a mapping with a mapping `clusters: {{<id>: {{kind, config}}}}`")
    clusters = {}
    for cluster_id, entry in document["clusters"].items():
        where = f"{source}: clusters.{cluster_id}"
        if not isinstance(entry, dict) or not isinstance(entry.get("kind"), str):
            raise ClustersFileError(f"{where}: needs `kind` (a plugin name) and optionally `config`")
        unknown = set(entry) - {"kind", "config"}
        if unknown:
            raise ClustersFileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        config = entry.get("config") or {}
        if not isinstance(config, dict):
            raise ClustersFileError(f"{where}.config: must be a mapping")
        clusters[str(cluster_id)] = ClusterConfig(
            str(cluster_id), entry["kind"], MappingProxyType(config), source.parent
        )
    return ClustersFile(source, MappingProxyType(clusters))
