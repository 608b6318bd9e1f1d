"""The REST layer: URL -> resource type and verb, authentication, RBAC, content negotiation,
list/watch/get/create/update/patch/delete, Tables for kubectl, subresources.

URLs follow the API server: `/api/v1/namespaces/{ns}/pods/{name}/log`,
`/apis/storage.k8s.io/v1/storageclasses`, ... A request is first turned into `Target`
(what it addresses) and RBAC `Attributes` (what it does), then into one handler call.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import json
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import yaml
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse

from . import _discovery, _openapi, _protobuf, _tables
from ._auth import Attributes, User, authorize, forbidden_message
from ._cluster import Cluster, WriteOptions
from ._controllers import Controllers
from ._errors import ApiError, bad_request, not_found
from ._patch import json_patch, merge_patch, strategic_merge
from ._resources import ResourceType
from ._selectors import field_matcher, label_matcher
from ._store import TooOld

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 3 * 1024 * 1024  # the API server's limit for one request body
JSON = "application/json"
PROTOBUF = "application/vnd.kubernetes.protobuf"
HEALTH_PATHS = ("/healthz", "/livez", "/readyz")
PATCH_TYPES = {
    "application/json-patch+json": "json",
    "application/merge-patch+json": "merge",
    "application/strategic-merge-patch+json": "strategic",
    "application/apply-patch+yaml": "apply",
}


@dataclass(frozen=True)
class Target:
    rtype: ResourceType
    namespace: str  # "" for cluster-scoped resources and all-namespace lists
    name: str = ""
    subresource: str = ""


def json_response(
    body: Any, status: int = 200, headers: dict[str, str] | None = None, media_type: str = JSON
) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status_code=status, headers=headers, media_type=media_type)


def error_response(error: ApiError) -> Response:
    return json_response(error.status(), error.code, error.headers or None)


class Api:
    def __init__(self, cluster: Cluster, controllers: Controllers) -> None:
        self.cluster = cluster
        self.controllers = controllers
        self._openapi_cache: tuple[int, dict[str, dict[str, Any]]] | None = None

    # -- entry -----------------------------------------------------------------------------

    def fault_area(self, path: str) -> str | None:
        """What faults apply to (a resource plural or `discovery`); None for health endpoints."""
        if path.startswith(HEALTH_PATHS):
            return None
        parts = [p for p in path.split("/") if p]
        if parts[:1] == ["api"] and len(parts) > 2:
            rest = parts[2:]
        elif parts[:1] == ["apis"] and len(parts) > 3:
            rest = parts[3:]
        else:
            return "discovery"
        return rest[2] if len(rest) >= 3 and rest[0] == "namespaces" else rest[0]

    async def handle(self, request: Request) -> Response:
        path = request.url.path.rstrip("/") or "/"
        try:
            if path.startswith(HEALTH_PATHS):
                return PlainTextResponse("ok")
            header = request.headers.get("authorization")
            user = self.cluster.auth.authenticate(header)
            if user is None and (header or path != "/version"):
                raise ApiError(401, "Unauthorized")
            if path == "/version":
                return json_response(_discovery.version_info(self.cluster.profile["version"]))
            assert user is not None
            return await self._route(request, path, user)
        except ApiError as error:
            return error_response(error)
        except Exception as error:  # a bug here must still look like an API server error
            log.exception("unexpected error serving %s %s", request.method, path)
            return error_response(ApiError(500, f"Internal error occurred: {type(error).__name__}: {error}"))

    def _require(self, user: User, attributes: Attributes) -> None:
        if not authorize(self.cluster.store, user, attributes):
            raise ApiError(
                403,
                forbidden_message(user, attributes),
                name=attributes.name or None,
                group=attributes.group,
                kind=attributes.resource or None,
            )

    async def _route(self, request: Request, path: str, user: User) -> Response:
        parts = [p for p in path.split("/") if p]
        types = list(self.cluster.types.values())
        if (
            (parts and parts[0] == "openapi")
            or parts in (["api"], ["apis"])
            or (parts[:1] == ["api"] and len(parts) == 2)
            or (parts[:1] == ["apis"] and len(parts) in (2, 3))
        ):
            if request.method != "GET":
                raise ApiError(405, "the server does not allow this method on the requested resource")
            self._require(user, Attributes("get", path=path))
            return self._discovery(request, parts, types)
        if parts[:3] == ["api", "v1", "nodes"] and len(parts) >= 5 and parts[4] == "proxy":
            return self._node_proxy(request, user, parts[3], "/".join(parts[5:]))
        if parts[:1] == ["api"] and len(parts) > 2:
            group, version, rest = "", parts[1], parts[2:]
        elif parts[:1] == ["apis"] and len(parts) > 3:
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise not_found_path()
        target = self._target(group, version, rest)
        return await self._resource(request, target, user)

    def _target(self, group: str, version: str, rest: list[str]) -> Target:
        lookup = self.cluster.resource_type
        if (
            len(rest) >= 3
            and rest[0] == "namespaces"
            and (rtype := lookup(group, version, rest[2]))
            and rtype.namespaced
        ):
            if len(rest) > 5:
                raise not_found_path()
            return Target(rtype, rest[1], rest[3] if len(rest) > 3 else "", rest[4] if len(rest) > 4 else "")
        rtype = lookup(group, version, rest[0])
        if rtype is None or len(rest) > 3:
            raise not_found_path()
        if rtype.namespaced and len(rest) > 1:
            raise not_found_path()
        return Target(rtype, "", rest[1] if len(rest) > 1 else "", rest[2] if len(rest) > 2 else "")

    def _node_proxy(self, request: Request, user: User, node: str, path: str) -> Response:
        """`/api/v1/nodes/<node>/proxy/<path>`: the API server proxies to the kubelet; only `configz` is simulated."""
        self._require(
            user,
            Attributes(request.method.lower() if request.method != "GET" else "get", "", "nodes", "proxy", "", node),
        )
        found = self.cluster.store.get("/nodes", "", node)
        if found is None:
            raise not_found("nodes", "", node)
        if request.method != "GET" or path != "configz":
            raise ApiError(404, f"the simulated kubelet of {node} serves only /configz, not /{path}", "NotFound")
        return json_response({"kubeletconfig": kubelet_configuration(self.cluster.profile, node)})

    # -- discovery and OpenAPI ---------------------------------------------------------------

    def _discovery(self, request: Request, parts: list[str], types: list[ResourceType]) -> Response:
        accept = request.headers.get("accept", "")
        if parts[0] == "openapi":
            return self._openapi(parts)
        if len(parts) == 1:
            if "as=APIGroupDiscoveryList" in accept and "v=v2" in accept:
                document = _discovery.aggregated(types, core=parts[0] == "api")
                return json_response(document, media_type=_discovery.AGGREGATED_V2)
            if parts[0] == "api":
                return json_response(_discovery.api_versions(f"{request.url.hostname}:{request.url.port}"))
            return json_response(_discovery.api_group_list(types))
        if parts[0] == "api":
            found = _discovery.resource_list(types, "", parts[1])
        elif len(parts) == 2:
            found = _discovery.api_group(types, parts[1])
        else:
            found = _discovery.resource_list(types, parts[1], parts[2])
        if found is None:
            raise not_found_path()
        return json_response(found)

    def _openapi_documents(self) -> dict[str, dict[str, Any]]:
        generation = self.cluster.discovery_generation
        if self._openapi_cache is None or self._openapi_cache[0] != generation:
            by_gv: dict[str, list[ResourceType]] = {}
            for rtype in self.cluster.types.values():
                by_gv.setdefault(_openapi.gv_path(rtype), []).append(rtype)
            documents = {
                gv: _openapi.group_version_document(rtypes[0].group, rtypes[0].version, rtypes)
                for gv, rtypes in sorted(by_gv.items())
            }
            self._openapi_cache = (generation, documents)
        return self._openapi_cache[1]

    def _openapi(self, parts: list[str]) -> Response:
        if parts[:2] != ["openapi", "v3"]:
            raise not_found_path()
        documents = self._openapi_documents()
        if len(parts) == 2:
            index = {
                gv: {"serverRelativeURL": f"/openapi/v3/{gv}?hash={_openapi.document_hash(doc)}"}
                for gv, doc in documents.items()
            }
            return json_response({"paths": index})
        document = documents.get("/".join(parts[2:]))
        if document is None:
            raise not_found_path()
        return json_response(
            document,
            headers={"Cache-Control": "public, immutable", "Etag": f'"{_openapi.document_hash(document)[:32]}"'},
        )

    # -- resources ---------------------------------------------------------------------------

    async def _resource(self, request: Request, target: Target, user: User) -> Response:
        rtype = target.rtype
        method = request.method
        query = {k: v[-1] for k, v in parse_qs(request.url.query, keep_blank_values=True).items()}
        watching = query.get("watch") in ("true", "1")
        if target.subresource and target.subresource not in rtype.subresources:
            raise not_found_path()
        verb = {
            ("GET", False): "watch" if watching else "list",
            ("GET", True): "get",
            ("POST", False): "create",
            ("PUT", True): "update",
            ("PATCH", True): "patch",
            ("DELETE", True): "delete",
            ("DELETE", False): "deletecollection",
        }.get((method, bool(target.name)))
        if rtype.key == "authorization.k8s.io/selfsubjectaccessreviews" and method == "POST":
            verb = "create"
        if verb is None or (verb not in rtype.verbs and not target.subresource):
            raise ApiError(405, "the server does not allow this method on the requested resource", "MethodNotAllowed")
        attributes = Attributes(verb, rtype.group, rtype.plural, target.subresource, target.namespace, target.name)
        if rtype.key != "authorization.k8s.io/selfsubjectaccessreviews":
            self._require(user, attributes)
        if verb in ("list", "watch"):
            return await self._list(request, target, query, watching)
        if verb == "get":
            return self._get(request, target, query)
        options = WriteOptions(
            dry_run=query.get("dryRun") == "All",
            field_validation=query.get("fieldValidation") or "Warn",
        )
        if options.field_validation not in ("Strict", "Warn", "Ignore"):
            raise bad_request(f"fieldValidation must be one of Strict, Warn, Ignore, not {options.field_validation!r}")
        if verb == "create":
            body = await self._body(request)
            if rtype.key == "authorization.k8s.io/selfsubjectaccessreviews":
                return self._access_review(body, user)
            created = self.cluster.create(rtype, target.namespace, body, options)
            return self._object(rtype, created, 201, options)
        if verb == "update":
            body = await self._body(request)
            updated = self.cluster.replace(rtype, target.namespace, target.name, body, options, target.subresource)
            return self._object(rtype, updated, 200, options)
        if verb == "patch":
            return await self._patch(request, target, query, options)
        if verb == "delete":
            delete_options = await self._delete_options(request, query)
            deleted = self.cluster.delete(rtype, target.namespace, target.name, delete_options)
            return self._object(rtype, deleted, 200, options)
        return self._delete_collection(request, target, query)

    async def _body(self, request: Request, patch: bool = False) -> Any:
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            raise ApiError(413, "Request entity too large: limit is 3145728")
        content_type = (request.headers.get("content-type") or JSON).split(";")[0].strip().lower()
        if content_type == PROTOBUF and not patch:
            return self._protobuf_body(raw)
        if not patch and content_type not in (JSON, "application/yaml", "*/*"):
            raise ApiError(
                415,
                f"the body of the request was in an unknown format - accepted media types include: {JSON}, application/yaml",
            )
        try:
            if content_type in ("application/yaml", "application/apply-patch+yaml"):
                return yaml.safe_load(raw.decode("utf-8"))
            return json.loads(raw or b"null")
        except (ValueError, yaml.YAMLError) as error:
            raise bad_request(f"the request body could not be decoded: {error}") from None

    def _protobuf_body(self, raw: bytes) -> Any:
        try:
            return _protobuf.to_json(raw)
        except (_protobuf.ProtobufError, UnicodeDecodeError) as error:
            raise ApiError(
                415,
                f"the body of the request was in an unknown format - accepted media types include: {JSON}, "
                f"application/yaml ({error})",
            ) from None

    def _version_view(self, rtype: ResourceType, obj: dict[str, Any], in_list: bool = False) -> dict[str, Any]:
        """The object as this version presents it (custom resources are stored once for all versions)."""
        if rtype.model is None:
            if obj.get("apiVersion") != rtype.group_version:
                obj = {**obj, "apiVersion": rtype.group_version}
            return obj
        if in_list:
            return {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
        return obj

    def _object(
        self, rtype: ResourceType, obj: dict[str, Any], status: int, options: WriteOptions | None = None
    ) -> Response:
        headers = {}
        if options and options.warnings:
            headers["Warning"] = ", ".join('299 - "' + w.replace('"', '\\"') + '"' for w in options.warnings[:20])
        return json_response(self._version_view(rtype, obj), status, headers or None)

    def _table_requested(self, request: Request) -> bool:
        accept = request.headers.get("accept", "")
        first = accept.split(",")[0]
        return "as=Table" in first and "g=meta.k8s.io" in first

    def _get(self, request: Request, target: Target, query: dict[str, str]) -> Response:
        rtype = target.rtype
        obj = self.cluster.current(rtype, target.namespace, target.name)
        if target.subresource == "log":
            return self._log(obj, query)
        obj = self._version_view(rtype, obj)
        if self._table_requested(request):
            revision = obj["metadata"]["resourceVersion"]
            return json_response(_tables.table(rtype, [obj], revision, query.get("includeObject", "Metadata")))
        return json_response(obj)

    def _log(self, pod: dict[str, Any], query: dict[str, str]) -> Response:
        phase = (pod.get("status") or {}).get("phase")
        containers = [c["name"] for c in (pod.get("spec") or {}).get("containers") or []]
        name = query.get("container") or containers[0]
        if name not in containers:
            raise bad_request(f"container {name} is not valid for pod {pod['metadata']['name']}")
        if phase not in ("Running", "Succeeded", "Failed"):
            reason = "ContainerCreating" if (pod.get("spec") or {}).get("nodeName") else "PodScheduling"
            raise bad_request(f'container "{name}" in pod "{pod["metadata"]["name"]}" is waiting to start: {reason}')
        text = self.controllers.pod_log(pod)
        if query.get("tailLines", "").isdigit():
            lines = text.splitlines(keepends=True)
            text = "".join(lines[-int(query["tailLines"]) :]) if int(query["tailLines"]) else ""
        return PlainTextResponse(text)

    def _selected(self, target: Target, query: dict[str, str]) -> list[dict[str, Any]]:
        labels = label_matcher(query.get("labelSelector"))
        fields = field_matcher(query.get("fieldSelector"), target.rtype.plural)
        namespace = target.namespace if target.rtype.namespaced and target.namespace else None
        return [o for o in self.cluster.store.list(target.rtype.key, namespace) if labels(o) and fields(o)]

    async def _list(self, request: Request, target: Target, query: dict[str, str], watching: bool) -> Response:
        rtype = target.rtype
        labels = label_matcher(query.get("labelSelector"))
        fields = field_matcher(query.get("fieldSelector"), rtype.plural)
        if watching:
            return self._watch(request, target, query, labels, fields)
        items = self._selected(target, query)
        revision = str(self.cluster.store.revision)
        list_meta: dict[str, Any] = {"resourceVersion": revision}
        limit = int(query["limit"]) if query.get("limit", "").isdigit() and int(query["limit"]) > 0 else 0
        start = 0
        if query.get("continue"):
            try:
                start = int(json.loads(base64.urlsafe_b64decode(query["continue"]))["start"])
            except (ValueError, KeyError, TypeError):
                raise ApiError(
                    410,
                    "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
                    "Expired",
                ) from None
        if limit:
            page = items[start : start + limit]
            if start + limit < len(items):
                token = base64.urlsafe_b64encode(json.dumps({"start": start + limit}).encode()).decode()
                list_meta.update({"continue": token, "remainingItemCount": len(items) - start - limit})
            items = page
        views = [self._version_view(rtype, o) for o in items]
        if self._table_requested(request):
            table = _tables.table(rtype, views, revision, query.get("includeObject", "Metadata"))
            table["metadata"] = list_meta
            return json_response(table)
        return json_response(
            {
                "kind": rtype.list_kind,
                "apiVersion": rtype.group_version,
                "metadata": list_meta,
                "items": [self._version_view(rtype, o, in_list=True) for o in items],
            }
        )

    def _watch(self, request: Request, target: Target, query: dict[str, str], labels: Any, fields: Any) -> Response:
        rtype = target.rtype
        store = self.cluster.store
        namespace = target.namespace if rtype.namespaced and target.namespace else None
        requested = query.get("resourceVersion") or ""
        initial = query.get("sendInitialEvents") == "true"
        since: int | None
        if requested in ("", "0") or initial:
            since = None
        elif requested.isdigit():
            since = int(requested)
        else:
            raise bad_request(f"invalid resource version {requested!r}")
        table = self._table_requested(request)
        include = query.get("includeObject", "Metadata")
        try:
            watcher = store.watch(rtype.key, namespace, since)
        except TooOld as error:
            status = ApiError(410, str(error), "Expired").status()
            return json_response({"type": "ERROR", "object": status})
        snapshot = [o for o in store.list(rtype.key, namespace) if labels(o) and fields(o)] if since is None else []
        bookmarks = query.get("allowWatchBookmarks") == "true"
        timeout = float(query["timeoutSeconds"]) if query.get("timeoutSeconds", "").isdigit() else 1800.0
        first = [True]

        def line(kind: str, obj: dict[str, Any]) -> bytes:
            view = self._version_view(rtype, obj)
            if table:
                view = _tables.table(rtype, [view], view["metadata"]["resourceVersion"], include, with_columns=first[0])
                first[0] = False
            return (json.dumps({"type": kind, "object": view}, separators=(",", ":")) + "\n").encode()

        async def events() -> AsyncIterator[bytes]:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            try:
                for obj in snapshot:
                    yield line("ADDED", obj)
                if initial and bookmarks:
                    mark = {
                        "kind": rtype.kind,
                        "apiVersion": rtype.group_version,
                        "metadata": {
                            "resourceVersion": str(store.revision),
                            "annotations": {"k8s.io/initial-events-end": "true"},
                        },
                    }
                    yield (json.dumps({"type": "BOOKMARK", "object": mark}) + "\n").encode()
                while True:
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        return
                    try:
                        change = await asyncio.wait_for(watcher.queue.get(), remaining)
                    except TimeoutError:
                        return
                    if change is None:
                        return
                    if labels(change.object) and fields(change.object):
                        yield line(change.type, change.object)
            finally:
                store.unwatch(watcher)

        return StreamingResponse(events(), media_type=JSON)

    async def _patch(self, request: Request, target: Target, query: dict[str, str], options: WriteOptions) -> Response:
        rtype = target.rtype
        content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
        kind = PATCH_TYPES.get(content_type)
        if kind is None or (kind == "strategic" and rtype.model is None):
            accepted = [t for t in PATCH_TYPES if rtype.model or "strategic" not in t]
            raise ApiError(
                415,
                f"the body of the request was in an unknown format - accepted media types include: {', '.join(accepted)}",
            )
        patch = await self._body(request, patch=True)
        if kind == "apply":
            if not query.get("fieldManager"):
                raise ApiError(
                    422,
                    'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
                    "Invalid",
                )
            existing = self.cluster.store.get(rtype.key, target.namespace if rtype.namespaced else "", target.name)
            if existing is None:
                if not isinstance(patch, dict):
                    raise bad_request("the apply configuration must be an object")
                patch.setdefault("metadata", {})["name"] = target.name
                created = self.cluster.create(rtype, target.namespace, patch, options)
                return self._object(rtype, created, 201, options)
        existing = copy.deepcopy(self.cluster.current(rtype, target.namespace, target.name))
        view = self._version_view(rtype, existing)
        if kind == "json":
            patched = json_patch(view, patch)
        elif not isinstance(patch, dict):
            raise bad_request("the patch must be a JSON object")
        elif kind == "merge":
            patched = merge_patch(view, patch)
        elif kind == "apply" and rtype.model is None:
            patched = merge_patch(view, _drop_nulls(patch))
        else:
            patched = strategic_merge(view, _drop_nulls(patch) if kind == "apply" else patch, rtype.model)
        if not isinstance(patched, dict):
            raise bad_request("the patched object is not an object")
        if patched == view:
            return self._object(rtype, existing, 200, options)
        updated = self.cluster.replace(rtype, target.namespace, target.name, patched, options, target.subresource)
        return self._object(rtype, updated, 200, options)

    async def _delete_options(self, request: Request, query: dict[str, str]) -> dict[str, Any]:
        raw = await request.body()
        options: dict[str, Any] = {}
        if raw.strip():
            try:
                loaded = json.loads(raw)
            except ValueError as error:
                raise bad_request(f"the DeleteOptions could not be decoded: {error}") from None
            if not isinstance(loaded, dict):
                raise bad_request("DeleteOptions must be an object")
            options = loaded
        if query.get("dryRun") == "All" or options.get("dryRun") == ["All"]:
            options["dryRun"] = True
        return options

    def _delete_collection(self, request: Request, target: Target, query: dict[str, str]) -> Response:
        rtype = target.rtype
        deleted = []
        for obj in self._selected(target, query):
            meta = obj["metadata"]
            with contextlib.suppress(ApiError):
                deleted.append(self.cluster.delete(rtype, meta.get("namespace", ""), meta["name"]))
        return json_response(
            {
                "kind": rtype.list_kind,
                "apiVersion": rtype.group_version,
                "metadata": {"resourceVersion": str(self.cluster.store.revision)},
                "items": [self._version_view(rtype, o, in_list=True) for o in deleted],
            }
        )

    def _access_review(self, body: Any, user: User) -> Response:
        if not isinstance(body, dict) or not isinstance(body.get("spec"), dict):
            raise bad_request("a SelfSubjectAccessReview needs a spec")
        spec = body["spec"]
        resource = spec.get("resourceAttributes") or {}
        non_resource = spec.get("nonResourceAttributes") or {}
        if resource:
            attributes = Attributes(
                str(resource.get("verb", "")),
                str(resource.get("group", "")),
                str(resource.get("resource", "")),
                str(resource.get("subresource", "")),
                str(resource.get("namespace", "")),
                str(resource.get("name", "")),
            )
        else:
            attributes = Attributes(str(non_resource.get("verb", "")), path=str(non_resource.get("path", "")))
        allowed = authorize(self.cluster.store, user, attributes)
        review = {
            "kind": "SelfSubjectAccessReview",
            "apiVersion": "authorization.k8s.io/v1",
            "metadata": {"creationTimestamp": None},
            "spec": spec,
            "status": {
                "allowed": allowed,
                **({"reason": "RBAC: allowed by the simulated cluster's bindings"} if allowed else {}),
            },
        }
        return json_response(review, 201)


#: A kubelet as kubeadm configures it (KubeletConfiguration v1beta1, the fields scs-0217 reads); profiles
#: override them under `kubelet:` (all nodes) or per node (`nodes[].kubelet`).
KUBELET_DEFAULTS: dict[str, Any] = {
    "kind": "KubeletConfiguration",
    "apiVersion": "kubelet.config.k8s.io/v1beta1",
    "port": 10250,
    "readOnlyPort": 0,
    "authentication": {
        "anonymous": {"enabled": False},
        "webhook": {"enabled": True, "cacheTTL": "2m0s"},
        "x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"},
    },
    "authorization": {"mode": "Webhook", "webhook": {"cacheAuthorizedTTL": "5m0s", "cacheUnauthorizedTTL": "30s"}},
    "cgroupDriver": "systemd",
    "clusterDNS": ["10.96.0.10"],
    "clusterDomain": "cluster.local",
    "rotateCertificates": True,
}


def kubelet_configuration(profile: dict[str, Any], node: str) -> dict[str, Any]:
    spec: dict[str, Any] = next((n for n in profile.get("nodes") or [] if n.get("name") == node), {})
    merged: dict[str, Any] = _merge(
        _merge(copy.deepcopy(KUBELET_DEFAULTS), profile.get("kubelet") or {}), spec.get("kubelet") or {}
    )
    return merged


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    for key, value in override.items():
        base[key] = (
            _merge(dict(base[key]), value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
        )
    return base


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nulls(v) for v in value]
    return value


def not_found_path() -> ApiError:
    return ApiError(404, "the server could not find the requested resource", "NotFound")


__all__ = ["Api", "Target", "error_response", "json_response", "not_found"]
