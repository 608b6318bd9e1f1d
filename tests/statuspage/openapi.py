"""The SCS Status Page API 1.1.2 spec as the package bundles it, and a validator for the part of
OpenAPI 3.0 it uses ($ref, allOf, object/array/string/integer/boolean, required, nullable, formats
uuid and date-time, minimum/maximum, additionalProperties), so responses are checked against the
published contract itself rather than against our own models."""

from __future__ import annotations

import datetime as dt
import uuid
from importlib import resources
from typing import Any

import yaml

SPEC: dict[str, Any] = yaml.safe_load(
    resources.files("scs_toolkit.statuspage").joinpath("openapi-1.1.2.yaml").read_text(encoding="utf-8")
)
METHODS = ("get", "post", "patch", "put", "delete")


def operations() -> dict[str, tuple[str, str, str]]:
    """operationId -> (method, path, the one status code the spec names)."""
    found = {}
    for path, item in SPEC["paths"].items():
        for method in METHODS:
            if method in item:
                operation = item[method]
                [code] = operation["responses"]
                found[operation["operationId"]] = (method.upper(), path, code)
    return found


def response_schema(operation_id: str) -> dict[str, Any] | None:
    method, path, code = operations()[operation_id]
    response = SPEC["paths"][path][method.lower()]["responses"][code]
    if "$ref" in response:
        response = resolve(response["$ref"])
    content = response.get("content", {}).get("application/json")
    return None if content is None else content["schema"]


def resolve(reference: str) -> dict[str, Any]:
    node: Any = SPEC
    for part in reference.removeprefix("#/").split("/"):
        node = node[part]
    return dict(node)


def _merged(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return _merged(resolve(schema["$ref"]))
    if "allOf" not in schema:
        return schema
    merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
    merged.setdefault("properties", {})
    merged.setdefault("required", [])
    for part in schema["allOf"]:
        part = _merged(part)
        merged["properties"] = {**merged["properties"], **part.get("properties", {})}
        merged["required"] = [*merged["required"], *part.get("required", [])]
        merged.setdefault("type", part.get("type"))
    return merged


def validate(value: Any, schema: dict[str, Any], where: str = "$") -> list[str]:
    """Problems of `value` against `schema` (empty: it conforms)."""
    schema = _merged(schema)
    if value is None:
        return [] if schema.get("nullable") else [f"{where}: null where the spec does not allow it"]
    kind = schema.get("type") or ("object" if "properties" in schema else None)
    problems: list[str] = []
    if kind == "object":
        if not isinstance(value, dict):
            return [f"{where}: expected an object, got {value!r}"]
        for name in schema.get("required", []):
            if name not in value:
                problems.append(f"{where}: required {name!r} is missing")
        properties = schema.get("properties", {})
        for name, item in value.items():
            if name in properties:
                problems += validate(item, properties[name], f"{where}.{name}")
            elif isinstance(schema.get("additionalProperties"), dict):
                problems += validate(item, schema["additionalProperties"], f"{where}.{name}")
    elif kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected an array, got {value!r}"]
        for index, item in enumerate(value):
            problems += validate(item, schema["items"], f"{where}[{index}]")
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{where}: expected an integer, got {value!r}"]
        if "minimum" in schema and value < schema["minimum"]:
            problems.append(f"{where}: {value} < minimum {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            problems.append(f"{where}: {value} > maximum {schema['maximum']}")
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected a string, got {value!r}"]
        if schema.get("format") == "uuid":
            try:
                uuid.UUID(value)
            except ValueError:
                problems.append(f"{where}: {value!r} is not a uuid")
        if schema.get("format") == "date-time":
            try:
                moment = dt.datetime.fromisoformat(value)
            except ValueError:
                problems.append(f"{where}: {value!r} is not an RFC 3339 date-time")
            else:
                if moment.tzinfo is None:
                    problems.append(f"{where}: {value!r} has no time zone (RFC 3339 needs one)")
    elif kind == "boolean" and not isinstance(value, bool):
        problems.append(f"{where}: expected a boolean, got {value!r}")
    return problems
