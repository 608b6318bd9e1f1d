"""Which Kubernetes cluster, logging in to it, and one snapshot of what its API shows, the way kubectl does.

A cluster is a kubeconfig context: `--kubeconfig` (or `KUBECONFIG`, a ':'-separated list merged as kubectl
merges it; default `~/.kube/config`) and `--context` (default: the kubeconfig's current context). The
kubeconfig is only read, never written (no refreshed tokens persisted). Everything that can go wrong before
the first real request (no kubeconfig, an unknown context, an unreachable server, TLS, a refused or expired
token) becomes one `CloudError` with a line that says what happened and one that says what to do.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from ._k8s_snapshot import (
    DEFAULT_INGRESS_CLASS,
    ControlPlanePod,
    IngressClass,
    KaasSnapshot,
    Node,
    ServerVersion,
    StorageClass,
)
from ._login import CloudError
from ._retry import CANCEL, Cancelled

T = TypeVar("T")
DEFAULT_KUBECONFIG = "~/.kube/config"
#: Seconds one API request may take before it counts as a transient failure.
REQUEST_TIMEOUT_S = 30.0
DELAYS = (0.5, 1.0, 2.0, 4.0)
KAAS_PARTS = (
    "version",
    "nodes",
    "storage_classes",
    "api_groups",
    "ingress_classes",
    "apiserver_pods",
    "kubelet_configs",
)
_NOISY_LOGGERS = ("urllib3", "kubernetes")


@dataclass(frozen=True)
class KubeSpec:
    """A cluster as the user named it: the kubeconfig (file or ':'-list, None: KUBECONFIG or ~/.kube/config)
    and a context (None: the current one)."""

    kubeconfig: str | None = None
    context: str | None = None

    @property
    def files(self) -> str:
        """The kubeconfig value in force, kubectl's precedence: the option, then KUBECONFIG, then the default."""
        value = self.kubeconfig or os.environ.get("KUBECONFIG") or DEFAULT_KUBECONFIG
        return os.pathsep.join(str(Path(p).expanduser()) for p in value.split(os.pathsep) if p)

    @property
    def label(self) -> str:
        return self.context or "current-context"


@dataclass
class KubeConnection:
    """A logged-in client for one context, what probes and Sonobuoy need to reach the same cluster."""

    spec: KubeSpec
    context: str
    server: str
    api: Any  # kubernetes.client.ApiClient
    tls_verified: bool = True
    requests: list[int] = field(default_factory=lambda: [0])

    @property
    def kubeconfig(self) -> str:
        return self.spec.files

    def close(self) -> None:
        self.api.close()


def quiet_client_logs() -> None:
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def kube_contexts(spec: KubeSpec) -> tuple[list[str], str | None]:
    """The contexts of the kubeconfig and its current context; CloudError when it cannot be read."""
    loader = _loader(spec)
    contexts = [c["name"] for c in loader.list_contexts() if isinstance(c, dict) and c.get("name")]
    current = loader.current_context.get("name") if loader.current_context else None
    return contexts, current


def _loader(spec: KubeSpec, context: str | None = None) -> Any:
    from kubernetes.config import ConfigException, kube_config

    files = spec.files
    existing = [p for p in files.split(os.pathsep) if Path(p).is_file()]
    if not existing:
        raise CloudError(
            f"no kubeconfig found at {files}",
            "pass --kubeconfig FILE (or set KUBECONFIG) to the kubeconfig of the cluster to check",
        )
    try:
        merger = kube_config.KubeConfigMerger(  # type: ignore[no-untyped-call]
            os.pathsep.join(existing)
        )
        if merger.config is None:
            raise ConfigException("no configuration found")
        # kubectl: the first file that sets current-context wins (the Python client lets the last one win)
        first = next(
            (
                c.get("current-context")
                for c in merger.config_files.values()
                if isinstance(c, dict) and c.get("current-context")
            ),
            None,
        )
        if first:
            merger.config.value["current-context"] = first
        return kube_config.KubeConfigLoader(  # type: ignore[no-untyped-call]
            config_dict=merger.config, config_base_path=None, active_context=context, config_persister=None
        )
    except ConfigException as error:
        raise CloudError(
            f"cannot read the kubeconfig {files}: {_first_line(error)}", "check the file with `kubectl config view`"
        ) from None
    except Exception as error:  # a YAML error or a file that is no kubeconfig at all
        raise CloudError(
            f"cannot read the kubeconfig {files}: {type(error).__name__}: {_first_line(error)}",
            "check the file with `kubectl config view`",
        ) from None


def resolve_context(spec: KubeSpec) -> str:
    """The context this spec names (the current one when it names none); CloudError if there is none."""
    contexts, current = kube_contexts(spec)
    if spec.context is not None:
        if spec.context not in contexts:
            raise CloudError(
                f"context {spec.context!r} not found in the kubeconfig {spec.files}",
                f"contexts: {', '.join(contexts) or '(none)'}; list them with `kubectl config get-contexts`",
            )
        return spec.context
    if not current:
        raise CloudError(
            f"the kubeconfig {spec.files} has no current context",
            f"name one with --context (contexts: {', '.join(contexts) or '(none)'})",
        )
    return current


def connect_kube(spec: KubeSpec, timeout_s: float = REQUEST_TIMEOUT_S) -> KubeConnection:
    """A client for the context, after one authenticated request proved the server answers and accepts us."""
    from kubernetes import client
    from kubernetes.config import ConfigException

    quiet_client_logs()
    context = resolve_context(spec)
    loader = _loader(spec, context)
    configuration = client.Configuration()
    try:
        loader.load_and_set(configuration)
    except ConfigException as error:
        raise CloudError(
            f"context {context!r}: {_first_line(error)}", "check its cluster and user with `kubectl config view`"
        ) from None
    except Exception as error:  # e.g. an exec credential plugin that cannot run
        raise CloudError(
            f"context {context!r}: cannot load its credentials: {type(error).__name__}: {_first_line(error)}",
            "check its user entry with `kubectl config view` (exec plugins must be on PATH)",
        ) from None
    configuration.retries = False  # our own retries, with backoff and Retry-After
    api = client.ApiClient(configuration)
    connection = KubeConnection(spec, context, configuration.host, api, bool(configuration.verify_ssl))
    _count_requests(connection)
    try:
        with_kube_retries(lambda: request(connection, "GET", "/api", timeout_s=timeout_s), delays=(0.5, 1.0))
    except CloudError:
        api.close()  # type: ignore[no-untyped-call]
        raise
    except Exception as error:
        api.close()  # type: ignore[no-untyped-call]
        raise login_error(error, connection) from None
    return connection


def _count_requests(connection: KubeConnection) -> None:
    pool = connection.api.rest_client.pool_manager
    original = pool.request

    def counted(*args: Any, **kwargs: Any) -> Any:
        connection.requests[0] += 1
        return original(*args, **kwargs)

    pool.request = counted


def login_error(error: BaseException, connection: KubeConnection) -> CloudError:
    """One line for the first request's failure, and what to do about it."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError, SSLError

    where = f"the API server of context {connection.context!r} ({connection.server})"
    if isinstance(error, ApiException) and error.status == 0:  # the client's wrapping of a TLS failure
        return CloudError(
            f"{where}: TLS verification failed ({_first_line(Exception(error.reason or ''))})",
            "the kubeconfig's certificate-authority(-data) must be the CA of this server",
        )
    if isinstance(error, ApiException):
        if error.status == 401:
            return CloudError(
                f"{where} refused the credentials (401 Unauthorized): the token or certificate is wrong or expired",
                "get a fresh kubeconfig from your provider (or `kubectl config view` to see which user the context uses)",
            )
        if error.status == 403:
            return CloudError(
                f"{where}: the user may not read API discovery (403 Forbidden)",
                "use an account that may at least read the cluster (e.g. bound to the `view` ClusterRole)",
            )
        return CloudError(
            f"{where} answered {error.status} {error.reason or ''}".rstrip(), "try again later, or ask the provider"
        )
    if any(isinstance(e, SSLError) for e in _chain(error)) or "CERTIFICATE_VERIFY_FAILED" in str(error):
        return CloudError(
            f"{where}: TLS verification failed ({_first_line(error)})",
            "the kubeconfig's certificate-authority(-data) must be the CA of this server",
        )
    if isinstance(error, (HTTPError, OSError)):
        return CloudError(
            f"cannot reach {where}: {_network_reason(error)}",
            "is the cluster running and the server URL in the kubeconfig right? (`kubectl cluster-info`)",
        )
    return CloudError(f"{where}: {type(error).__name__}: {_first_line(error)}", "check the context with kubectl")


def _chain(error: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        reason = getattr(current, "reason", None)
        current = reason if isinstance(reason, BaseException) else (current.__cause__ or current.__context__)


def _network_reason(error: BaseException) -> str:
    for item in _chain(error):
        if isinstance(item, ConnectionRefusedError) or "Connection refused" in str(item):
            return "connection refused"
        if isinstance(item, TimeoutError) or "timed out" in str(item).lower():
            return "timed out"
    return _first_line(error)


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:300]


# -- requests with retries ----------------------------------------------------------------------


def transient(error: BaseException) -> bool:
    """5xx, 429 and connection failures are worth another try; 4xx verdicts are not."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError, SSLError

    if isinstance(error, ApiException):
        return error.status is not None and (error.status >= 500 or error.status == 429)
    if isinstance(error, SSLError):
        return False
    return isinstance(error, (HTTPError, ConnectionError, TimeoutError))


def retry_after(error: BaseException) -> float | None:
    headers = getattr(error, "headers", None) or {}
    value = headers.get("Retry-After") if hasattr(headers, "get") else None
    try:
        return min(float(value), 30.0) if value is not None else None
    except ValueError:
        return None


def with_kube_retries(
    fetch: Callable[[], T], delays: tuple[float, ...] = DELAYS, sleep: Callable[[float], None] = time.sleep
) -> T:
    """`fetch()`, again after each delay (or the server's Retry-After) while it fails transiently."""
    for delay in delays:
        try:
            return fetch()
        except Exception as error:
            if not transient(error):
                raise
            if CANCEL.is_set():
                raise Cancelled("interrupted while retrying a Kubernetes API request") from error
            sleep(retry_after(error) or delay)
    return fetch()


def send(
    connection: KubeConnection,
    method: str,
    path: str,
    body: Any = None,
    query: dict[str, Any] | list[tuple[str, Any]] | None = None,
    timeout_s: float = REQUEST_TIMEOUT_S,
) -> Any:
    """One request as the official client sends it (auth, TLS, proxy); the raw response, not yet read."""
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    params = list(query.items()) if isinstance(query, dict) else list(query or [])
    method, url, headers, body, post = connection.api.param_serialize(
        method=method,
        resource_path=path,
        query_params=params,
        header_params=headers,
        body=body,
        auth_settings=["BearerToken"],
    )
    return connection.api.call_api(
        method, url, header_params=headers, body=body, post_params=post, _request_timeout=timeout_s
    )


def request(
    connection: KubeConnection,
    method: str,
    path: str,
    body: Any = None,
    query: dict[str, Any] | None = None,
    timeout_s: float = REQUEST_TIMEOUT_S,
) -> Any:
    """One API request, decoded JSON (None for an empty body); ApiException for an error status."""
    import json

    from kubernetes.client.exceptions import ApiException

    response = send(connection, method, path, body, query, timeout_s)
    data = response.read()
    if not 200 <= response.status < 300:
        raise ApiException(http_resp=response)
    return json.loads(data) if data else None


# -- the snapshot ---------------------------------------------------------------------------------


def collect_kaas(connection: KubeConnection, parts: Iterable[str] | None = None) -> KaasSnapshot:
    """Fetch the requested parts (default: all) concurrently; a failed part is None with its reason in errors."""
    wanted = [
        p
        for p in KAAS_PARTS
        if parts is None or p in set(parts) or (p == "api_groups" and "api_resources" in set(parts))
    ]
    fetchers: dict[str, Callable[[], Any]] = {
        "version": lambda: _version(connection),
        "nodes": lambda: _nodes(connection),
        "storage_classes": lambda: _storage_classes(connection),
        "api_groups": lambda: _discovery(connection),
        "ingress_classes": lambda: _ingress_classes(connection),
        "apiserver_pods": lambda: _apiserver_pods(connection),
        "kubelet_configs": lambda: _kubelet_configs(connection),
    }
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}

    def fetch(part: str) -> None:
        try:
            values[part] = with_kube_retries(fetchers[part])
        except Cancelled as error:
            errors[part] = str(error)
        except Exception as error:
            errors[part] = describe(error)

    if CANCEL.is_set():
        errors.update({p: "interrupted before collecting" for p in wanted})
    else:
        with ThreadPoolExecutor(max_workers=max(1, len(wanted))) as pool:
            list(pool.map(fetch, wanted))
    if "api_groups" in errors:
        errors["api_resources"] = errors["api_groups"]
    groups = values.pop("api_groups", None)
    if groups is not None:
        values["api_groups"], values["api_resources"] = tuple(groups), MappingProxyType(dict(groups))
    return KaasSnapshot(
        taken_at=dt.datetime.now(dt.UTC),
        context=connection.context,
        server=connection.server,
        tls_verified=connection.tls_verified,
        errors=MappingProxyType(errors),
        **values,
    )


def describe(error: BaseException) -> str:
    """An API error as one line: the status and the server's message (a Status object's `message`)."""
    import json

    from kubernetes.client.exceptions import ApiException

    if isinstance(error, ApiException):
        message = error.reason or ""
        with contextlib.suppress(ValueError):
            message = json.loads(error.body or "{}").get("message") or message
        hint = " (the account lacks this permission)" if error.status == 403 else ""
        return f"HTTP {error.status}: {message}{hint}"
    return f"{type(error).__name__}: {_first_line(error)}"


def _version(connection: KubeConnection) -> ServerVersion:
    data = request(connection, "GET", "/version")
    return ServerVersion(
        str(data.get("gitVersion", "")),
        str(data.get("major", "")),
        str(data.get("minor", "")),
        str(data.get("platform", "")),
    )


def _items(connection: KubeConnection, path: str, query: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every item of a list, page by page (limit/continue), as kubectl reads long lists."""
    items: list[dict[str, Any]] = []
    token = None
    while True:
        params = {"limit": 500, **(query or {}), **({"continue": token} if token else {})}
        page = request(connection, "GET", path, query=params)
        items.extend(page.get("items") or [])
        token = (page.get("metadata") or {}).get("continue")
        if not token:
            return items


def _nodes(connection: KubeConnection) -> tuple[Node, ...]:
    nodes = []
    for item in _items(connection, "/api/v1/nodes"):
        status = item.get("status") or {}
        ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
        nodes.append(
            Node(
                item["metadata"]["name"],
                MappingProxyType(dict(item["metadata"].get("labels") or {})),
                ready,
                str((status.get("nodeInfo") or {}).get("kubeletVersion", "")),
            )
        )
    return tuple(nodes)


def _storage_classes(connection: KubeConnection) -> tuple[StorageClass, ...]:
    return tuple(
        StorageClass(
            item["metadata"]["name"],
            str(item.get("provisioner", "")),
            MappingProxyType(dict(item["metadata"].get("annotations") or {})),
            str(item.get("reclaimPolicy") or "Delete"),
            str(item.get("volumeBindingMode") or "Immediate"),
            bool(item.get("allowVolumeExpansion")),
        )
        for item in _items(connection, "/apis/storage.k8s.io/v1/storageclasses")
    )


def _discovery(connection: KubeConnection) -> dict[str, tuple[str, ...]]:
    """Group version -> served resource plurals (subresources left out)."""
    found: dict[str, tuple[str, ...]] = {}
    core = request(connection, "GET", "/api")
    group_versions = [(f"/api/{v}", v) for v in core.get("versions") or []]
    for group in request(connection, "GET", "/apis").get("groups") or []:
        for version in group.get("versions") or []:
            gv = version.get("groupVersion", "")
            group_versions.append((f"/apis/{gv}", gv))
    for path, gv in group_versions:
        listing = with_kube_retries(lambda path=path: request(connection, "GET", path))  # type: ignore[misc]
        found[gv] = tuple(r["name"] for r in listing.get("resources") or [] if "/" not in r.get("name", "/"))
    return found


def _ingress_classes(connection: KubeConnection) -> tuple[IngressClass, ...]:
    return tuple(
        IngressClass(
            item["metadata"]["name"],
            str((item.get("spec") or {}).get("controller", "")),
            (item["metadata"].get("annotations") or {}).get(DEFAULT_INGRESS_CLASS) == "true",
        )
        for item in _items(connection, "/apis/networking.k8s.io/v1/ingressclasses")
    )


def _apiserver_pods(connection: KubeConnection) -> tuple[ControlPlanePod, ...]:
    pods = _items(connection, "/api/v1/namespaces/kube-system/pods", {"labelSelector": "component=kube-apiserver"})
    result = []
    for pod in pods:
        containers = (pod.get("spec") or {}).get("containers") or []
        main = next((c for c in containers if c.get("name") == "kube-apiserver"), containers[0] if containers else {})
        command = [*(main.get("command") or []), *(main.get("args") or [])]
        result.append(
            ControlPlanePod(pod["metadata"]["name"], str((pod.get("spec") or {}).get("nodeName", "")), tuple(command))
        )
    return tuple(result)


def _kubelet_configs(connection: KubeConnection) -> MappingProxyType[str, Any]:
    names = [node["metadata"]["name"] for node in _items(connection, "/api/v1/nodes")]

    def configz(name: str) -> MappingProxyType[str, Any]:
        data = with_kube_retries(lambda: request(connection, "GET", f"/api/v1/nodes/{name}/proxy/configz"))
        return MappingProxyType(dict((data or {}).get("kubeletconfig") or {}))

    with ThreadPoolExecutor(max_workers=min(8, max(1, len(names)))) as pool:  # one request per node
        return MappingProxyType(dict(zip(names, pool.map(configz, names), strict=True)))
