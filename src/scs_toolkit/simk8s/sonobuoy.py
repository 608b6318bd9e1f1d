"""A stand-in for the `sonobuoy` binary for simulated clusters (`python -m scs_toolkit.simk8s.sonobuoy`):
a real Sonobuoy's aggregator and plugin pods cannot run on a simulated cluster, whose pods only pretend.
The demo and the tests put it where the checks look for `sonobuoy`; against a real cluster use the real one.

It speaks the part of Sonobuoy's CLI the checks use (`delete --wait`, `run --wait`, `retrieve DIR -x`,
global `--kubeconfig`, `--context`, `--namespace`) and does what Sonobuoy does on the cluster, through
plain HTTPS requests with the kubeconfig's token and CA: `run` creates the namespace and the e2e plugin pod (the conformance image
of the server's version, with E2E_FOCUS/E2E_PARALLEL/E2E_EXTRA_ARGS as Sonobuoy sets them) and waits on
the watch until it ends; `retrieve` writes a result tarball in Sonobuoy's layout (plugins/e2e/
sonobuoy_results.yaml, results/global/junit_01.xml, meta/) built from the pod's e2e log, and unpacks it.

Test hooks: FAKE_SONOBUOY_RESULTS=DIR makes `retrieve` return a recorded archive tree instead; FAKE_SONOBUOY_LOG=FILE
records every invocation (one JSON argv per line); FAKE_SONOBUOY_FAIL=run makes `run` exit 1.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import io
import json
import os
import re
import ssl
import sys
import tarfile
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import yaml

CONFORMANCE_FOCUS = r"\[Conformance\]"


class ApiError(Exception):
    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"{status}: {body[:300]}")
        self.status = status


class Kube:
    """The bit of a Kubernetes client the fake needs (plain urllib: starts in milliseconds, unlike the official one)."""

    def __init__(self, kubeconfig: str | None, context: str | None) -> None:
        files = (kubeconfig or os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")).split(os.pathsep)
        config: dict[str, Any] = {"clusters": [], "users": [], "contexts": []}
        for name in files:
            if Path(name).is_file():
                loaded = yaml.safe_load(Path(name).read_text()) or {}
                for key in ("clusters", "users", "contexts"):
                    config[key] += loaded.get(key) or []
                config.setdefault("current-context", loaded.get("current-context"))
        wanted = context or config.get("current-context")
        ctx = next(c["context"] for c in config["contexts"] if c["name"] == wanted)
        cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == ctx["cluster"])
        user = next(u["user"] for u in config["users"] if u["name"] == ctx["user"])
        self.server = cluster["server"].rstrip("/")
        self.token = user.get("token", "")
        self.tls = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())

    def call(
        self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None, raw: bool = False
    ) -> Any:
        url = self.server + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", f"Bearer {self.token}")
        request.add_header("Content-Type", "application/json")
        try:
            response = urllib.request.urlopen(request, context=self.tls, timeout=120)
        except urllib.error.HTTPError as error:
            raise ApiError(error.code, error.read().decode()) from None
        if raw:
            return response
        text = response.read().decode()
        return json.loads(text) if text and text.lstrip().startswith("{") else text

    def wait(self, collection: str, name: str, done: Any, timeout: int, since: str = "") -> dict[str, Any] | None:
        """Watch `collection` for `name` (from revision `since`) until `done(object or None)`; None once deleted."""
        query = {"watch": "true", "fieldSelector": f"metadata.name={name}", "timeoutSeconds": str(timeout)}
        if since:
            query["resourceVersion"] = since
        with self.call("GET", collection, query=query, raw=True) as stream:
            for line in stream:
                event = json.loads(line)
                if event["type"] == "DELETED" and done(None):
                    return None
                if event["type"] in ("ADDED", "MODIFIED") and done(event["object"]):
                    return event["object"]  # type: ignore[no-any-return]
        return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
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
        print("Sonobuoy Version: v0.57.3 (scs-toolkit stand-in for simulated clusters)")
        return 0
    kube = Kube(args.kubeconfig, args.context)
    if args.command == "delete":
        return delete(kube, args.namespace, args.wait)
    if args.command == "run":
        if os.environ.get("FAKE_SONOBUOY_FAIL") == "run":
            print("ERROR: could not create the sonobuoy aggregator: admission webhook denied", file=sys.stderr)
            return 1
        return run(kube, args)
    return retrieve(kube, args)


def delete(kube: Kube, namespace: str, wait: bool) -> int:
    try:
        kube.call("DELETE", f"/api/v1/namespaces/{namespace}")
    except ApiError as error:
        if error.status == 404:
            return 0
        raise
    if wait:
        present = kube.call("GET", "/api/v1/namespaces", query={"fieldSelector": f"metadata.name={namespace}"})
        if present["items"]:  # watch from the list's revision: a deletion in between is not missed
            kube.wait(
                "/api/v1/namespaces", namespace, lambda ns: ns is None, 60, present["metadata"]["resourceVersion"]
            )
    print(f"namespace {namespace} deleted")
    return 0


def run(kube: Kube, args: argparse.Namespace) -> int:
    version = kube.call("GET", "/version")["gitVersion"]
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
    kube.call(
        "POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": args.namespace}}
    )
    name = f"sonobuoy-e2e-job-{uuid.uuid4().hex[:16]}"
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"sonobuoy-plugin": "e2e", "component": "sonobuoy"}},
        "spec": {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "e2e",
                    "image": f"registry.k8s.io/conformance:{version}",
                    "env": [{"name": k, "value": v} for k, v in sorted(env.items())],
                }
            ],
        },
    }
    kube.call("POST", f"/api/v1/namespaces/{args.namespace}/pods", pod)
    print(f"Running plugins: e2e ({name})")
    if not args.wait:
        return 0
    collection = f"/api/v1/namespaces/{args.namespace}/pods"
    finished = kube.wait(
        collection, name, lambda p: p is not None and p["status"].get("phase") in ("Succeeded", "Failed"), args.timeout
    )
    if finished is None:
        kube.call(
            "POST",
            f"/api/v1/namespaces/{args.namespace}/configmaps",
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "sonobuoy-timeout"},
                "data": {"plugin": "e2e"},
            },
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
    cases: list[dict[str, Any]] = [{"name": f"[sig-e2e] spec {i} passes", "status": "passed"} for i in range(passed)]
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


def retrieve(kube: Kube, args: argparse.Namespace) -> int:
    target = Path(args.path or ".")
    target.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M")
    archive = target / f"{stamp}_sonobuoy_{uuid.uuid4()}.tar.gz"
    recorded = os.environ.get("FAKE_SONOBUOY_RESULTS")
    with tarfile.open(archive, "w:gz") as tar:
        if recorded:
            tar.add(recorded, arcname=".")
        else:
            pods = kube.call(
                "GET", f"/api/v1/namespaces/{args.namespace}/pods", query={"labelSelector": "sonobuoy-plugin=e2e"}
            )["items"]
            if not pods:
                print(f"error retrieving results: no sonobuoy run in namespace {args.namespace}", file=sys.stderr)
                return 1
            log = kube.call("GET", f"/api/v1/namespaces/{args.namespace}/pods/{pods[0]['metadata']['name']}/log")
            try:
                kube.call("GET", f"/api/v1/namespaces/{args.namespace}/configmaps/sonobuoy-timeout")
                results = timed_out()
            except ApiError:
                results = results_from_log(str(log))
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
        sys.exit(main())
    except ApiError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
