"""A simulated Kubernetes API server: real HTTPS on loopback, bearer tokens, RBAC, watch,
discovery and OpenAPI for kubectl, controllers (provisioner, scheduler, Cluster API), profiles
and fault injection.

from scs_toolkit.simk8s import SimK8s, SimK8sOptions
with SimK8s(SimK8sOptions(profile="compliant")) as sim:
    sim.kubeconfig(tmp_path / "kubeconfig")
"""

from __future__ import annotations

from ._faults import Faults
from ._profiles import ProfileError, bundled_profiles, load_profile
from ._server import DEFAULT_USER, SimK8s, SimK8sOptions

__all__ = ["DEFAULT_USER", "Faults", "ProfileError", "SimK8s", "SimK8sOptions", "bundled_profiles", "load_profile"]
