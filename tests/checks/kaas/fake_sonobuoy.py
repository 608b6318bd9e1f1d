"""A stand-in for the `sonobuoy` binary (which cannot be installed here), for tests only.

It speaks the part of Sonobuoy's CLI the checks use (`delete --wait`, `run --wait`, `retrieve DIR -x`,
global `--kubeconfig`, `--context`, `--namespace`) and does what Sonobuoy does on the cluster, through
the official Python client: `run` creates the namespace and the e2e plugin pod (the conformance image
of the server's version, with E2E_FOCUS/E2E_PARALLEL/E2E_EXTRA_ARGS as Sonobuoy sets them) and waits on
the watch until it ends; `retrieve` writes a result tarball in Sonobuoy's layout (plugins/e2e/
sonobuoy_results.yaml, results/global/junit_01.xml, meta/) built from the pod's e2e log, and unpacks it.

FAKE_SONOBUOY_RESULTS=DIR makes `retrieve` return a recorded archive tree instead; FAKE_SONOBUOY_LOG=FILE
records every invocation (one JSON argv per line); FAKE_SONOBUOY_FAIL=run makes `run` exit 1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import re
import shutil
import sys
import tarfile
import uuid
from pathlib import Path

import kubernetes
import yaml
from kubernetes import client, watch
from kubernetes.client.exceptions import ApiException

CONFORMANCE_FOCUS = r"\[Conformance\]"


def main(argv: list[str]) -> int:
    if os.environ.get("FAKE_SONOBUOY_LOG"):
        with open(os.environ["FAKE_SONOBUOY_LOG"], "a", encoding="utf-8") as log:
            log.write(json.dumps(argv) + "\n")
    parser = argparse.ArgumentParser(prog="sonobuoy")
    parser.add_argument("command", choices=["run", "delete", "retrieve", "version"])
    parser.add_argument("path", nargs="?")
    parser.add_argument("--kubeconfig")
    parser.add_argument("--context")
    parser.add_argument("--namespace", "-n", default="sonobuoy")
    parser.add_argument("--wait", action="store_true")
    parser.add_argument("--mode")
    parser.add_argument("--e2e-focus")
    parser.add_argument("--e2e-skip")
    parser.add_argument("--e2e-parallel")
    parser.add_argument("--plugin-env", action="append", default=[])
    parser.add_argument("--timeout", type=int, default=21600)
    parser.add_argument("-x", "--extract", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "version":
        print("Sonobuoy Version: v0.57.3 (fake for tests)")
        return 0
    kubernetes.config.load_kube_config(config_file=args.kubeconfig, context=args.context, persist_config=False)
    core = client.CoreV1Api()
    if args.command == "delete":
        return delete(core, args.namespace, args.wait)
    if args.command == "run":
        if os.environ.get("FAKE_SONOBUOY_FAIL") == "run":
            print("ERROR: could not create the sonobuoy aggregator: admission webhook denied", file=sys.stderr)
            return 1
        return run(core, args)
    return retrieve(core, args)


def delete(core: client.CoreV1Api, namespace: str, wait: bool) -> int:
    try:
        core.delete_namespace(namespace)
    except ApiException as error:
        if error.status == 404:
            return 0
        raise
    if wait:
        stream = watch.Watch()
        for event in stream.stream(
            core.list_namespace, field_selector=f"metadata.name={namespace}", timeout_seconds=60
        ):
            if event["type"] == "DELETED":
                stream.stop()
    print(f"namespace {namespace} deleted")
    return 0


def run(core: client.CoreV1Api, args: argparse.Namespace) -> int:
    version = client.VersionApi().get_code().git_version
    env = {"E2E_FOCUS": "", "E2E_SKIP": r"\[Disruptive\]|NoExecuteTaintManager", "E2E_PARALLEL": "false"}
    if args.mode == "certified-conformance":
        env.update({"E2E_FOCUS": CONFORMANCE_FOCUS, "E2E_SKIP": ""})
    if args.e2e_focus:
        env["E2E_FOCUS"] = args.e2e_focus
    if args.e2e_parallel == "true":
        env["E2E_PARALLEL"] = "true"
    for item in args.plugin_env:
        key, _, value = item.partition("=")
        env[key.split(".", 1)[1]] = value
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=args.namespace)))
    name = f"sonobuoy-e2e-job-{uuid.uuid4().hex[:16]}"
    pod = client.V1Pod(
        metadata=client.V1ObjectMeta(name=name, labels={"sonobuoy-plugin": "e2e", "component": "sonobuoy"}),
        spec=client.V1PodSpec(
            restart_policy="Never",
            containers=[
                client.V1Container(
                    name="e2e",
                    image=f"registry.k8s.io/conformance:{version}",
                    env=[client.V1EnvVar(name=k, value=v) for k, v in sorted(env.items())],
                )
            ],
        ),
    )
    core.create_namespaced_pod(args.namespace, pod)
    print(f"Running plugins: e2e ({name})")
    if not args.wait:
        return 0
    stream = watch.Watch()
    phase = "Pending"
    for event in stream.stream(
        core.list_namespaced_pod, args.namespace, field_selector=f"metadata.name={name}", timeout_seconds=args.timeout
    ):
        phase = event["object"].status.phase
        if phase in ("Succeeded", "Failed"):
            stream.stop()
    if phase not in ("Succeeded", "Failed"):
        core.create_namespaced_config_map(
            args.namespace,
            client.V1ConfigMap(metadata=client.V1ObjectMeta(name="sonobuoy-timeout"), data={"plugin": "e2e"}),
        )
    print("Sonobuoy has completed. Use `sonobuoy retrieve` to get results.")
    return 0


def results_from_log(log: str) -> dict[str, object]:
    """Sonobuoy's processed results for the e2e plugin, from the ginkgo summary in the log."""
    failed_names = re.findall(r"^\[FAIL\] (.+)$", log, re.M)
    summary = re.search(r"(\d+) Passed \| (\d+) Failed \| (\d+) Pending \| (\d+) Skipped", log)
    passed, failed, skipped = (
        (int(summary.group(1)), int(summary.group(2)), int(summary.group(4))) if summary else (0, 0, 0)
    )
    cases = [{"name": f"[sig-e2e] spec {i} passes", "status": "passed"} for i in range(passed)]
    names = failed_names + [f"[sig-e2e] failing spec {i}" for i in range(failed - len(failed_names))]
    cases += [
        {"name": n, "status": "failed", "details": {"failure": "expected success"}}
        for n in names[: max(failed, len(failed_names))]
    ]
    cases += [{"name": f"[sig-e2e] skipped spec {i}", "status": "skipped"} for i in range(min(skipped, 20))]
    status = "failed" if any(c["status"] == "failed" for c in cases) else "passed"
    return {
        "name": "e2e",
        "status": status,
        "meta": {"type": "summary"},
        "items": [
            {
                "name": "junit_01.xml",
                "status": status,
                "meta": {"file": "results/global/junit_01.xml"},
                "items": [{"name": "Kubernetes e2e suite", "status": status, "items": cases}],
            }
        ],
    }


def timed_out() -> dict[str, object]:
    message = (
        "Plugin timeout while waiting for results so there are no results to report. Check pod logs or other "
        "cluster details for more information as to why this occurred."
    )
    return {
        "name": "e2e",
        "status": "failed",
        "meta": {"type": "summary"},
        "items": [
            {
                "name": "error.json",
                "status": "failed",
                "meta": {"file": "errors/global/error.json"},
                "details": {"error": message},
            }
        ],
    }


def retrieve(core: client.CoreV1Api, args: argparse.Namespace) -> int:
    target = Path(args.path or ".")
    target.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M")
    archive = target / f"{stamp}_sonobuoy_{uuid.uuid4()}.tar.gz"
    recorded = os.environ.get("FAKE_SONOBUOY_RESULTS")
    with tarfile.open(archive, "w:gz") as tar:
        if recorded:
            tar.add(recorded, arcname=".")
        else:
            pods = core.list_namespaced_pod(args.namespace, label_selector="sonobuoy-plugin=e2e").items
            if not pods:
                print(f"error retrieving results: no sonobuoy run in namespace {args.namespace}", file=sys.stderr)
                return 1
            pod = pods[0]
            log = core.read_namespaced_pod_log(pod.metadata.name, args.namespace)
            try:
                core.read_namespaced_config_map("sonobuoy-timeout", args.namespace)
                results = timed_out()
            except ApiException:
                results = results_from_log(log)
            files = {
                "plugins/e2e/sonobuoy_results.yaml": yaml.safe_dump(results, sort_keys=False),
                "plugins/e2e/results/global/e2e.log": log,
                "meta/info.json": json.dumps({"pluginNames": ["e2e"], "sonobuoyVersion": "v0.57.3"}),
                "meta/run.log": f'time="{stamp}" level=info msg="Starting server Expected Results: [{{e2e global}}]"\n',
            }
            for name, text in files.items():
                data = text.encode()
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    if args.extract:
        with tarfile.open(archive) as tar:
            tar.extractall(target, filter="data")
        archive.unlink()
    else:
        print(archive)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except ApiException as error:
        print(f"error: {error.status} {error.reason}", file=sys.stderr)
        sys.exit(1)
    finally:
        shutil.rmtree(Path(os.environ.get("TMPDIR", "/nonexistent")) / ".fake-sonobuoy", ignore_errors=True)
