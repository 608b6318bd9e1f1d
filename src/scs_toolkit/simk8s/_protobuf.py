"""Just enough of the Kubernetes protobuf encoding for what kubectl sends only as protobuf.

kubectl's typed clients send some bodies as `application/vnd.kubernetes.protobuf`; of those the
simulated server needs one: the SelfSubjectAccessReview of `kubectl auth can-i`. The envelope is
the magic `k8s\\0` followed by a `runtime.Unknown` (typeMeta, raw); the field numbers below are
those of k8s.io/api/authorization/v1/generated.proto. Anything else stays 415.
"""

from __future__ import annotations

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


def self_subject_access_review(raw: bytes) -> dict[str, Any]:
    spec_fields = fields(_message(fields(raw).get(2)))
    spec: dict[str, Any] = {}
    if 1 in spec_fields:
        spec["resourceAttributes"] = _strings(_message(spec_fields[1]), _RESOURCE_FIELDS)
    if 2 in spec_fields:
        spec["nonResourceAttributes"] = _strings(_message(spec_fields[2]), _NON_RESOURCE_FIELDS)
    return {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": spec}
