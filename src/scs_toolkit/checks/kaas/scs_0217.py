"""scs-0217 cluster hardening, as far as the API shows it (informational: a Draft no scope includes).

- API endpoint: HTTPS (the kubeconfig's server), certificate verified by the client.
- Kubelets (`/api/v1/nodes/<n>/proxy/configz`): read-only port 10255 off, anonymous authentication off,
  webhook authentication and authorization.
- API server flags, from the kube-apiserver pods of kube-system (kubeadm-style clusters): Node plus RBAC,
  ABAC or Webhook authorization; NodeRestriction admission (anywhere in the list, not only first as the
  reference test demands); PodSecurity admission not disabled (on by default since 1.25: the reference
  test wrongly demands it listed); two authentication methods including service-account tokens; etcd
  over TLS with client certificates. A hosted control plane does not show these: ABORT, not a vacuous PASS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from ...collect import KaasSnapshot
from ...collect._k8s_snapshot import ControlPlanePod
from .._model import Finding, Outcome
from ._common import kaas_testcase

REMEDIATION_KUBELET = (
    "configure every kubelet with readOnlyPort: 0, authentication.anonymous.enabled: false, "
    "authentication.webhook.enabled: true and authorization.mode: Webhook"
)
REMEDIATION_APISERVER = (
    "run kube-apiserver with --authorization-mode=Node,RBAC, NodeRestriction in --enable-admission-plugins, "
    "PodSecurity enabled, service-account tokens plus another authentication method, and etcd client certificates over TLS"
)


@kaas_testcase(
    "scs-0217-api-endpoint-tls",
    "scs-0217-v1",
    "The API server endpoint uses HTTPS and its certificate is verified",
    "serve the API over HTTPS with a certificate the kubeconfig's CA verifies (no insecure-skip-tls-verify)",
    needs=set(),
    informational=True,
    section="light",
)
def api_endpoint_tls(snapshot: KaasSnapshot) -> Outcome:
    scheme = urlparse(snapshot.server).scheme
    if scheme != "https":
        return Outcome.failed(
            f"the API server endpoint {snapshot.server} is not HTTPS",
            [Finding(snapshot.server, "plain HTTP endpoint", "https", scheme or "(none)")],
            "serve the API over HTTPS only",
        )
    if not snapshot.tls_verified:
        return Outcome.failed(
            f"the context {snapshot.context} skips TLS verification of {snapshot.server}",
            [Finding(snapshot.context, "insecure-skip-tls-verify", "verified certificate", "not verified")],
            "hand out kubeconfigs with the cluster's CA (certificate-authority-data), not insecure-skip-tls-verify",
        )
    return Outcome.passed(f"{snapshot.server} is HTTPS with a verified certificate")


def _nested(config: Mapping[str, Any], *keys: str) -> Any:
    value: Any = config
    for key in keys:
        value = value.get(key) if isinstance(value, Mapping) else None
    return value


def kubelet_findings(node: str, config: Mapping[str, Any]) -> list[Finding]:
    findings = []
    port = config.get("readOnlyPort", 0)
    if port not in (0, None):
        findings.append(Finding(node, "read-only kubelet port open", "readOnlyPort: 0", str(port)))
    anonymous = _nested(config, "authentication", "anonymous", "enabled")
    if anonymous is not False:
        findings.append(Finding(node, "anonymous kubelet authentication", "false", str(anonymous)))
    webhook = _nested(config, "authentication", "webhook", "enabled")
    if webhook is not True:
        findings.append(Finding(node, "kubelet webhook authentication off", "true", str(webhook)))
    mode = _nested(config, "authorization", "mode")
    if mode != "Webhook":
        findings.append(Finding(node, "kubelet authorization", "Webhook", str(mode)))
    return findings


@kaas_testcase(
    "scs-0217-kubelet-hardening",
    "scs-0217-v1",
    "Kubelets: no read-only port, no anonymous authentication, webhook authentication and authorization",
    REMEDIATION_KUBELET,
    needs={"kubelet_configs"},
    informational=True,
    section="light",
)
def kubelet_hardening(snapshot: KaasSnapshot) -> Outcome:
    assert snapshot.kubelet_configs is not None
    if not snapshot.kubelet_configs:
        return Outcome.aborted("no node is visible, so no kubelet configuration can be read")
    findings = [f for node, config in sorted(snapshot.kubelet_configs.items()) for f in kubelet_findings(node, config)]
    return Outcome.from_findings(
        findings,
        f"{len(snapshot.kubelet_configs)} kubelets: read-only port off, anonymous off, webhook authn/authz",
        "kubelets not hardened as scs-0217 says",
        REMEDIATION_KUBELET,
    )


AUTHENTICATION_FLAGS = {
    "client-ca-file": "x509 client certificates",
    "oidc-issuer-url": "OIDC",
    "authentication-token-webhook-config-file": "webhook token authentication",
    "authentication-config": "structured authentication configuration",
    "token-auth-file": "static tokens",
}


def apiserver_findings(pod: ControlPlanePod) -> list[Finding]:
    findings: list[Finding] = []
    if pod.flag("authorization-config") is None:
        modes = (pod.flag("authorization-mode") or "AlwaysAllow").split(",")
        if "Node" not in modes or not {"RBAC", "ABAC", "Webhook"} & set(modes):
            findings.append(Finding(pod.name, "authorization modes", "Node and RBAC/ABAC/Webhook", ",".join(modes)))
    enabled = (pod.flag("enable-admission-plugins") or "").split(",")
    if "NodeRestriction" not in enabled:
        findings.append(
            Finding(
                pod.name, "NodeRestriction admission not enabled", "NodeRestriction", ",".join(enabled) or "(default)"
            )
        )
    disabled = (pod.flag("disable-admission-plugins") or "").split(",")
    if "PodSecurity" in disabled:
        findings.append(Finding(pod.name, "PodSecurity admission disabled", "enabled", "disabled"))
    methods = [name for flag, name in AUTHENTICATION_FLAGS.items() if pod.flag(flag)]
    service_accounts = bool(pod.flag("service-account-issuer") or pod.flag("service-account-key-file"))
    if not service_accounts or not methods:
        found = ", ".join((["service-account tokens"] if service_accounts else []) + methods) or "none"
        findings.append(Finding(pod.name, "authentication methods", "service-account tokens and one more", found))
    missing_tls = [f for f in ("etcd-certfile", "etcd-keyfile", "etcd-cafile") if not pod.flag(f)]
    servers = [s for s in (pod.flag("etcd-servers") or "").split(",") if s]
    if missing_tls or any(not s.startswith("https://") for s in servers):
        findings.append(
            Finding(
                pod.name,
                "etcd not reached over TLS with a client certificate",
                "https + --etcd-certfile/keyfile/cafile",
                ",".join(servers) or "(none)",
            )
        )
    return findings


@kaas_testcase(
    "scs-0217-apiserver-hardening",
    "scs-0217-v1",
    "API server: Node+RBAC authorization, NodeRestriction and PodSecurity admission, two authentication methods, etcd over TLS",
    REMEDIATION_APISERVER,
    needs={"apiserver_pods"},
    informational=True,
    section="light",
)
def apiserver_hardening(snapshot: KaasSnapshot) -> Outcome:
    assert snapshot.apiserver_pods is not None
    if not snapshot.apiserver_pods:
        return Outcome.aborted(
            "no kube-apiserver pod is visible in kube-system (a hosted control plane): its flags cannot be checked "
            "through the API; the provider must show them"
        )
    findings = [f for pod in snapshot.apiserver_pods for f in apiserver_findings(pod)]
    return Outcome.from_findings(
        findings,
        f"{len(snapshot.apiserver_pods)} kube-apiserver pods: authorization, admission, authentication and etcd TLS as scs-0217 says",
        "kube-apiserver not hardened as scs-0217 says",
        REMEDIATION_APISERVER,
    )
