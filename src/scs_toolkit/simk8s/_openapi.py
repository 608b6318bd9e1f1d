"""OpenAPI v3 documents (`/openapi/v3`, `/openapi/v3/apis/<group>/<version>`) generated from the
client models, as far as kubectl needs them.

kubectl reads them for three things: whether the server validates fields itself (the PATCH
operation of a kind declares the `fieldValidation` query parameter), whether a kind takes
strategic merge patches (the PATCH request body lists `application/strategic-merge-patch+json`),
and the patch strategy of each list (`x-kubernetes-patch-strategy` / `-merge-key` in the
schemas). `kubectl explain` reads the descriptions. Schemas are named as the API server names
them (`io.k8s.api.core.v1.Pod`) for the kinds; nested types follow the same pattern.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

import kubernetes.client.models as _client_models

from ._models import _DICT, _LIST
from ._resources import PATCH_META, ResourceType

_PREFIX = re.compile(r"^(?:[A-Z][a-z]+)?(V\d+(?:alpha\d+|beta\d+)?)(.+)$")
_META_TYPES = frozenset(
    {
        "ObjectMeta",
        "ListMeta",
        "LabelSelector",
        "LabelSelectorRequirement",
        "OwnerReference",
        "ManagedFieldsEntry",
        "Status",
        "StatusDetails",
        "StatusCause",
        "Condition",
        "DeleteOptions",
        "Preconditions",
        "WatchEvent",
        "APIResource",
        "APIResourceList",
    }
)
_PACKAGES = {
    "": "io.k8s.api.core",
    "storage.k8s.io": "io.k8s.api.storage",
    "rbac.authorization.k8s.io": "io.k8s.api.rbac",
    "networking.k8s.io": "io.k8s.api.networking",
    "authorization.k8s.io": "io.k8s.api.authorization",
    "apiextensions.k8s.io": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions",
}
PATCH_TYPES = (
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
)
_QUERY = {
    "dryRun": "When present, indicates that modifications should not be persisted.",
    "fieldManager": "fieldManager is a name associated with the actor or entity that is making these changes.",
    "fieldValidation": "fieldValidation instructs the server on how to handle objects in the request containing "
    "unknown or duplicate fields. Valid values are: Ignore, Warn (default), Strict.",
}


def go_name(model: str, group: str, version: str) -> str:
    match = _PREFIX.match(model)
    short, model_version = (match.group(2), match.group(1).lower()) if match else (model, version)
    if short in _META_TYPES:
        return f"io.k8s.apimachinery.pkg.apis.meta.v1.{short}"
    return f"{_PACKAGES.get(group, 'io.k8s.api.' + group.split('.')[0])}.{model_version}.{short}"


class _Builder:
    def __init__(self, group: str, version: str) -> None:
        self.group, self.version = group, version
        self.schemas: dict[str, Any] = {}

    def ref(self, model: str) -> dict[str, Any]:
        name = go_name(model, self.group, self.version)
        if name not in self.schemas:
            self.schemas[name] = {}  # placeholder: breaks cycles (JSONSchemaProps refers to itself)
            self.schemas[name] = self.model_schema(model)
        return {"$ref": f"#/components/schemas/{name}"}

    def model_schema(self, model: str) -> dict[str, Any]:
        cls = getattr(_client_models, model)
        properties: dict[str, Any] = {}
        required = []
        meta = PATCH_META.get(model, {})
        for attr, json_name in cls.attribute_map.items():
            info = cls.model_fields.get(attr)
            schema = self.type_schema(cls.openapi_types[attr])
            if info is not None and info.description:
                schema = {**schema, "description": info.description}
            if json_name in meta:
                strategy, key = meta[json_name]
                schema["x-kubernetes-patch-strategy"] = strategy
                if key:
                    schema["x-kubernetes-patch-merge-key"] = key
            properties[json_name] = schema
            if info is not None and info.is_required():
                required.append(json_name)
        doc = (cls.__doc__ or "").strip().split("\n\n")[0].strip()
        result: dict[str, Any] = {"type": "object", "properties": properties}
        if doc and not doc.startswith("Attributes"):
            result["description"] = doc
        if required:
            result["required"] = required
        return result

    def type_schema(self, type_name: str) -> dict[str, Any]:
        if match := _LIST.match(type_name):
            return {"type": "array", "items": self.type_schema(match.group(1))}
        if match := _DICT.match(type_name):
            return {"type": "object", "additionalProperties": self.type_schema(match.group(1))}
        simple = {
            "str": {"type": "string"},
            "int": {"type": "integer", "format": "int64"},
            "bool": {"type": "boolean"},
            "float": {"type": "number", "format": "double"},
            "datetime": {"type": "string", "format": "date-time"},
            "date": {"type": "string", "format": "date"},
            "bytes": {"type": "string", "format": "byte"},
            "object": {},
        }
        if type_name in simple:
            return dict(simple[type_name])
        if hasattr(_client_models, type_name):
            return {"allOf": [self.ref(type_name)], "default": {}}
        return {}


def _gvk(rtype: ResourceType) -> dict[str, str]:
    return {"group": rtype.group, "kind": rtype.kind, "version": rtype.version}


def _operation(
    rtype: ResourceType, action: str, ref: dict[str, Any], with_body: bool, patch: bool = False
) -> dict[str, Any]:
    parameters = [
        {"name": name, "in": "query", "description": text, "schema": {"type": "string", "uniqueItems": True}}
        for name, text in _QUERY.items()
        if with_body or patch
    ]
    operation: dict[str, Any] = {
        "operationId": f"{action}{rtype.kind}",
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": _gvk(rtype),
        "parameters": parameters,
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}},
    }
    if patch:
        types = PATCH_TYPES if rtype.model else tuple(t for t in PATCH_TYPES if "strategic" not in t)
        patch_ref = {"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"}
        operation["requestBody"] = {"content": {t: {"schema": patch_ref} for t in types}, "required": True}
    elif with_body:
        operation["requestBody"] = {"content": {"*/*": {"schema": ref}}, "required": True}
    return operation


def group_version_document(group: str, version: str, rtypes: Iterable[ResourceType]) -> dict[str, Any]:
    builder = _Builder(group, version)
    builder.schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Patch"] = {
        "type": "object",
        "description": "Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.",
    }
    paths: dict[str, Any] = {}
    for rtype in rtypes:
        if rtype.model:
            ref = builder.ref(rtype.model)
            name = ref["$ref"].rsplit("/", 1)[1]
        else:
            name = f"{'.'.join(reversed(rtype.group.split('.')))}.{rtype.version}.{rtype.kind}"
            builder.schemas[name] = _custom_schema(rtype, builder)
            ref = {"$ref": f"#/components/schemas/{name}"}
        builder.schemas[name] = {**builder.schemas[name], "x-kubernetes-group-version-kind": [_gvk(rtype)]}
        scope = "/namespaces/{namespace}" if rtype.namespaced else ""
        collection = f"{rtype.url_prefix}{scope}/{rtype.plural}"
        verbs = set(rtype.verbs)
        paths[collection] = {
            k: v
            for k, v in {
                "get": _operation(rtype, "list", ref, False) if "list" in verbs else None,
                "post": _operation(rtype, "post", ref, True) if "create" in verbs else None,
            }.items()
            if v
        }
        if "get" in verbs:
            paths[f"{collection}/{{name}}"] = {
                "get": _operation(rtype, "get", ref, False),
                "put": _operation(rtype, "put", ref, True),
                "patch": _operation(rtype, "patch", ref, False, patch=True),
                "delete": _operation(rtype, "delete", ref, False),
            }
            for sub in rtype.subresources:
                if sub in ("status",):
                    paths[f"{collection}/{{name}}/{sub}"] = {
                        "get": _operation(rtype, "get", ref, False),
                        "put": _operation(rtype, "put", ref, True),
                        "patch": _operation(rtype, "patch", ref, False, patch=True),
                    }
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "unversioned"},
        "paths": paths,
        "components": {"schemas": builder.schemas},
    }


def _custom_schema(rtype: ResourceType, builder: _Builder) -> dict[str, Any]:
    schema = dict(rtype.schema or {"type": "object", "x-kubernetes-preserve-unknown-fields": True})
    properties = dict(schema.get("properties") or {})
    properties.setdefault("apiVersion", {"type": "string"})
    properties.setdefault("kind", {"type": "string"})
    properties["metadata"] = {"allOf": [builder.ref("V1ObjectMeta")]}
    schema["properties"] = properties
    schema.setdefault("type", "object")
    return schema


def document_hash(document: dict[str, Any]) -> str:
    return hashlib.sha512(json.dumps(document, sort_keys=True).encode()).hexdigest().upper()


def gv_path(rtype: ResourceType) -> str:
    return f"api/{rtype.version}" if not rtype.group else f"apis/{rtype.group}/{rtype.version}"
