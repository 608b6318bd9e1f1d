"""scs-0211 default storage class (informational: no scope version includes it): exactly the claim a user
makes without naming a class gets a volume that binds, supports ReadWriteOnce and is not node-local.

Active: in a throw-away namespace (`scs-test-<run>-storage`) a 1 GiB ReadWriteOnce PVC without
`storageClassName` must be given the default class and turn Bound (with a WaitForFirstConsumer class,
a pod that mounts it is its first consumer); its PV must offer ReadWriteOnce and must not be a hostPath or
local volume. The namespace (with the claim and pod) is always deleted and its deletion confirmed; a
PV the class retains is deleted too. What stays is reported with the result.
"""

from __future__ import annotations

from typing import Any

from ...collect import KaasSnapshot, KubeConnection
from ...collect._k8s_api import create, delete, get, permission_problem, wait_for
from ...collect._retry import Cancelled
from .._model import Finding, Outcome, Probe
from ._common import kaas_testcase

BIND_TIMEOUT_S = 300.0
CLEANUP_TIMEOUT_S = 300.0
#: Provisioners whose volumes live on one node's disk (bound to that node's life cycle).
NODE_LOCAL = (
    "kubernetes.io/no-provisioner",
    "rancher.io/local-path",
    "k8s.io/minikube-hostpath",
    "openebs.io/local",
    "kubernetes.io/host-path",
)
PROBE_IMAGE = "registry.k8s.io/e2e-test-images/busybox:1.37.0-1"
REMEDIATION = (
    "annotate one StorageClass storageclass.kubernetes.io/is-default-class=true whose provisioner makes "
    "replicated, network-attached volumes (e.g. cinder.csi.openstack.org) with ReadWriteOnce"
)


def static_problems(snapshot: KaasSnapshot) -> tuple[Outcome | None, Any]:
    """FAIL without probing when no class is default or the default one is node-local; else the default class."""
    assert snapshot.storage_classes is not None
    defaults = [sc for sc in snapshot.storage_classes if sc.is_default]
    if not defaults:
        names = ", ".join(sc.name for sc in snapshot.storage_classes) or "none"
        return (
            Outcome.failed(
                f"no StorageClass is annotated storageclass.kubernetes.io/is-default-class=true (classes: {names})",
                [Finding("storage classes", "no default class", "one default StorageClass", "none")],
                REMEDIATION,
            ),
            None,
        )
    chosen = max(defaults, key=lambda sc: sc.name)  # several defaults: the API server picks the newest
    if chosen.provisioner in NODE_LOCAL:
        return (
            Outcome.failed(
                f"the default StorageClass {chosen.name} uses {chosen.provisioner}: its volumes are node-local",
                [
                    Finding(
                        chosen.name,
                        "node-local provisioner",
                        "network-attached, replicated storage",
                        chosen.provisioner,
                    )
                ],
                REMEDIATION,
            ),
            chosen,
        )
    return None, chosen


@kaas_testcase(
    "default-storage-class-check",
    "scs-0211-v1",
    "A default StorageClass exists; a claim without a class binds, with ReadWriteOnce, on storage not bound to a node",
    REMEDIATION,
    needs={"storage_classes"},
    active=True,
    informational=True,
    section="medium",
)
def default_storage_class(snapshot: KaasSnapshot, probe: Probe) -> Outcome:
    failed, chosen = static_problems(snapshot)
    if failed is not None:
        return failed
    conn: KubeConnection = probe.conn
    namespace = probe.name("storage")
    try:
        create(conn, "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    except Exception as error:
        problem = permission_problem(error, "create a namespace for the storage probe")
        return Outcome.aborted(problem or f"cannot create namespace {namespace}: {error}")
    try:
        outcome = _probe(conn, probe, namespace, chosen)
    except Cancelled as error:
        outcome = Outcome.aborted(f"interrupted: {error}")
    except Exception as error:
        problem = permission_problem(error, "create claims and pods in its own namespace")
        outcome = Outcome.aborted(problem or f"storage probe crashed: {type(error).__name__}: {error}")
    return outcome.left_behind(_clean_up(conn, namespace))


def _probe(conn: KubeConnection, probe: Probe, namespace: str, chosen: Any) -> Outcome:
    claim_name = "claim"
    create(
        conn,
        f"/api/v1/namespaces/{namespace}/persistentvolumeclaims",
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": claim_name},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
        },
    )
    if chosen.binding_mode == "WaitForFirstConsumer":
        create(conn, f"/api/v1/namespaces/{namespace}/pods", _consumer(claim_name))
    timeout = probe.timeout_s or BIND_TIMEOUT_S
    try:
        claim = wait_for(
            conn,
            f"/api/v1/namespaces/{namespace}/persistentvolumeclaims",
            claim_name,
            lambda c: c is not None and (c.get("status") or {}).get("phase") == "Bound",
            timeout,
            "the probe's claim",
        )
    except TimeoutError:
        current = get(conn, f"/api/v1/namespaces/{namespace}/persistentvolumeclaims/{claim_name}") or {}
        return Outcome.failed(
            f"a claim without storageClassName did not bind within {timeout:.0f} s "
            f"(class {(current.get('spec') or {}).get('storageClassName')}, phase {(current.get('status') or {}).get('phase')}"
            f"{_events(conn, namespace)})",
            [Finding(chosen.name, "claim not bound", "Bound", str((current.get("status") or {}).get("phase")))],
            REMEDIATION,
        )
    assert claim is not None
    assigned = (claim.get("spec") or {}).get("storageClassName")
    findings = []
    if assigned != chosen.name:
        findings.append(Finding(claim_name, "claim got another class than the default", chosen.name, str(assigned)))
    volume = get(conn, f"/api/v1/persistentvolumes/{(claim.get('spec') or {}).get('volumeName')}") or {}
    spec = volume.get("spec") or {}
    modes = spec.get("accessModes") or (claim.get("status") or {}).get("accessModes") or []
    if "ReadWriteOnce" not in modes and "ReadWriteOncePod" not in modes:
        findings.append(
            Finding(
                str(volume.get("metadata", {}).get("name")),
                "ReadWriteOnce not supported",
                "ReadWriteOnce",
                ",".join(modes),
            )
        )
    for local in ("hostPath", "local"):
        if local in spec:
            findings.append(
                Finding(
                    str(volume.get("metadata", {}).get("name")),
                    "volume bound to one node",
                    "network-attached storage",
                    local,
                )
            )
    policy = spec.get("persistentVolumeReclaimPolicy", chosen.reclaim_policy)
    if findings:
        return Outcome.failed(f"the default StorageClass {chosen.name} does not meet scs-0211", findings, REMEDIATION)
    return Outcome.passed(
        f"default StorageClass {chosen.name} ({chosen.provisioner}, {chosen.binding_mode}): a claim without class bound "
        f"to {volume.get('metadata', {}).get('name')} with {', '.join(modes)}, reclaim policy {policy}"
    )


def _consumer(claim: str) -> dict[str, Any]:
    """A pod mounting the claim: the first consumer a WaitForFirstConsumer class waits for."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "consumer"},
        "spec": {
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {
                    "name": "consumer",
                    "image": PROBE_IMAGE,
                    "command": ["sh", "-c", "test -d /data"],
                    "volumeMounts": [{"name": "data", "mountPath": "/data"}],
                    "securityContext": {
                        "allowPrivilegeEscalation": False,
                        "runAsNonRoot": True,
                        "runAsUser": 65534,
                        "capabilities": {"drop": ["ALL"]},
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                }
            ],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}],
        },
    }


def _events(conn: KubeConnection, namespace: str) -> str:
    try:
        events = get(conn, f"/api/v1/namespaces/{namespace}/events") or {}
    except Exception:
        return ""
    messages = [f"{e.get('reason')}: {e.get('message')}" for e in events.get("items") or []][-3:]
    return f"; events: {' | '.join(messages)}" if messages else ""


def _clean_up(conn: KubeConnection, namespace: str) -> list[str]:
    """Delete the namespace and the volumes its claims had; confirm both are gone. Returns what stays."""
    volumes: list[str] = []
    try:
        claims = get(conn, f"/api/v1/namespaces/{namespace}/persistentvolumeclaims") or {}
        volumes = [
            c["spec"]["volumeName"] for c in claims.get("items") or [] if (c.get("spec") or {}).get("volumeName")
        ]
        delete(conn, f"/api/v1/namespaces/{namespace}")
        wait_for(
            conn,
            "/api/v1/namespaces",
            namespace,
            lambda n: n is None,
            CLEANUP_TIMEOUT_S,
            f"namespace {namespace}",
            cancellable=False,
        )
    except Exception as error:
        return [f"namespace {namespace} ({type(error).__name__}: {error})"]
    leftovers = []
    for volume in volumes:
        try:
            found = get(conn, f"/api/v1/persistentvolumes/{volume}")
            if found is not None and ((found.get("spec") or {}).get("claimRef") or {}).get("namespace") == namespace:
                delete(conn, f"/api/v1/persistentvolumes/{volume}")
                wait_for(
                    conn,
                    "/api/v1/persistentvolumes",
                    volume,
                    lambda v: v is None,
                    CLEANUP_TIMEOUT_S,
                    f"volume {volume}",
                    cancellable=False,
                )
        except Exception as error:
            leftovers.append(f"persistentvolume {volume} ({type(error).__name__}: {error})")
    return leftovers
