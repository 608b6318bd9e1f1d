"""The controllers of the simulated cluster: what kube-controller-manager, the scheduler, the
kubelet, a CSI provisioner and Cluster API would do, reduced to the state changes clients see.

- namespaces: a `default` ServiceAccount and the `kube-root-ca.crt` ConfigMap in each new one;
  deletion empties the namespace, then removes it;
- provisioner: a PVC of a class whose provisioner the profile knows gets a PV and turns Bound
  after `bind_delay_s` (`WaitForFirstConsumer`: once a pod using it is scheduled); PVC/PV
  protection finalizers; reclaim policy Delete removes the PV with its claim;
- scheduler + kubelet: pods are bound to a ready, schedulable node that fits (nodeSelector,
  taints), start after `start_delay_s`, and end as the profile's pod behaviours say;
- Cluster API (profiles with `cluster_api`): a `cluster.x-k8s.io` Cluster is provisioned as a
  real second simulated cluster, with its kubeconfig in the `<name>-kubeconfig` Secret.

Each reaction is an event-loop callback, so watchers see every transition as an event.
"""

from __future__ import annotations

import base64
import copy
import fnmatch
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ._admission import PV_PROTECTION, PVC_PROTECTION, pod_claims
from ._cluster import Cluster
from ._models import rfc3339, rfc3339_micro
from ._resources import ResourceType
from ._store import now

SELECTED_NODE = "volume.kubernetes.io/selected-node"
CAPI_GROUP = "cluster.x-k8s.io"
CAPI_FINALIZER = "cluster.cluster.x-k8s.io"

#: Starts a workload cluster: (cluster name, Kubernetes version or None) -> (kubeconfig YAML, stop).
WorkloadFactory = Callable[[str, "str | None"], tuple[str, Callable[[], None]]]


@dataclass
class Controllers:
    cluster: Cluster
    workloads: WorkloadFactory | None = None
    running_workloads: dict[str, Callable[[], None]] = field(default_factory=dict)
    _scheduled: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.cluster.listeners.append(self.react)
        settings = self.cluster.profile.get("controllers") or {}
        self.bind_delay_s = float(settings.get("bind_delay_s", 0.3))
        self.start_delay_s = float(settings.get("start_delay_s", 0.3))
        self.provision_delay_s = float(settings.get("cluster_provision_s", 1.0))
        self.provisioners = set(self.cluster.profile.get("provisioners") or [])

    # -- dispatch --------------------------------------------------------------------------

    def react(self, event: str, rtype: ResourceType, obj: dict[str, Any]) -> None:
        handler = {
            "/namespaces": self._namespace,
            "/persistentvolumeclaims": self._claim,
            "/persistentvolumes": self._volume,
            "/pods": self._pod,
            "storage.k8s.io/storageclasses": self._storage_class,
        }.get(rtype.key)
        if handler is not None:
            handler(event, obj)
        elif rtype.group == CAPI_GROUP and rtype.plural == "clusters" and self.cluster.profile.get("cluster_api"):
            self._capi_cluster(event, rtype, obj)
        namespace = obj["metadata"].get("namespace")
        if event == "DELETED" and namespace:
            self.cluster.later(0, lambda: self._finish_namespace(namespace))

    def reconcile_all(self) -> None:
        """After start-up (or a state file): react to every object once, as controllers resync."""
        for rtype in list(self.cluster.types.values()):
            if rtype.key in ("/namespaces", "/persistentvolumeclaims", "/pods", "/persistentvolumes") or (
                rtype.group == CAPI_GROUP and rtype.plural == "clusters"
            ):
                for obj in self.cluster.store.list(rtype.key):
                    if obj.get("apiVersion") == rtype.group_version:
                        self.react("MODIFIED", rtype, obj)

    def _type(self, key: str) -> ResourceType:
        rtype = self.cluster.type_for_key(key)
        assert rtype is not None, key
        return rtype

    def event(self, obj: dict[str, Any], reason: str, message: str, kind: str = "Normal", component: str = "") -> None:
        """Record a core/v1 Event about `obj`, as the component that acted would."""
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        moment = now()
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {
                "name": f"{meta['name']}.{self.cluster.store.new_uid().replace('-', '')[:16]}",
                "namespace": namespace,
            },
            "involvedObject": {
                "apiVersion": obj.get("apiVersion"),
                "kind": obj.get("kind"),
                "name": meta["name"],
                "namespace": meta.get("namespace"),
                "uid": meta.get("uid"),
                "resourceVersion": meta.get("resourceVersion"),
            },
            "reason": reason,
            "message": message,
            "type": kind,
            "source": {"component": component},
            "reportingComponent": component,
            "reportingInstance": "",
            "firstTimestamp": rfc3339(moment),
            "lastTimestamp": rfc3339(moment),
            "eventTime": rfc3339_micro(moment) if component == "default-scheduler" else None,
            "count": 1,
        }
        if self.cluster.store.get("/namespaces", "", namespace) is not None:
            self.cluster.system_create("/events", body)

    def _once(self, what: str, obj: dict[str, Any]) -> bool:
        """True the first time `what` is asked for this object (uid): schedule each step once."""
        key = (what, obj["metadata"]["uid"])
        if key in self._scheduled:
            return False
        self._scheduled.add(key)
        return True

    # -- namespaces ------------------------------------------------------------------------

    def _namespace(self, event: str, ns: dict[str, Any]) -> None:
        name = ns["metadata"]["name"]
        if event == "ADDED" or (event == "MODIFIED" and not ns["metadata"].get("deletionTimestamp")):
            if ns.get("status", {}).get("phase") == "Active":
                self.cluster.system_create("/serviceaccounts", {"metadata": {"name": "default", "namespace": name}})
                ca = self.cluster.profile.get("_ca_pem", "")
                self.cluster.system_create(
                    "/configmaps",
                    {"metadata": {"name": "kube-root-ca.crt", "namespace": name}, "data": {"ca.crt": ca}},
                )
        elif event == "MODIFIED" and ns["metadata"].get("deletionTimestamp") and self._once("empty-namespace", ns):
            self.cluster.later(0.05, lambda: self._empty_namespace(name))

    def _empty_namespace(self, namespace: str) -> None:
        for rtype in {t.key: t for t in self.cluster.types.values() if t.namespaced}.values():
            for obj in self.cluster.store.list(rtype.key, namespace):
                if not obj["metadata"].get("deletionTimestamp"):
                    self.cluster.delete(rtype, namespace, obj["metadata"]["name"])
        self._finish_namespace(namespace)

    def _finish_namespace(self, namespace: str) -> None:
        ns = self.cluster.store.get("/namespaces", "", namespace)
        if ns is None or not ns["metadata"].get("deletionTimestamp"):
            return
        keys = {t.key for t in self.cluster.types.values() if t.namespaced}
        if any(self.cluster.store.list(key, namespace) for key in keys):
            return
        rtype = self._type("/namespaces")
        self.cluster.store.remove(rtype.key, "", namespace)
        self.cluster.notify("DELETED", rtype, ns)

    # -- storage ---------------------------------------------------------------------------

    def _storage_class(self, event: str, sc: dict[str, Any]) -> None:
        if event == "ADDED":  # claims waiting for a class that did not exist yet
            for claim in self.cluster.store.list("/persistentvolumeclaims"):
                if (claim.get("spec") or {}).get("storageClassName") == sc["metadata"]["name"]:
                    self._claim("MODIFIED", claim)

    def _claim(self, event: str, claim: dict[str, Any]) -> None:
        meta = claim["metadata"]
        if event == "DELETED":
            self._release(claim)
            return
        if meta.get("deletionTimestamp"):
            self._unprotect_claim(claim)
            return
        for pod in self.cluster.store.list("/pods", meta["namespace"]):
            if meta["name"] in pod_claims(pod) and not (pod.get("spec") or {}).get("nodeName"):
                self.cluster.later(0, functools.partial(self._schedule, pod))
        if (claim.get("status") or {}).get("phase") != "Pending" or (claim.get("spec") or {}).get("volumeName"):
            return
        class_name = (claim.get("spec") or {}).get("storageClassName")
        sc = self.cluster.store.get("storage.k8s.io/storageclasses", "", class_name) if class_name else None
        if sc is None:
            if class_name and self._once("class-missing", claim):
                self.event(
                    claim,
                    "ProvisioningFailed",
                    f'storageclass.storage.k8s.io "{class_name}" not found',
                    "Warning",
                    "persistentvolume-controller",
                )
            elif not class_name and self._once("no-class", claim):
                self.event(
                    claim,
                    "FailedBinding",
                    "no persistent volumes available for this claim and no storage class is set",
                    "Normal",
                    "persistentvolume-controller",
                )
            return
        provisioner = sc.get("provisioner", "")
        if provisioner not in self.provisioners:
            if self._once("external", claim):
                self.event(
                    claim,
                    "ExternalProvisioning",
                    f"Waiting for a volume to be created either by the external provisioner '{provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered.",
                    "Normal",
                    "persistentvolume-controller",
                )
            return
        if sc.get("volumeBindingMode") == "WaitForFirstConsumer" and not (meta.get("annotations") or {}).get(
            SELECTED_NODE
        ):
            if self._once("wait-consumer", claim):
                self.event(
                    claim,
                    "WaitForFirstConsumer",
                    "waiting for first consumer to be created before binding",
                    "Normal",
                    "persistentvolume-controller",
                )
            return
        if self._once("provision", claim):
            delay = self.bind_delay_s + self.cluster.faults.provisioning_delay("persistentvolumeclaims")
            self.event(
                claim,
                "Provisioning",
                f'External provisioner is provisioning volume for claim "{meta["namespace"]}/{meta["name"]}"',
                "Normal",
                f"{provisioner}_simk8s",
            )
            self.cluster.later(delay, lambda: self._bind(claim, sc))

    def _bind(self, claim: dict[str, Any], sc: dict[str, Any]) -> None:
        current = self.cluster.store.get(
            "/persistentvolumeclaims", claim["metadata"]["namespace"], claim["metadata"]["name"]
        )
        if (
            current is None
            or current["metadata"]["uid"] != claim["metadata"]["uid"]
            or current["metadata"].get("deletionTimestamp")
        ):
            return
        spec = current["spec"]
        volume = f"pvc-{current['metadata']['uid']}"
        storage = spec["resources"]["requests"]["storage"]
        node_name = (current["metadata"].get("annotations") or {}).get(SELECTED_NODE)
        node = self.cluster.store.get("/nodes", "", node_name) if node_name else None
        zone = ((node or {}).get("metadata", {}).get("labels") or {}).get("topology.kubernetes.io/zone")
        pv: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "PersistentVolume",
            "metadata": {
                "name": volume,
                "annotations": {
                    "pv.kubernetes.io/provisioned-by": sc["provisioner"],
                    "volume.kubernetes.io/provisioner-deletion-secret-name": "",
                    "volume.kubernetes.io/provisioner-deletion-secret-namespace": "",
                },
            },
            "spec": {
                "accessModes": spec["accessModes"],
                "capacity": {"storage": storage},
                "claimRef": {
                    "apiVersion": "v1",
                    "kind": "PersistentVolumeClaim",
                    "name": current["metadata"]["name"],
                    "namespace": current["metadata"]["namespace"],
                    "uid": current["metadata"]["uid"],
                    "resourceVersion": current["metadata"]["resourceVersion"],
                },
                "csi": {"driver": sc["provisioner"], "volumeHandle": self.cluster.store.new_uid(), "fsType": "ext4"},
                "persistentVolumeReclaimPolicy": sc.get("reclaimPolicy", "Delete"),
                "storageClassName": sc["metadata"]["name"],
                "volumeMode": spec.get("volumeMode", "Filesystem"),
            },
        }
        if zone:
            pv["spec"]["nodeAffinity"] = {
                "required": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone]}
                            ]
                        }
                    ]
                }
            }
        created = self.cluster.system_create("/persistentvolumes", pv)
        if created is not None:
            self.cluster.write_status(
                self._type("/persistentvolumes"),
                created,
                lambda v: v.__setitem__("status", {"phase": "Bound", "lastPhaseTransitionTime": rfc3339(now())}),
            )

        def bound(c: dict[str, Any]) -> None:
            c["spec"]["volumeName"] = volume
            annotations = c["metadata"].setdefault("annotations", {})
            annotations.update(
                {
                    "pv.kubernetes.io/bind-completed": "yes",
                    "pv.kubernetes.io/bound-by-controller": "yes",
                    "volume.beta.kubernetes.io/storage-provisioner": sc["provisioner"],
                    "volume.kubernetes.io/storage-provisioner": sc["provisioner"],
                }
            )
            c["status"] = {"phase": "Bound", "accessModes": spec["accessModes"], "capacity": {"storage": storage}}

        updated = self.cluster.write_status(self._type("/persistentvolumeclaims"), current, bound)
        if updated is not None:
            self.event(
                updated,
                "ProvisioningSucceeded",
                f"Successfully provisioned volume {volume}",
                "Normal",
                f"{sc['provisioner']}_simk8s",
            )

    def _claim_in_use(self, claim: dict[str, Any]) -> bool:
        meta = claim["metadata"]
        return any(
            meta["name"] in pod_claims(pod) and (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            for pod in self.cluster.store.list("/pods", meta["namespace"])
        )

    def _unprotect_claim(self, claim: dict[str, Any]) -> None:
        if not self._claim_in_use(claim):
            self.cluster.remove_finalizer(self._type("/persistentvolumeclaims"), claim, PVC_PROTECTION)

    def _release(self, claim: dict[str, Any]) -> None:
        uid = claim["metadata"]["uid"]
        for pv in self.cluster.store.list("/persistentvolumes"):
            if ((pv.get("spec") or {}).get("claimRef") or {}).get("uid") != uid:
                continue
            rtype = self._type("/persistentvolumes")
            if pv["spec"].get("persistentVolumeReclaimPolicy") == "Delete":
                self.cluster.delete(rtype, "", pv["metadata"]["name"])
            else:
                self.cluster.write_status(rtype, pv, lambda v: v.__setitem__("status", {"phase": "Released"}))

    def _volume(self, event: str, pv: dict[str, Any]) -> None:
        if event == "DELETED" or not pv["metadata"].get("deletionTimestamp"):
            return
        ref = (pv.get("spec") or {}).get("claimRef") or {}
        claim = self.cluster.store.get("/persistentvolumeclaims", ref.get("namespace", ""), ref.get("name", ""))
        if claim is None or claim["metadata"]["uid"] != ref.get("uid"):
            self.cluster.remove_finalizer(self._type("/persistentvolumes"), pv, PV_PROTECTION)

    # -- pods ------------------------------------------------------------------------------

    def _pod(self, event: str, pod: dict[str, Any]) -> None:
        if event == "DELETED":
            for name in pod_claims(pod):
                claim = self.cluster.store.get("/persistentvolumeclaims", pod["metadata"]["namespace"], name)
                if claim is not None and claim["metadata"].get("deletionTimestamp"):
                    self._unprotect_claim(claim)
            return
        if not (pod.get("spec") or {}).get("nodeName"):
            self.cluster.later(0, lambda: self._schedule(pod))

    def _fits(self, pod: dict[str, Any], node: dict[str, Any]) -> bool:
        spec = pod.get("spec") or {}
        labels = node["metadata"].get("labels") or {}
        if any(labels.get(k) != v for k, v in (spec.get("nodeSelector") or {}).items()):
            return False
        ready = any(
            c.get("type") == "Ready" and c.get("status") == "True"
            for c in (node.get("status") or {}).get("conditions") or []
        )
        if not ready or (node.get("spec") or {}).get("unschedulable"):
            return False
        tolerations = spec.get("tolerations") or []
        for taint in (node.get("spec") or {}).get("taints") or []:
            if taint.get("effect") not in ("NoSchedule", "NoExecute"):
                continue
            if not any(
                (t.get("operator") == "Exists" and (not t.get("key") or t.get("key") == taint.get("key")))
                or (t.get("key") == taint.get("key") and t.get("value") == taint.get("value"))
                for t in tolerations
                if not t.get("effect") or t.get("effect") == taint.get("effect")
            ):
                return False
        return True

    def _unschedulable(self, pod: dict[str, Any], message: str) -> None:
        def mark(p: dict[str, Any]) -> None:
            p.setdefault("status", {})["conditions"] = [
                {
                    "type": "PodScheduled",
                    "status": "False",
                    "reason": "Unschedulable",
                    "message": message,
                    "lastTransitionTime": rfc3339(now()),
                }
            ]

        updated = self.cluster.write_status(self._type("/pods"), pod, mark)
        if updated is not None and self._once(f"unschedulable:{message}", pod):
            self.event(updated, "FailedScheduling", message, "Warning", "default-scheduler")

    def _schedule(self, pod: dict[str, Any]) -> None:
        meta = pod["metadata"]
        current = self.cluster.store.get("/pods", meta["namespace"], meta["name"])
        if current is None or current["metadata"]["uid"] != meta["uid"] or current["spec"].get("nodeName"):
            return
        nodes = [n for n in self.cluster.store.list("/nodes") if self._fits(current, n)]
        total = len(self.cluster.store.list("/nodes"))
        if not nodes:
            self._unschedulable(
                current,
                f"0/{total} nodes are available: {total} node(s) didn't match Pod's node affinity/selector or had untolerated taints.",
            )
            return
        load = {n["metadata"]["name"]: 0 for n in nodes}
        for other in self.cluster.store.list("/pods"):
            name = (other.get("spec") or {}).get("nodeName")
            if name in load:
                load[name] += 1
        node = min(nodes, key=lambda n: (load[n["metadata"]["name"]], n["metadata"]["name"]))
        node_name = node["metadata"]["name"]
        waiting = False
        for claim_name in pod_claims(current):
            claim = self.cluster.store.get("/persistentvolumeclaims", meta["namespace"], claim_name)
            if claim is None:
                self._unschedulable(current, f'persistentvolumeclaim "{claim_name}" not found')
                return
            if (claim.get("status") or {}).get("phase") == "Bound":
                continue
            waiting = True
            sc_name = (claim.get("spec") or {}).get("storageClassName")
            sc = self.cluster.store.get("storage.k8s.io/storageclasses", "", sc_name) if sc_name else None
            wait_for_consumer = sc is not None and sc.get("volumeBindingMode") == "WaitForFirstConsumer"
            if wait_for_consumer and not (claim["metadata"].get("annotations") or {}).get(SELECTED_NODE):
                self.cluster.write_status(
                    self._type("/persistentvolumeclaims"),
                    claim,
                    lambda c: c["metadata"].setdefault("annotations", {}).__setitem__(SELECTED_NODE, node_name),
                )
        if waiting:
            self._unschedulable(
                current,
                f"0/{total} nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/{total} nodes are available: {total} Preemption is not helpful for scheduling.",
            )
            return
        moment = rfc3339(now())

        def bind(p: dict[str, Any]) -> None:
            p["spec"]["nodeName"] = node_name
            p["status"]["conditions"] = [{"type": "PodScheduled", "status": "True", "lastTransitionTime": moment}]

        bound = self.cluster.write_status(self._type("/pods"), current, bind)
        if bound is None:
            return
        self.event(
            bound,
            "Scheduled",
            f"Successfully assigned {meta['namespace']}/{meta['name']} to {node_name}",
            "Normal",
            "default-scheduler",
        )
        delay = self.start_delay_s + self.cluster.faults.provisioning_delay("pods")
        self.cluster.later(delay, lambda: self._start(bound, node))

    def behaviour(self, pod: dict[str, Any]) -> dict[str, Any]:
        """The profile's behaviour for the pod's first container image (default: keeps running)."""
        container = ((pod.get("spec") or {}).get("containers") or [{}])[0]
        image = str(container.get("image", ""))
        env = {str(e.get("name")): str(e.get("value", "")) for e in container.get("env") or []}
        for rule in (self.cluster.profile.get("pods") or {}).get("behaviours") or []:
            if not fnmatch.fnmatchcase(image, rule.get("image", "")):
                continue
            if all(fnmatch.fnmatchcase(env.get(k, ""), v) for k, v in (rule.get("env") or {}).items()):
                return dict(rule)
        return {}

    def _start(self, pod: dict[str, Any], node: dict[str, Any]) -> None:
        moment = rfc3339(now())
        address = next(
            (a["address"] for a in (node.get("status") or {}).get("addresses") or [] if a.get("type") == "InternalIP"),
            "",
        )
        index = self.cluster.store.count("/pods") % 250 + 2

        def run(p: dict[str, Any]) -> None:
            p["status"].update(
                {
                    "phase": "Running",
                    "hostIP": address,
                    "hostIPs": [{"ip": address}] if address else None,
                    "podIP": f"10.244.0.{index}",
                    "podIPs": [{"ip": f"10.244.0.{index}"}],
                    "startTime": moment,
                    "conditions": [
                        {"type": t, "status": "True", "lastTransitionTime": moment}
                        for t in (
                            "PodReadyToStartContainers",
                            "Initialized",
                            "Ready",
                            "ContainersReady",
                            "PodScheduled",
                        )
                    ],
                    "containerStatuses": [
                        {
                            "name": c["name"],
                            "image": c.get("image", ""),
                            "imageID": f"{c.get('image', '')}@sha256:{'0' * 64}",
                            "containerID": f"containerd://{self.cluster.store.new_uid().replace('-', '')}",
                            "ready": True,
                            "started": True,
                            "restartCount": 0,
                            "state": {"running": {"startedAt": moment}},
                        }
                        for c in p["spec"]["containers"]
                    ],
                }
            )
            if p["status"].get("hostIPs") is None:
                p["status"].pop("hostIPs")

        started = self.cluster.write_status(self._type("/pods"), pod, run)
        if started is None:
            return
        for container in started["spec"]["containers"]:
            self.event(
                started,
                "Pulled",
                f'Container image "{container.get("image")}" already present on machine',
                "Normal",
                "kubelet",
            )
            self.event(started, "Created", f"Created container: {container['name']}", "Normal", "kubelet")
            self.event(started, "Started", f"Started container {container['name']}", "Normal", "kubelet")
        rule = self.behaviour(started)
        if rule.get("phase") in ("Succeeded", "Failed"):
            self.cluster.later(float(rule.get("after_s", 0.2)), lambda: self._finish(started, rule))

    def _finish(self, pod: dict[str, Any], rule: dict[str, Any]) -> None:
        moment = rfc3339(now())
        failed = rule["phase"] == "Failed"
        code = int(rule.get("exit_code", 1 if failed else 0))

        def finish(p: dict[str, Any]) -> None:
            p["status"]["phase"] = rule["phase"]
            for condition in p["status"].get("conditions") or []:
                if condition["type"] in ("Ready", "ContainersReady", "PodReadyToStartContainers"):
                    condition.update({"status": "False", "reason": "PodCompleted", "lastTransitionTime": moment})
            for status in p["status"].get("containerStatuses") or []:
                started_at = (status.get("state") or {}).get("running", {}).get("startedAt", moment)
                status.update(
                    {
                        "ready": False,
                        "started": False,
                        "state": {
                            "terminated": {
                                "exitCode": code,
                                "reason": "Error" if failed else "Completed",
                                "startedAt": started_at,
                                "finishedAt": moment,
                                "containerID": status.get("containerID"),
                            }
                        },
                    }
                )

        self.cluster.write_status(self._type("/pods"), pod, finish)

    def pod_log(self, pod: dict[str, Any]) -> str:
        if (pod.get("status") or {}).get("phase") not in ("Running", "Succeeded", "Failed"):
            return ""
        return str(self.behaviour(pod).get("log", ""))

    # -- Cluster API -----------------------------------------------------------------------

    def _capi_cluster(self, event: str, rtype: ResourceType, obj: dict[str, Any]) -> None:
        meta = obj["metadata"]
        key = f"{meta['namespace']}/{meta['name']}"
        if event == "DELETED":
            return
        if meta.get("deletionTimestamp"):
            if self._once("capi-delete", obj):
                self.cluster.write_status(
                    rtype, obj, lambda c: c.setdefault("status", {}).__setitem__("phase", "Deleting")
                )
                self.cluster.later(self.provision_delay_s / 2, lambda: self._capi_teardown(rtype, obj, key))
            return
        if CAPI_FINALIZER not in (meta.get("finalizers") or []):
            self.cluster.write_status(
                rtype, obj, lambda c: c["metadata"].setdefault("finalizers", []).append(CAPI_FINALIZER)
            )
        phase = (obj.get("status") or {}).get("phase")
        if phase in (None, "") and self._once("capi-pending", obj):
            self.cluster.later(0.05, lambda: self._capi_phase(rtype, obj, "Provisioning"))
        if phase in (None, "", "Pending", "Provisioning") and self._once("capi-provision", obj):
            self.cluster.later(self.provision_delay_s, lambda: self._capi_provisioned(rtype, obj, key))

    def _capi_phase(self, rtype: ResourceType, obj: dict[str, Any], phase: str) -> None:
        def change(c: dict[str, Any]) -> None:
            status = c.setdefault("status", {})
            if status.get("phase") != "Provisioned":
                status["phase"] = phase
                status.setdefault("observedGeneration", c["metadata"].get("generation", 1))

        self.cluster.write_status(rtype, obj, change)

    def _capi_provisioned(self, rtype: ResourceType, obj: dict[str, Any], key: str) -> None:
        meta = obj["metadata"]
        current = self.cluster.store.get(rtype.key, meta["namespace"], meta["name"])
        if current is None or current["metadata"].get("deletionTimestamp") or self.workloads is None:
            return
        version = ((current.get("spec") or {}).get("topology") or {}).get("version")
        kubeconfig, stop = self.workloads(meta["name"], version)
        self.running_workloads[key] = stop
        self.cluster.system_create(
            "/secrets",
            {
                "metadata": {
                    "name": f"{meta['name']}-kubeconfig",
                    "namespace": meta["namespace"],
                    "labels": {"cluster.x-k8s.io/cluster-name": meta["name"]},
                    "ownerReferences": [
                        {
                            "apiVersion": current["apiVersion"],
                            "kind": "Cluster",
                            "name": meta["name"],
                            "uid": meta["uid"],
                            "controller": True,
                        }
                    ],
                },
                "type": "cluster.x-k8s.io/secret",
                "data": {"value": base64.b64encode(kubeconfig.encode()).decode()},
            },
        )
        moment = rfc3339(now())

        def ready(c: dict[str, Any]) -> None:
            status = c.setdefault("status", {})
            status.update({"phase": "Provisioned", "observedGeneration": c["metadata"].get("generation", 1)})
            conditions = [
                {"type": t, "status": "True", "lastTransitionTime": moment, "reason": t}
                for t in ("Ready", "Available", "ControlPlaneReady", "InfrastructureReady", "ControlPlaneInitialized")
            ]
            status["conditions"] = conditions
            if c["apiVersion"].endswith("v1beta1"):
                status.update({"controlPlaneReady": True, "infrastructureReady": True})
            else:
                status["initialization"] = {"controlPlaneInitialized": True, "infrastructureProvisioned": True}

        self.cluster.write_status(rtype, current, ready)

    def _capi_teardown(self, rtype: ResourceType, obj: dict[str, Any], key: str) -> None:
        stop = self.running_workloads.pop(key, None)
        if stop is not None:
            stop()
        meta = obj["metadata"]
        secret = self.cluster.store.get("/secrets", meta["namespace"], f"{meta['name']}-kubeconfig")
        if secret is not None:
            self.cluster.delete(self._type("/secrets"), meta["namespace"], secret["metadata"]["name"])
        self.cluster.remove_finalizer(rtype, copy.deepcopy(obj), CAPI_FINALIZER)

    def stop_workloads(self) -> None:
        for stop in self.running_workloads.values():
            stop()
        self.running_workloads.clear()
