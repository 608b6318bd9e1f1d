"""The wire format, built from the official `kubernetes` client models.

Every object the simulator stores or returns went through the client's own (pydantic) model
class: `normalize` checks a request body against the model (unknown fields, wrong types,
missing required fields) and returns the wire dict the model serializes to. Objects are stored
in that form, so responses are exactly what the client can deserialize again.

Timestamps follow the API server: `metav1.Time` is RFC 3339 in UTC with whole seconds (truncated,
never rounded up into the future), `metav1.MicroTime` (event times) carries six fractional digits.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import kubernetes.client.models as _client_models
import pydantic
from kubernetes.client import ApiClient

#: Resource maps whose values are `resource.Quantity`: JSON numbers are valid there (`cpu: 1`).
QUANTITY_MAPS = frozenset({"limits", "requests", "capacity", "allocatable", "hard", "used", "allocatedResources"})
#: Fields typed `metav1.MicroTime` (keep sub-second precision).
MICRO_TIME_FIELDS = frozenset({"eventTime", "lastObservedTime", "acquireTime", "renewTime"})

_LIST = re.compile(r"^List\[(.+)\]$")
_DICT = re.compile(r"^Dict\[str, (.+)\]$")


def rfc3339(moment: dt.datetime) -> str:
    """metav1.Time: 2026-12-02T10:15:07Z (UTC, whole seconds, truncated)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_micro(moment: dt.datetime) -> str:
    """metav1.MicroTime: 2026-12-02T10:15:07.123456Z."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


class _WireClient(ApiClient):
    """The client's serializer with the API server's timestamp spelling."""

    def sanitize_for_serialization(self, obj: Any) -> Any:
        if isinstance(obj, dt.datetime):
            return rfc3339(obj)
        return super().sanitize_for_serialization(obj)  # type: ignore[no-untyped-call]


_SERIALIZER = _WireClient()


def model_class(name: str) -> type[pydantic.BaseModel]:
    model = getattr(_client_models, name, None)
    if model is None:
        raise KeyError(f"the kubernetes client has no model {name}")
    return model  # type: ignore[no-any-return]


def to_wire(model: Any) -> dict[str, Any]:
    """A client model (or plain data) as the JSON the API server sends."""
    wire = _SERIALIZER.sanitize_for_serialization(model)
    assert isinstance(wire, dict)
    return wire


@dataclass
class Problems:
    """What is wrong with a request body, by JSON field path (`spec.resources.requests`)."""

    unknown: list[str] = field(default_factory=list)
    invalid: list[tuple[str, str, str]] = field(default_factory=list)  # (path, reason, message)
    #: JSON type mismatches (a number where a string belongs): the API server answers 400 for these.
    types: list[str] = field(default_factory=list)


def normalize(model_name: str, body: dict[str, Any]) -> tuple[dict[str, Any], Problems]:
    """Validate `body` against the client model `model_name`; return its wire form and the problems.

    Unknown fields are reported (the caller decides: Strict -> 400, Warn -> Warning header) and
    dropped, as the API server drops them. Type errors and missing required fields are `invalid`;
    when there are any, the returned dict is the input and must not be stored.
    """
    problems = Problems()
    model = model_class(model_name)
    cleaned = _clean(model, body, "", problems)
    if problems.invalid or problems.types:
        return body, problems
    micro = _micro_times(cleaned)
    try:
        instance = model.from_dict(cleaned)  # type: ignore[attr-defined]
    except pydantic.ValidationError as error:
        for item in error.errors():
            path = _json_path(model, [str(p) for p in item["loc"]])
            required = item["type"] in ("missing",) or item.get("input", "") is None
            reason = "FieldValueRequired" if required else "FieldValueInvalid"
            message = "Required value" if required else f"Invalid value: {item.get('input')!r}: {item['msg']}"
            problems.invalid.append((path, reason, message))
        return body, problems
    wire = to_wire(instance)
    for where, text in micro.items():
        _set_path(wire, where, text)
    return wire, problems


def _clean(model: Any, value: Any, path: str, problems: Problems) -> Any:
    """Drop unknown fields (recording them) and turn quantity numbers into strings, recursively."""
    if not isinstance(value, dict):
        return value
    by_json = {json_name: attr for attr, json_name in model.attribute_map.items()}
    cleaned: dict[str, Any] = {}
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        attr = by_json.get(key)
        if attr is None:
            problems.unknown.append(where)
            continue
        cleaned[key] = _clean_typed(model.openapi_types[attr], item, where, key, problems)
    for attr, json_name in model.attribute_map.items():
        info = model.model_fields.get(attr)
        if (
            info is not None
            and info.is_required()
            and cleaned.get(json_name) is None
            and json_name not in ("apiVersion", "kind")
        ):
            where = f"{path}.{json_name}" if path else json_name
            problems.invalid.append((where, "FieldValueRequired", "Required value"))
    return cleaned


_JSON_TYPES: dict[str, tuple[type, ...]] = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}


def _type_ok(type_name: str, value: Any) -> bool:
    expected = _JSON_TYPES.get(type_name)
    if expected is None:
        return True
    if type_name in ("int", "float") and isinstance(value, bool):
        return False
    return isinstance(value, expected)


def _clean_typed(type_name: str, value: Any, path: str, key: str, problems: Problems) -> Any:
    if value is None:
        return None
    if (match := _LIST.match(type_name)) and isinstance(value, list):
        return [_clean_typed(match.group(1), v, f"{path}[{i}]", key, problems) for i, v in enumerate(value)]
    if (match := _DICT.match(type_name)) and isinstance(value, dict):
        inner = match.group(1)
        if key in QUANTITY_MAPS and inner == "str":
            return {k: _quantity(v) for k, v in value.items()}
        return {k: _clean_typed(inner, v, f"{path}[{k}]", key, problems) for k, v in value.items()}
    if _LIST.match(type_name) or _DICT.match(type_name):
        problems.types.append(f"{path}: expected {'an array' if type_name.startswith('List') else 'an object'}")
        return value
    model = getattr(_client_models, type_name, None)
    if model is not None and hasattr(model, "attribute_map"):
        if not isinstance(value, dict):
            problems.types.append(f"{path}: expected an object")
            return value
        return _clean(model, value, path, problems)
    if not _type_ok(type_name, value):
        wanted = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}[type_name]
        problems.types.append(f"{path}: expected {wanted}, got {type(value).__name__}")
    return value


def _quantity(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return value


def _micro_times(body: dict[str, Any]) -> dict[tuple[str, ...], str]:
    """MicroTime fields given as text, so their sub-second digits survive the model round trip."""
    found: dict[tuple[str, ...], str] = {}

    def walk(value: Any, path: tuple[str, ...]) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in MICRO_TIME_FIELDS and isinstance(item, str):
                    with contextlib.suppress(ValueError):
                        found[(*path, key)] = rfc3339_micro(parse_time(item))
                else:
                    walk(item, (*path, key))

    walk(body, ())
    return found


def _set_path(document: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    target: Any = document
    for key in path[:-1]:
        target = target.get(key) if isinstance(target, dict) else None
        if target is None:
            return
    if isinstance(target, dict) and path[-1] in target:
        target[path[-1]] = value


def _json_path(model: Any, loc: list[str]) -> str:
    """pydantic's error location (attribute names) as the API's JSON field path."""
    parts: list[str] = []
    current: Any = model
    for item in loc:
        if current is not None and hasattr(current, "attribute_map"):
            by_any = {
                **{a: j for a, j in current.attribute_map.items()},
                **{j: j for j in current.attribute_map.values()},
            }
            if item in by_any:
                json_name = by_any[item]
                parts.append(json_name)
                attr = next((a for a, j in current.attribute_map.items() if j == json_name), None)
                type_name = current.openapi_types.get(attr, "") if attr else ""
                inner = _LIST.match(type_name) or _DICT.match(type_name)
                current = getattr(_client_models, inner.group(1) if inner else type_name, None)
                continue
        if item.isdigit() and parts:
            parts[-1] += f"[{item}]"
        elif parts and item not in ("function-after", "union"):
            parts[-1] += f"[{item}]" if not item.startswith(("str", "int", "bytes")) else ""
    return ".".join(parts)
