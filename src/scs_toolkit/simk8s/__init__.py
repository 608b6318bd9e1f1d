"""A simulated Kubernetes API server: real HTTPS on loopback, bearer tokens, RBAC, watch,
discovery and OpenAPI for kubectl, controllers (provisioner, scheduler, Cluster API), profiles
and fault injection; `python -m scs_toolkit.simk8s.sonobuoy` is a Sonobuoy stand-in for it.

from scs_toolkit.simk8s import SimK8s, SimK8sOptions
with SimK8s(SimK8sOptions(profile="compliant")) as sim:
    sim.kubeconfig(tmp_path / "kubeconfig")

The names are imported on first use, so that the Sonobuoy stand-in starts without the server's imports.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._faults import Faults
    from ._profiles import ProfileError, bundled_profiles, load_profile
    from ._server import DEFAULT_USER, SimK8s, SimK8sOptions

_WHERE = {
    "Faults": "._faults",
    "ProfileError": "._profiles",
    "bundled_profiles": "._profiles",
    "load_profile": "._profiles",
    "DEFAULT_USER": "._server",
    "SimK8s": "._server",
    "SimK8sOptions": "._server",
}

__all__ = ["DEFAULT_USER", "Faults", "ProfileError", "SimK8s", "SimK8sOptions", "bundled_profiles", "load_profile"]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WHERE[name], __name__), name)
