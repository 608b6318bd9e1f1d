"""One simulated cluster: its objects, resource types, users, faults and controllers.

Every write, from a client or a controller, goes through `create`/`replace`/`delete` here:
normalize through the client model, admission (defaults, validation), store, then the
controllers react. Controllers run on the server's event loop (`later`), so status changes
reach watchers as events at the moment they happen, not when somebody polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from . import _admission
from ._auth import Authenticator
from ._errors import ApiError, already_exists, bad_request, conflict, invalid, not_found
from ._faults import FaultInjector
from ._models import normalize, rfc3339
from ._resources import ResourceType, builtin_types, crd_types
from ._store import Store, now

CRD_KEY = "apiextensions.k8s.io/customresourcedefinitions"
PROTECTED_NAMESPACES = frozenset({"default", "kube-system", "kube-public", "kube-node-lease"})


@dataclass
class WriteOptions:
    dry_run: bool = False
    field_validation: str = "Warn"  # Strict, Warn or Ignore
    warnings: list[str] = field(default_factory=list)


class Cluster:
    def __init__(self, profile: dict[str, Any], store: Store, faults: FaultInjector, auth: Authenticator) -> None:
        self.profile = profile
        self.name: str = profile["name"]
        self.store = store
        self.faults = faults
        self.auth = auth
        self.requests: Counter[tuple[str, str, int]] = Counter()
        self.loop: asyncio.AbstractEventLoop | None = None
        self._pending: list[tuple[float, Callable[[], None]]] = []
        self.listeners: list[Callable[[str, ResourceType, dict[str, Any]], None]] = []
        self.types: dict[tuple[str, str, str], ResourceType] = {}
        self.discovery_generation = 0
        self.refresh_types()

    # -- resource types --------------------------------------------------------------------

    def refresh_types(self) -> None:
        """Built-in types plus every established CRD's (after a CRD changes)."""
        types = {(t.group, t.version, t.plural): t for t in builtin_types()}
        for crd in self.store.list(CRD_KEY):
            if crd["metadata"].get("deletionTimestamp"):
                continue
            for rtype in crd_types(crd):
                types[(rtype.group, rtype.version, rtype.plural)] = rtype
        self.types = types
        self.discovery_generation += 1

    def resource_type(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self.types.get((group, version, plural))

    def type_for_key(self, key: str) -> ResourceType | None:
        return next((t for t in self.types.values() if t.key == key), None)

    def type_for_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        return next((t for t in self.types.values() if (t.group, t.version, t.kind) == (group, version, kind)), None)

    # -- scheduling on the event loop ------------------------------------------------------

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        pending, self._pending = self._pending, []
        for delay, action in pending:
            loop.call_soon_threadsafe(self._call_later, delay, action)

    def _call_later(self, delay: float, action: Callable[[], None]) -> None:
        assert self.loop is not None
        self.loop.call_later(delay, self._run, action)

    def later(self, delay: float, action: Callable[[], None]) -> None:
        """Run `action` on the loop after `delay` seconds (queued until the loop exists)."""
        if self.loop is None:
            self._pending.append((delay, action))
        elif _on_loop(self.loop):
            self.loop.call_later(delay, self._run, action)
        else:
            self.loop.call_soon_threadsafe(self._call_later, delay, action)

    def _run(self, action: Callable[[], None]) -> None:
        with contextlib.suppress(ApiError):  # the object changed or went away meanwhile: the next event reconciles
            action()
        self.store.save()

    def notify(self, event: str, rtype: ResourceType, obj: dict[str, Any]) -> None:
        for listener in self.listeners:
            listener(event, rtype, obj)

    # -- writes ----------------------------------------------------------------------------

    def _normalized(self, rtype: ResourceType, body: dict[str, Any], options: WriteOptions) -> dict[str, Any]:
        name = str((body.get("metadata") or {}).get("name") or "")
        if rtype.model is None:
            return copy.deepcopy(body)
        wire, problems = normalize(rtype.model, body)
        if problems.types:
            raise bad_request(
                f'{rtype.kind} in version "{rtype.version}" cannot be handled as a {rtype.kind}: '
                + "; ".join(problems.types)
            )
        if problems.invalid:
            raise invalid(rtype.kind, rtype.group, name, problems.invalid)
        if problems.unknown and options.field_validation != "Ignore":
            texts = [f'unknown field "{path}"' for path in problems.unknown]
            if options.field_validation == "Strict":
                prefix = f'{rtype.kind} in version "{rtype.version}" cannot be handled as a {rtype.kind}: '
                raise bad_request(prefix + "strict decoding error: " + ", ".join(texts))
            options.warnings.extend(texts)
        return wire

    def _check_envelope(self, rtype: ResourceType, body: Any, namespace: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise bad_request("the body of the request was not a JSON object")
        api_version, kind = body.get("apiVersion"), body.get("kind")
        if (kind and kind != rtype.kind) or (api_version and api_version != rtype.group_version):
            raise bad_request(
                f"the API version in the data ({api_version}) does not match the expected API version "
                f"({rtype.group_version})"
                if api_version != rtype.group_version
                else f"the kind in the data ({kind}) does not match the expected kind ({rtype.kind})"
            )
        body = copy.deepcopy(body)
        assert isinstance(body, dict)
        body["apiVersion"], body["kind"] = rtype.group_version, rtype.kind
        meta = body.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        if rtype.namespaced:
            if meta.get("namespace") and meta["namespace"] != namespace:
                raise bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        return body

    def create(
        self, rtype: ResourceType, namespace: str, body: Any, options: WriteOptions | None = None
    ) -> dict[str, Any]:
        options = options or WriteOptions()
        body = self._check_envelope(rtype, body, namespace)
        meta = body["metadata"]
        if not meta.get("name"):
            if meta.get("generateName"):
                meta["name"] = f"{meta['generateName']}{self.store.random_suffix()}"
            else:
                raise invalid(
                    rtype.kind,
                    rtype.group,
                    "",
                    [("metadata.name", "FieldValueRequired", "Required value: name or generateName is required")],
                )
        name = meta["name"]
        _admission.validate_name(rtype, name)
        if rtype.namespaced:
            self._require_namespace(namespace)
        if self.store.get(rtype.key, namespace, name) is not None:
            raise already_exists(rtype.plural, rtype.group, name)
        for server_field in (
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "deletionTimestamp",
            "generation",
            "selfLink",
        ):
            meta.pop(server_field, None)
        _admission.on_write(rtype, body)
        _admission.on_create(self.store, rtype, body)
        meta["uid"] = self.store.new_uid()
        meta["creationTimestamp"] = rfc3339(now())
        obj = self._normalized(rtype, body, options)
        if options.dry_run:
            return obj
        stored = self.store.create(rtype.key, obj)
        if rtype.key == CRD_KEY:
            self.refresh_types()
        self.notify("ADDED", rtype, stored)
        return copy.deepcopy(stored)

    def _require_namespace(self, namespace: str) -> None:
        found = self.store.get("/namespaces", "", namespace)
        if found is None:
            raise not_found("namespaces", "", namespace)
        if found["metadata"].get("deletionTimestamp"):
            raise ApiError(
                403,
                f"unable to create new content in namespace {namespace} because it is being terminated",
                name=namespace,
                kind="namespaces",
            )

    def current(self, rtype: ResourceType, namespace: str, name: str) -> dict[str, Any]:
        found = self.store.get(rtype.key, namespace if rtype.namespaced else "", name)
        if found is None:
            raise not_found(rtype.plural, rtype.group, name)
        return found

    def replace(
        self,
        rtype: ResourceType,
        namespace: str,
        name: str,
        body: Any,
        options: WriteOptions | None = None,
        subresource: str = "",
    ) -> dict[str, Any]:
        """PUT semantics: the whole object (or its status) replaced; resourceVersion precondition."""
        options = options or WriteOptions()
        existing = self.current(rtype, namespace, name)
        body = self._check_envelope(rtype, body, namespace if rtype.namespaced else "")
        meta = body["metadata"]
        if meta.get("name") and meta["name"] != name:
            raise bad_request(f"the name of the object ({meta['name']}) does not match the name on the URL ({name})")
        meta["name"] = name
        wanted = meta.get("resourceVersion")
        if wanted and wanted != existing["metadata"]["resourceVersion"]:
            raise conflict(
                rtype.plural,
                rtype.group,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            )
        old_meta = existing["metadata"]
        for kept in ("uid", "creationTimestamp", "deletionTimestamp", "generation"):
            if kept in old_meta:
                meta[kept] = old_meta[kept]
            else:
                meta.pop(kept, None)
        if subresource == "status":
            body = {**copy.deepcopy(existing), "status": body.get("status")}
        elif "status" in rtype.subresources or rtype.key in ("/namespaces",):
            if "status" in existing:
                body["status"] = copy.deepcopy(existing["status"])
            else:
                body.pop("status", None)
        if rtype.key == "/persistentvolumeclaims" and subresource != "status":
            self._check_pvc_update(rtype, existing, body)
        _admission.on_write(rtype, body)
        if subresource != "status" and body.get("spec") != existing.get("spec") and "generation" in meta:
            meta["generation"] = int(meta["generation"]) + 1
        obj = self._normalized(rtype, body, options)
        if options.dry_run:
            return obj
        if obj.get("metadata", {}).get("deletionTimestamp") and not obj["metadata"].get("finalizers"):
            removed = self.store.remove(rtype.key, namespace if rtype.namespaced else "", name)
            self._after_removal(rtype, removed)
            return removed or obj
        stored = self.store.update(rtype.key, obj)
        if rtype.key == CRD_KEY:
            self.refresh_types()
        self.notify("MODIFIED", rtype, stored)
        return copy.deepcopy(stored)

    def _check_pvc_update(self, rtype: ResourceType, old: dict[str, Any], new: dict[str, Any]) -> None:
        old_spec, new_spec = dict(old.get("spec") or {}), dict(new.get("spec") or {})
        if old_spec.get("volumeName") and not new_spec.get("volumeName"):
            new_spec["volumeName"] = old_spec["volumeName"]
            new["spec"] = new_spec
        if old.get("status", {}).get("phase") != "Bound":
            return
        for spec in (old_spec, new_spec):
            spec.pop("resources", None)
        if old_spec != new_spec:
            raise invalid(
                rtype.kind,
                rtype.group,
                old["metadata"]["name"],
                [
                    (
                        "spec",
                        "FieldValueForbidden",
                        "Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims",
                    )
                ],
            )

    def delete(
        self, rtype: ResourceType, namespace: str, name: str, options: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """DELETE: objects with finalizers get a deletionTimestamp and go once those are removed."""
        options = options or {}
        scope = namespace if rtype.namespaced else ""
        existing = self.current(rtype, namespace, name)
        preconditions = options.get("preconditions") or {}
        if preconditions.get("uid") and preconditions["uid"] != existing["metadata"]["uid"]:
            raise conflict(
                rtype.plural,
                rtype.group,
                name,
                f"Precondition failed: UID in precondition: {preconditions['uid']}, UID in object meta: {existing['metadata']['uid']}",
            )
        if (
            preconditions.get("resourceVersion")
            and preconditions["resourceVersion"] != existing["metadata"]["resourceVersion"]
        ):
            raise conflict(
                rtype.plural,
                rtype.group,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            )
        if rtype.key == "/namespaces" and name in PROTECTED_NAMESPACES:
            raise ApiError(
                403,
                f'namespaces "{name}" is forbidden: this namespace may not be deleted',
                name=name,
                kind="namespaces",
            )
        if options.get("dryRun"):
            return copy.deepcopy(existing)
        finalizers = existing["metadata"].get("finalizers") or []
        spec_finalizers = (existing.get("spec") or {}).get("finalizers") if rtype.key == "/namespaces" else None
        if finalizers or spec_finalizers:
            if existing["metadata"].get("deletionTimestamp"):
                return copy.deepcopy(existing)
            updated = copy.deepcopy(existing)
            updated["metadata"]["deletionTimestamp"] = rfc3339(now())
            updated["metadata"]["deletionGracePeriodSeconds"] = 0
            if rtype.key == "/namespaces":
                updated["status"] = {"phase": "Terminating"}
            stored = self.store.update(rtype.key, updated)
            if rtype.key == CRD_KEY:
                self.refresh_types()
            self.notify("MODIFIED", rtype, stored)
            return copy.deepcopy(stored)
        removed = self.store.remove(rtype.key, scope, name)
        self._after_removal(rtype, removed)
        return removed or existing

    def _after_removal(self, rtype: ResourceType, removed: dict[str, Any] | None) -> None:
        if removed is None:
            return
        if rtype.key == CRD_KEY:
            spec = removed.get("spec") or {}
            key = f"{spec.get('group')}/{(spec.get('names') or {}).get('plural')}"
            for obj in self.store.list(key):
                self.store.remove(key, obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
            self.refresh_types()
        self.notify("DELETED", rtype, removed)

    def remove_finalizer(self, rtype: ResourceType, obj: dict[str, Any], finalizer: str) -> None:
        """For controllers: drop one finalizer; the object goes if it was being deleted and none remain."""
        meta = obj["metadata"]
        current = self.store.get(rtype.key, meta.get("namespace", ""), meta["name"])
        if current is None or finalizer not in (current["metadata"].get("finalizers") or []):
            return
        updated = copy.deepcopy(current)
        updated["metadata"]["finalizers"] = [f for f in updated["metadata"]["finalizers"] if f != finalizer]
        if not updated["metadata"]["finalizers"]:
            del updated["metadata"]["finalizers"]
            if updated["metadata"].get("deletionTimestamp"):
                removed = self.store.remove(rtype.key, meta.get("namespace", ""), meta["name"])
                self._after_removal(rtype, removed)
                return
        self.notify("MODIFIED", rtype, self.store.update(rtype.key, updated))

    def write_status(
        self, rtype: ResourceType, obj: dict[str, Any], change: Callable[[dict[str, Any]], None]
    ) -> dict[str, Any] | None:
        """For controllers: apply `change` to the latest copy and store it (None if it is gone)."""
        meta = obj["metadata"]
        current = self.store.get(rtype.key, meta.get("namespace", ""), meta["name"])
        if current is None or current["metadata"]["uid"] != meta["uid"]:
            return None
        updated = copy.deepcopy(current)
        change(updated)
        if updated == current:
            return current
        stored = self.store.update(rtype.key, updated)
        self.notify("MODIFIED", rtype, stored)
        return stored

    def system_create(self, rtype_key: str, body: dict[str, Any]) -> dict[str, Any] | None:
        """For controllers and seeding: create unless it exists; no authorization."""
        rtype = self.type_for_key(rtype_key)
        assert rtype is not None, rtype_key
        meta = body.get("metadata") or {}
        if self.store.get(rtype.key, meta.get("namespace", "") if rtype.namespaced else "", meta.get("name", "")):
            return None
        return self.create(rtype, meta.get("namespace", ""), body, WriteOptions(field_validation="Strict"))


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False
