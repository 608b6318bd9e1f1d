"""`clusterapi`: a Cluster resource rendered from a Jinja template onto a Cluster API management cluster
(as the official `clusterstacks` plugin does), waited on until Ready or Available, and the workload
kubeconfig taken from the Secret `<name>-kubeconfig` (key `value`).

Config: `templates.cluster` (Jinja, StrictUndefined), `templates.kubeconfig` (the management cluster's
kubeconfig; `context` picks one of its contexts), `namespace` (default: the context's), `kubernetesVersion`
(`'1.37'`), `vars`, `secrets`, `autoVars: clusterstacks` (the newest ready ClusterStackRelease of that
version gives `cs_class_name` and `cs_version`), `timeout_s` (default 1200). Waits are watches, not polls.
"""

from __future__ import annotations

import base64
import contextlib
from pathlib import Path
from typing import Any

import jinja2
import yaml

from ..collect import CloudError, KubeConnection, KubeSpec, connect_kube
from ..collect._k8s_api import api_status, create, delete, get, wait_for
from ..collect._kubernetes import describe, request, with_kube_retries
from ._config import ClustersFileError
from ._plugin import ClusterError, ClusterPlugin, register

CAPI_GROUP = "cluster.x-k8s.io"
DEFAULT_TIMEOUT_S = 1200.0


def ready(cluster: dict[str, Any] | None) -> bool:
    conditions = ((cluster or {}).get("status") or {}).get("conditions") or []
    return any(c.get("type") in ("Ready", "Available") and c.get("status") == "True" for c in conditions)


@register
class ClusterApiPlugin(ClusterPlugin):
    kind = "clusterapi"

    @property
    def timeout_s(self) -> float:
        return float(self.config.get("timeout_s") or DEFAULT_TIMEOUT_S)

    def _templates(self) -> dict[str, Any]:
        templates = self.config.get("templates")
        if not isinstance(templates, dict) or not templates.get("cluster") or not templates.get("kubeconfig"):
            raise ClustersFileError(
                f"cluster {self.cluster.id} (kind clusterapi): config.templates needs cluster and kubeconfig"
            )
        return templates

    def _management(self) -> KubeConnection:
        path = self.cluster.path(str(self._templates()["kubeconfig"]))
        try:
            return connect_kube(KubeSpec(str(path), self.config.get("context")))
        except CloudError as error:
            raise ClusterError(f"management cluster: {error.message}", error.hint) from None

    def _namespace(self, conn: KubeConnection) -> str:
        if self.config.get("namespace"):
            return str(self.config["namespace"])
        loader_namespace = None
        with contextlib.suppress(Exception):
            document = yaml.safe_load(Path(conn.kubeconfig.split(":")[0]).read_text())
            context = next(c for c in document["contexts"] if c["name"] == conn.context)
            loader_namespace = context["context"].get("namespace")
        return str(loader_namespace or "default")

    def render(self, conn: KubeConnection, namespace: str) -> dict[str, Any]:
        """The Cluster object the template makes with the config's variables (and autoVars)."""
        source = self.cluster.path(str(self._templates()["cluster"]))
        try:
            template = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False).from_string(
                source.read_text(encoding="utf-8")
            )
        except OSError as error:
            raise ClusterError(
                f"cannot read the cluster template {source}: {error.strerror}", "fix config.templates.cluster"
            ) from None
        except jinja2.TemplateSyntaxError as error:
            raise ClusterError(f"{source}:{error.lineno}: template syntax error: {error.message}") from None
        values: dict[str, Any] = {
            "name": self.cluster.name,
            "namespace": namespace,
            "kubernetes_version": self.config.get("kubernetesVersion"),
            **(self.config.get("vars") or {}),
            **(self.config.get("secrets") or {}),
        }
        if self.config.get("autoVars") == "clusterstacks":
            values.update(self._cluster_stack(conn, namespace))
        elif self.config.get("autoVars"):
            raise ClustersFileError(
                f"cluster {self.cluster.id}: unknown autoVars {self.config['autoVars']!r} (known: clusterstacks)"
            )
        try:
            rendered = template.render(**values)
        except jinja2.UndefinedError as error:
            raise ClusterError(f"{source}: {error.message}", "set it under config.vars or config.secrets") from None
        try:
            document = yaml.safe_load(rendered)
        except yaml.YAMLError as error:
            raise ClusterError(f"{source} does not render to YAML: {error}") from None
        api_version = str((document or {}).get("apiVersion", "")) if isinstance(document, dict) else ""
        if not api_version.startswith(f"{CAPI_GROUP}/") or document.get("kind") != "Cluster":
            raise ClusterError(
                f"{source} must render one {CAPI_GROUP} Cluster, not {api_version or '?'} {document.get('kind') if isinstance(document, dict) else ''}"
            )
        document.setdefault("metadata", {})["namespace"] = namespace
        document["metadata"].setdefault("name", self.cluster.name)
        return dict(document)

    def _cluster_stack(self, conn: KubeConnection, namespace: str) -> dict[str, str]:
        version = str(self.require("kubernetesVersion"))
        releases = request(
            conn, "GET", f"/apis/clusterstack.x-k8s.io/v1alpha1/namespaces/{namespace}/clusterstackreleases"
        )
        candidates = []
        for item in releases.get("items") or []:
            status = item.get("status") or {}
            found = str(status.get("kubernetesVersion", ""))
            if status.get("ready") and found.startswith(f"v{version}."):
                candidates.append((int(found.rsplit(".", 1)[1]), item["metadata"]["name"], found))
        if not candidates:
            raise ClusterError(f"no ready ClusterStackRelease for Kubernetes {version} in namespace {namespace}")
        _, name, found = max(candidates)
        return {"cs_class_name": name, "cs_version": version, "kubernetes_version": found}

    def _collection(self, document: dict[str, Any]) -> str:
        return f"/apis/{document['apiVersion']}/namespaces/{document['metadata']['namespace']}/clusters"

    def create(self) -> Path:
        conn = self._management()
        try:
            namespace = self._namespace(conn)
            document = self.render(conn, namespace)
            self.workdir.mkdir(parents=True, exist_ok=True)
            (self.workdir / "cluster.yaml").write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
            collection, name = self._collection(document), document["metadata"]["name"]
            self._create_or_adopt(conn, collection, document)
            self.say(f"waiting up to {self.timeout_s:.0f} s for Cluster {namespace}/{name} to be ready")
            try:
                wait_for(conn, collection, name, ready, self.timeout_s, f"Cluster {namespace}/{name}")
                secret = wait_for(
                    conn,
                    f"/api/v1/namespaces/{namespace}/secrets",
                    f"{name}-kubeconfig",
                    lambda s: s is not None and bool((s.get("data") or {}).get("value")),
                    self.timeout_s,
                    f"Secret {namespace}/{name}-kubeconfig",
                )
            except TimeoutError as error:
                raise ClusterError(str(error), "look at the Cluster's conditions: kubectl describe cluster") from None
            assert secret is not None
            return self.write_kubeconfig(base64.b64decode(secret["data"]["value"]))
        except ClusterError:
            raise
        except Exception as error:
            raise ClusterError(f"management cluster: {describe(error)}", _hint(error)) from None
        finally:
            conn.close()

    def _create_or_adopt(self, conn: KubeConnection, collection: str, document: dict[str, Any]) -> None:
        name = document["metadata"]["name"]
        try:
            with_kube_retries(lambda: request(conn, "POST", collection, body=document))
            self.say(f"created Cluster {document['metadata']['namespace']}/{name}")
            return
        except Exception as error:
            if api_status(error) != 409:
                raise
        existing = get(conn, f"{collection}/{name}") or {}
        phase = (existing.get("status") or {}).get("phase")
        if existing.get("metadata", {}).get("deletionTimestamp") or phase == "Deleting":
            raise ClusterError(
                f"Cluster {name} exists and is being deleted", "wait until it is gone, then create it again"
            )
        self.say(f"Cluster {name} exists already (phase {phase}): waiting for it")

    def delete(self) -> None:
        conn = self._management()
        try:
            namespace = self._namespace(conn)
            version = f"{CAPI_GROUP}/v1beta2"
            with contextlib.suppress(ClusterError, ClustersFileError):
                version = self.render(conn, namespace)["apiVersion"]  # the version the template creates
            collection = f"/apis/{version}/namespaces/{namespace}/clusters"
            if not delete(conn, f"{collection}/{self.cluster.name}"):
                self.say(f"Cluster {namespace}/{self.cluster.name} does not exist")
            else:
                self.say(f"deleting Cluster {namespace}/{self.cluster.name}")
                try:
                    wait_for(
                        conn,
                        collection,
                        self.cluster.name,
                        lambda c: c is None,
                        self.timeout_s,
                        f"Cluster {self.cluster.name}",
                        cancellable=False,
                    )
                except TimeoutError as error:
                    raise ClusterError(str(error), "look at the Cluster's status: kubectl describe cluster") from None
            self.kubeconfig.unlink(missing_ok=True)
        except ClusterError:
            raise
        except Exception as error:
            raise ClusterError(f"management cluster: {describe(error)}", _hint(error)) from None
        finally:
            conn.close()


def _hint(error: BaseException) -> str | None:
    if api_status(error) == 403:
        return "the management account needs to create/get/delete clusters.cluster.x-k8s.io and get secrets in the namespace"
    if api_status(error) == 404:
        return "is Cluster API installed on the management cluster (kubectl get crd clusters.cluster.x-k8s.io)?"
    return None


__all__ = ["ClusterApiPlugin", "create", "ready"]
