"""Provisioning KaaS test subjects, as the official `Tests/kaas/plugin` framework does: a clusters file
(`~/.config/scs/clusters.yaml`: `clusters: {<id>: {kind: <plugin>, config: {...}}}`) and one plugin per
kind that creates a cluster and leaves its kubeconfig, and deletes it again.

Plugins: `static` (an existing cluster: copy its kubeconfig), `kind` (a local kind cluster; needs docker
and kind), `clusterapi` (a Cluster resource rendered from a template onto a Cluster API management
cluster, its workload kubeconfig from the `<name>-kubeconfig` Secret). A new kind (e.g. Gardener) is one
module with a `ClusterPlugin` subclass, registered in `PLUGINS`.
"""

from __future__ import annotations

from ._config import DEFAULT_CLUSTERS_FILE, ClusterConfig, ClustersFile, load_clusters
from ._plugin import PLUGINS, ClusterError, ClusterPlugin, plugin_for

__all__ = [
    "DEFAULT_CLUSTERS_FILE",
    "PLUGINS",
    "ClusterConfig",
    "ClusterError",
    "ClusterPlugin",
    "ClustersFile",
    "load_clusters",
    "plugin_for",
]
