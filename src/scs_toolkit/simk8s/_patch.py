"""The API server's patch types: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and
strategic merge patch (with the directives kubectl's three-way patches use).

Strategic merge needs to know, per list field, whether it merges by a key or is replaced whole;
that comes from `PATCH_META` (the Go struct tags), looked up through the client models' field
types as the patch descends.
"""

from __future__ import annotations

import copy
from typing import Any

import kubernetes.client.models as _client_models

from ._errors import ApiError, bad_request
from ._models import _DICT, _LIST
from ._resources import PATCH_META

_SET_ORDER = "$setElementOrder/"
_DELETE_PRIMITIVE = "$deleteFromPrimitiveList/"


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, null deletes, everything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise bad_request(f"the JSON pointer {path!r} does not start with '/'")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(document: Any, parts: list[str]) -> Any:
    target = document
    for part in parts[:-1]:
        if isinstance(target, list):
            target = target[int(part)]
        elif isinstance(target, dict):
            target = target[part]
        else:
            raise KeyError(part)
    return target


def json_patch(document: Any, operations: Any) -> Any:
    """RFC 6902 add/remove/replace/move/copy/test; a failing operation fails the whole patch."""
    if not isinstance(operations, list):
        raise bad_request("json patch must be a list of operations")
    result = copy.deepcopy(document)
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation or "path" not in operation:
            raise bad_request(f"invalid json patch operation: {operation!r}")
        op, parts = operation["op"], _pointer(operation["path"])
        try:
            if (
                op in ("add", "replace", "test", "copy", "move")
                and "value" not in operation
                and op
                in (
                    "add",
                    "replace",
                    "test",
                )
            ):
                raise bad_request(f"json patch operation {op} needs a value")
            if op == "test":
                if _get(result, parts) != operation["value"]:
                    raise ApiError(422, f"testing value {operation['path']} failed", "Invalid")
                continue
            if op in ("move", "copy"):
                value = _get(result, _pointer(operation["from"]))
                if op == "move":
                    result = _remove(result, _pointer(operation["from"]))
                result = _add(result, parts, copy.deepcopy(value))
            elif op == "add":
                result = _add(result, parts, copy.deepcopy(operation["value"]))
            elif op == "remove":
                result = _remove(result, parts)
            elif op == "replace":
                _get(result, parts)
                result = _add(_remove(result, parts), parts, copy.deepcopy(operation["value"]))
            else:
                raise bad_request(f"unknown json patch operation {op!r}")
        except (KeyError, IndexError, ValueError, TypeError):
            raise ApiError(
                422, f"the server rejected our request due to an error in our request: {op} {operation['path']}"
            ) from None
    return result


def _get(document: Any, parts: list[str]) -> Any:
    target = document
    for part in parts:
        target = target[int(part)] if isinstance(target, list) else target[part]
    return target


def _add(document: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return value
    parent = _parent(document, parts)
    last = parts[-1]
    if isinstance(parent, list):
        index = len(parent) if last == "-" else int(last)
        if not 0 <= index <= len(parent):
            raise IndexError(last)
        parent.insert(index, value)
    else:
        parent[last] = value
    return document


def _remove(document: Any, parts: list[str]) -> Any:
    parent = _parent(document, parts)
    if isinstance(parent, list):
        del parent[int(parts[-1])]
    else:
        del parent[parts[-1]]
    return document


# -- strategic merge patch ------------------------------------------------------------------


def _child_model(model: str | None, key: str) -> tuple[str | None, str]:
    """The model of field `key` below `model` and the field's type string."""
    cls = getattr(_client_models, model, None) if model else None
    if cls is None:
        return None, ""
    attr = next((a for a, j in cls.attribute_map.items() if j == key), None)
    if attr is None:
        return None, ""
    type_name: str = cls.openapi_types[attr]
    inner = _LIST.match(type_name) or _DICT.match(type_name)
    name = inner.group(1) if inner else type_name
    return (name if hasattr(_client_models, name) else None), type_name


def strategic_merge(original: Any, patch: Any, model: str | None) -> Any:
    """Apply a strategic merge patch to `original`, typed by the client model `model`."""
    if not isinstance(patch, dict) or not isinstance(original, dict):
        return copy.deepcopy(patch)
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    result = copy.deepcopy(original)
    retain = patch.get("$retainKeys")
    meta = PATCH_META.get(model or "", {})
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys") or key.startswith(_SET_ORDER):
            continue
        if key.startswith(_DELETE_PRIMITIVE):
            field = key.removeprefix(_DELETE_PRIMITIVE)
            if isinstance(result.get(field), list):
                result[field] = [v for v in result[field] if v not in (value or [])]
            continue
        if value is None:
            result.pop(key, None)
            continue
        child, type_name = _child_model(model, key)
        strategy, merge_key = meta.get(key, ("", None))
        if isinstance(value, list) and "merge" in strategy:
            result[key] = _merge_list(result.get(key) or [], value, merge_key, child)
        elif isinstance(value, dict) and isinstance(result.get(key), dict):
            if type_name.startswith("Dict["):
                merged_map = merge_patch(result[key], value)
            else:
                merged_map = strategic_merge(result[key], value, child)
            if merged_map is None:
                result.pop(key, None)
            else:
                result[key] = merged_map
        else:
            result[key] = _strip_directives(value)
    for key, order in patch.items():
        field = key.removeprefix(_SET_ORDER)
        if key.startswith(_SET_ORDER) and isinstance(order, list) and isinstance(result.get(field), list):
            result[field] = _reorder(result[field], order, meta.get(field, ("", None))[1])
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain or k.startswith("$")}
    return result


def _strip_directives(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_directives(v) for k, v in value.items() if not k.startswith("$")}
    if isinstance(value, list):
        return [_strip_directives(v) for v in value]
    return value


def _merge_list(original: list[Any], patch: list[Any], merge_key: str | None, model: str | None) -> list[Any]:
    if merge_key is None:  # a set of primitives: union, keeping order
        merged = list(original)
        for item in patch:
            if isinstance(item, dict) and item.get("$patch") == "replace":
                return []
            if item not in merged:
                merged.append(item)
        return merged
    result = copy.deepcopy(original)
    for item in patch:
        if not isinstance(item, dict):
            continue
        if item.get("$patch") == "replace":
            return [_strip_directives(i) for i in patch if isinstance(i, dict) and i.get("$patch") != "replace"]
        if merge_key not in item:
            raise bad_request(f"map: {item} does not contain declared merge key: {merge_key}")
        index = next(
            (i for i, o in enumerate(result) if isinstance(o, dict) and o.get(merge_key) == item[merge_key]), None
        )
        if item.get("$patch") == "delete":
            if index is not None:
                del result[index]
            continue
        if index is None:
            result.append(_strip_directives(item))
        else:
            result[index] = strategic_merge(result[index], item, model)
    return result


def _reorder(items: list[Any], order: list[Any], merge_key: str | None) -> list[Any]:
    def identity(item: Any) -> Any:
        return item.get(merge_key) if merge_key and isinstance(item, dict) else item

    wanted = [identity(o) if isinstance(o, dict) else o for o in order]
    ranked = {value: i for i, value in enumerate(wanted) if not isinstance(value, (dict, list))}
    return sorted(items, key=lambda item: ranked.get(identity(item), len(ranked)))
