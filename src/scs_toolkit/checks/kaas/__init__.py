"""SCS-compatible KaaS checks, one module per standard; importing registers them.

Official testcases of scs-compatible-kaas v1: cncf-k8s-conformance (scs_0201), version-policy-check
(scs_0210), kaas-networking-check (scs_0219). Informational (run beside the scope, never judged):
default-storage-class-check (scs_0211), node-distribution-check (scs_0214, manual in the scope),
the scs-0217 hardening checks and scs-0219-network-policy-api.
"""

from __future__ import annotations

from . import scs_0201, scs_0210, scs_0211, scs_0214, scs_0217, scs_0219

__all__ = ["scs_0201", "scs_0210", "scs_0211", "scs_0214", "scs_0217", "scs_0219"]
