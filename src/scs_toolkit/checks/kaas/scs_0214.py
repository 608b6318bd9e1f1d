"""scs-0214-v2 node distribution, automated from node labels (informational: the official scope keeps
`node-distribution-check` manual, scs-0214-w1).

MUST: every node carries `topology.kubernetes.io/zone` and `topology.kubernetes.io/region`; the
control-plane nodes run on more than one physical machine (two zones prove that; otherwise the
`topology.scs.community/host-id` labels must name two hosts). SHOULD: control plane across zones;
RECOMMENDED: workers across zones (both reported, never failed). A control plane the API does not show
(hosted) or without host information cannot be judged: ABORT, to be confirmed by hand.
"""

from __future__ import annotations

from ...collect import KaasSnapshot
from ...collect._k8s_snapshot import HOST, REGION, ZONE, Node
from .._model import Finding, Outcome
from ._common import kaas_testcase

REMEDIATION = (
    "label every node with topology.kubernetes.io/zone and topology.kubernetes.io/region (the cloud controller "
    "manager does it), and run the control-plane nodes on different hosts, preferably in different zones"
)


def decide_node_distribution(nodes: tuple[Node, ...]) -> Outcome:
    findings = [
        Finding(node.name, f"label {label} missing", "set", "absent")
        for node in nodes
        for label in (ZONE, REGION)
        if not node.labels.get(label)
    ]
    if findings:
        return Outcome.failed("nodes lack the topology labels scs-0214-v2 requires", findings, REMEDIATION)
    control = [n for n in nodes if n.control_plane]
    workers = [n for n in nodes if not n.control_plane]
    worker_zones = sorted({n.labels[ZONE] for n in workers})
    worker_note = (
        f"workers in {len(worker_zones)} zone(s) ({', '.join(worker_zones)})" if workers else "no worker nodes"
    )
    if not control:
        return Outcome.aborted(
            f"no control-plane node is visible (a hosted control plane): confirm by hand that it runs on several "
            f"machines (scs-0214-w1); {worker_note}"
        )
    zones = sorted({n.labels[ZONE] for n in control})
    hosts = [n.labels.get(HOST) for n in control]
    if len(control) == 1:
        return Outcome.failed(
            f"one control-plane node ({control[0].name}): the control plane runs on one machine",
            [Finding(control[0].name, "single control-plane node", "several machines", "one")],
            REMEDIATION,
        )
    if len(zones) >= 2:
        return Outcome.passed(
            f"{len(control)} control-plane nodes in {len(zones)} zones ({', '.join(zones)}); {worker_note}"
        )
    if not all(hosts):
        return Outcome.aborted(
            f"the {len(control)} control-plane nodes share zone {zones[0]} and not all carry {HOST}: whether they run on "
            "different machines is not visible; confirm by hand"
        )
    distinct = sorted(set(h for h in hosts if h))
    if len(distinct) < 2:
        return Outcome.failed(
            f"the {len(control)} control-plane nodes run on one host ({distinct[0]}) in one zone ({zones[0]})",
            [
                Finding(n.name, "control plane on one machine", "several hosts", str(n.labels.get(HOST)))
                for n in control
            ],
            REMEDIATION,
        )
    return Outcome.passed(
        f"{len(control)} control-plane nodes on {len(distinct)} hosts, but all in zone {zones[0]} (several zones "
        f"are recommended); {worker_note}"
    )


@kaas_testcase(
    "node-distribution-check",
    "scs-0214-v2",
    "Nodes carry zone and region labels; the control plane runs on several machines (from node labels)",
    REMEDIATION,
    needs={"nodes"},
    informational=True,
    section="light",
)
def node_distribution(snapshot: KaasSnapshot) -> Outcome:
    assert snapshot.nodes is not None
    return decide_node_distribution(snapshot.nodes)
