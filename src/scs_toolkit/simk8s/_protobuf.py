"""Just enough of the Kubernetes protobuf encoding for what kubectl sends only as protobuf.

kubectl's typed clients (`kubectl create namespace|configmap|secret`, `kubectl auth can-i`) send
their bodies as `application/vnd.kubernetes.protobuf`. The envelope is the magic `k8s\\0`
followed by a `runtime.Unknown` (typeMeta, raw); the field numbers in `SCHEMAS` are those of the
API's generated.proto files. Other kinds stay 415 (kubectl apply and the Python client send JSON).
"""

from __future__ import annotations

import base64
from typing import Any

MAGIC = b"k8s\x00"
_RESOURCE_FIELDS = {1: "namespace", 2: "verb", 3: "group", 4: "version", 5: "resource", 6: "subresource", 7: "name"}
_NON_RESOURCE_FIELDS = {1: "path", 2: "verb"}


class ProtobufError(ValueError):
    """The body is not the protobuf message expected."""


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if offset >= len(data) or shift > 63:
            raise ProtobufError("truncated varint")
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
        shift += 7


def fields(data: bytes) -> dict[int, list[bytes | int]]:
    """Top-level fields of one message: number -> values (bytes for length-delimited, int for varints)."""
    result: dict[int, list[bytes | int]] = {}
    offset = 0
    while offset < len(data):
        key, offset = _varint(data, offset)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, offset = _varint(data, offset)
            result.setdefault(number, []).append(value)
        elif wire_type == 2:
            length, offset = _varint(data, offset)
            if offset + length > len(data):
                raise ProtobufError("truncated field")
            result.setdefault(number, []).append(data[offset : offset + length])
            offset += length
        elif wire_type in (1, 5):
            offset += 8 if wire_type == 1 else 4
        else:
            raise ProtobufError(f"unsupported wire type {wire_type}")
    return result


def _message(values: list[bytes | int] | None) -> bytes:
    if not values or not isinstance(values[-1], bytes):
        return b""
    return values[-1]


def _strings(message: bytes, names: dict[int, str]) -> dict[str, str]:
    found = fields(message)
    return {name: _message(found.get(number)).decode("utf-8") for number, name in names.items() if number in found}


def unwrap(body: bytes) -> tuple[str, str, bytes]:
    """(apiVersion, kind, raw message) of a protobuf-encoded Kubernetes object."""
    if not body.startswith(MAGIC):
        raise ProtobufError("missing the k8s protobuf magic")
    unknown = fields(body[len(MAGIC) :])
    type_meta = fields(_message(unknown.get(1)))
    api_version = _message(type_meta.get(1)).decode("utf-8")
    kind = _message(type_meta.get(2)).decode("utf-8")
    return api_version, kind, _message(unknown.get(2))


Schema = dict[int, tuple[str, Any]]
_MAP_ENTRY = {1: "key", 2: "value"}
OBJECT_META: Schema = {
    1: ("name", "string"),
    2: ("generateName", "string"),
    3: ("namespace", "string"),
    11: ("labels", "map"),
    12: ("annotations", "map"),
    14: ("finalizers", "strings"),
}
SCHEMAS: dict[tuple[str, str], Schema] = {
    ("v1", "Namespace"): {1: ("metadata", OBJECT_META), 2: ("spec", {1: ("finalizers", "strings")})},
    ("v1", "ConfigMap"): {
        1: ("metadata", OBJECT_META),
        2: ("data", "map"),
        3: ("binaryData", "map-bytes"),
        4: ("immutable", "bool"),
    },
    ("v1", "Secret"): {
        1: ("metadata", OBJECT_META),
        2: ("data", "map-bytes"),
        3: ("type", "string"),
        4: ("stringData", "map"),
        5: ("immutable", "bool"),
    },
    ("v1", "ServiceAccount"): {1: ("metadata", OBJECT_META)},
}


def decode(message: bytes, schema: Schema) -> dict[str, Any]:
    """A message as the JSON object the API would take, for the fields `schema` knows."""
    found = fields(message)
    result: dict[str, Any] = {}
    for number, (name, kind) in schema.items():
        values = found.get(number)
        if not values:
            continue
        if isinstance(kind, dict):
            result[name] = decode(_message(values), kind)
        elif kind == "string":
            result[name] = _message(values).decode("utf-8")
        elif kind == "strings":
            result[name] = [v.decode("utf-8") for v in values if isinstance(v, bytes)]
        elif kind == "bool":
            result[name] = bool(values[-1])
        elif kind in ("map", "map-bytes"):
            entries = {}
            for entry in values:
                if isinstance(entry, bytes):
                    pair = fields(entry)
                    key = _message(pair.get(1)).decode("utf-8")
                    value = _message(pair.get(2))
                    entries[key] = base64.b64encode(value).decode() if kind == "map-bytes" else value.decode("utf-8")
            result[name] = entries
    return result


def to_json(body: bytes) -> dict[str, Any]:
    """A protobuf request body as its JSON form; ProtobufError for kinds this module cannot read."""
    api_version, kind, raw = unwrap(body)
    if (api_version, kind) == ("authorization.k8s.io/v1", "SelfSubjectAccessReview"):
        return self_subject_access_review(raw)
    schema = SCHEMAS.get((api_version, kind))
    if schema is None:
        raise ProtobufError(f"{api_version} {kind} in protobuf is not supported here; send JSON")
    return {"apiVersion": api_version, "kind": kind, **decode(raw, schema)}


def self_subject_access_review(raw: bytes) -> dict[str, Any]:
    spec_fields = fields(_message(fields(raw).get(2)))
    spec: dict[str, Any] = {}
    if 1 in spec_fields:
        spec["resourceAttributes"] = _strings(_message(spec_fields[1]), _RESOURCE_FIELDS)
    if 2 in spec_fields:
        spec["nonResourceAttributes"] = _strings(_message(spec_fields[2]), _NON_RESOURCE_FIELDS)
    return {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": spec}
