"""Label and field selectors as the API server parses them (`?labelSelector=`, `?fieldSelector=`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ._errors import bad_request

Matcher = Callable[[dict[str, Any]], bool]

_SET = re.compile(r"^\s*(!?)([A-Za-z0-9./_-]+)\s*(?:(notin|in)\s*\(([^)]*)\)|(==|=|!=)\s*([A-Za-z0-9._-]*))?\s*$")

#: Field selectors each kind supports besides metadata.name and metadata.namespace.
FIELDS: dict[str, tuple[str, ...]] = {
    "pods": (
        "spec.nodeName",
        "spec.restartPolicy",
        "spec.schedulerName",
        "spec.serviceAccountName",
        "status.phase",
        "status.podIP",
        "status.nominatedNodeName",
    ),
    "events": (
        "involvedObject.kind",
        "involvedObject.namespace",
        "involvedObject.name",
        "involvedObject.uid",
        "involvedObject.apiVersion",
        "involvedObject.resourceVersion",
        "involvedObject.fieldPath",
        "reason",
        "reportingComponent",
        "source",
        "type",
    ),
    "nodes": ("spec.unschedulable",),
    "namespaces": ("status.phase",),
    "secrets": ("type",),
    "persistentvolumeclaims": (),
}


def _split(selector: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    if current.strip():
        parts.append(current)
    return parts


def _label_test(key: str, op: str, value: str | None, members: frozenset[str]) -> Callable[[dict[str, str]], bool]:
    def test(labels: dict[str, str]) -> bool:
        if op == "in":
            return labels.get(key) in members
        if op == "notin":
            return labels.get(key) not in members
        if op in ("=", "=="):
            return labels.get(key) == value
        if op == "!=":
            return labels.get(key) != value
        if op == "!":
            return key not in labels
        return key in labels

    return test


def _field_test(path: str, negate: bool, value: str) -> Matcher:
    def test(obj: dict[str, Any]) -> bool:
        return (_field_value(obj, path) == value) != negate

    return test


def label_matcher(selector: str | None) -> Matcher:
    if not selector:
        return lambda _obj: True
    tests: list[Callable[[dict[str, str]], bool]] = []
    for part in _split(selector):
        match = _SET.match(part)
        if match is None:
            raise bad_request(f"unable to parse requirement: found '{part.strip()}', expected: key op value")
        negate, key, set_op, values, op, value = match.groups()
        if negate and (set_op or op):
            raise bad_request(f"unable to parse requirement: '{part.strip()}'")
        members = frozenset(v.strip() for v in (values or "").split(",") if v.strip())
        tests.append(
            _label_test(
                key, "in" if set_op == "in" else "notin" if set_op else op or ("!" if negate else ""), value, members
            )
        )

    def matches(obj: dict[str, Any]) -> bool:
        labels = (obj.get("metadata") or {}).get("labels") or {}
        return all(test(labels) for test in tests)

    return matches


def _field_value(obj: dict[str, Any], path: str) -> str:
    value: Any = obj
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if path == "source" and isinstance(obj.get("source"), dict):
        value = obj["source"].get("component")
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def field_matcher(selector: str | None, plural: str) -> Matcher:
    if not selector:
        return lambda _obj: True
    allowed = ("metadata.name", "metadata.namespace", *FIELDS.get(plural, ()))
    tests: list[Matcher] = []
    for part in _split(selector):
        match = re.match(r"^\s*([A-Za-z0-9._]+)\s*(==|=|!=)\s*(.*?)\s*$", part)
        if match is None:
            raise bad_request(f"invalid selector: '{selector}'; can't understand '{part.strip()}'")
        path, op, value = match.groups()
        if path not in allowed:
            raise bad_request(f"field label not supported: {path}")
        tests.append(_field_test(path, op == "!=", value))
    return lambda obj: all(test(obj) for test in tests)
