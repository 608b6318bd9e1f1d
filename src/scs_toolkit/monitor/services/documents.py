"""Untrusted upload payloads into plain documents (what JSON can hold), within bounds.

The body limit alone bounds nothing once YAML aliases are expanded: 543 bytes of nested aliases
became a 300 MB report. So YAML is read event by event (libyaml does the scanning) and every node
is weighed as it would be expanded: an alias weighs what its anchor weighed. Depth, weight and the
number of documents are bounded before anything is built out of proportion.

Only plain data is accepted, as the official runner writes it: mappings with string keys (no
duplicates, no merge keys), sequences, strings, integers, floats, booleans, null and timestamps.
Explicit tags (`!!binary`, `!!python/...`, even `!!str`) are refused: a report that needs them is
not one. Strings must be storable (no NUL, no lone surrogates), numbers finite and within 64 bits.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from ..names import storable

MAX_DEPTH = 32
MAX_DOCUMENTS = 100
#: Expanded weight (nodes + characters) of all documents of an upload: twice the body limit, so any
#: upload without aliases fits and no alias trick grows far beyond what could be sent plainly.
MAX_WEIGHT = 8 * 1024 * 1024
#: The stored JSON text of one upload.
MAX_STORED_BYTES = 8 * 1024 * 1024
_INT_RANGE = (-(2**63), 2**63 - 1)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: much faster scanning
_TAG = "tag:yaml.org,2002:"


class DocumentError(Exception):
    """Why a payload is refused: 413 when it is (or expands to) too much, 422 when it is malformed."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def parse_yaml(payload: bytes) -> list[Any]:
    """Every non-empty document of a YAML stream, as plain data (timestamps as ISO strings)."""
    builder = _Builder()
    try:
        for event in yaml.parse(payload, Loader=_LOADER):
            builder.add(event)
    except yaml.YAMLError as error:
        raise DocumentError(422, f"the report is not valid YAML: {error}") from None
    return [plain(d) for d in builder.documents if d is not None]


def parse_json(payload: bytes, what: str = "the report") -> list[Any]:
    """The one document of a JSON upload, as plain data; `what` names it in error messages."""
    try:
        document = json.loads(
            payload, object_pairs_hook=functools.partial(_unique_keys, what=what), parse_constant=_no_constants
        )
    except RecursionError:
        raise DocumentError(422, f"{what} is nested deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:  # also UnicodeDecodeError and over-long integers
        raise DocumentError(422, f"{what} is not valid JSON: {error}") from None
    return [plain(document, what=what)]


async def read_limited(chunks: AsyncIterator[bytes], limit: int, what: str = "report") -> bytes:
    """A request body read chunk by chunk, refused (413) as soon as it exceeds `limit` bytes, so that
    a huge body is never held in memory whole."""
    body = bytearray()
    async for chunk in chunks:
        body.extend(chunk)
        if len(body) > limit:
            raise DocumentError(413, f"{what} larger than {limit} bytes")
    return bytes(body)


def to_json(documents: list[Any]) -> list[str]:
    """The stored text of each document; refuses an upload whose text exceeds the stored limit."""
    texts = [json.dumps(d, allow_nan=False, separators=(",", ":")) for d in documents]
    if sum(len(t) for t in texts) > MAX_STORED_BYTES:
        raise DocumentError(413, f"the reports would take more than {MAX_STORED_BYTES} bytes stored")
    return texts


def plain(value: Any, depth: int = 0, where: str = "", what: str = "the report") -> Any:
    """`value` checked and converted for JSON: storable strings, finite numbers, ISO timestamps."""
    if depth > MAX_DEPTH:
        raise DocumentError(422, f"{what} is nested deeper than {MAX_DEPTH} levels (at {where or 'top'})")
    if isinstance(value, dict):
        converted = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise DocumentError(422, f"{where or 'top'}: mapping keys must be strings, not {key!r}")
            _check_string(key, where)
            converted[key] = plain(item, depth + 1, f"{where}.{key}" if where else key, what)
        return converted
    if isinstance(value, list):
        return [plain(item, depth + 1, f"{where}[{index}]", what) for index, item in enumerate(value)]
    if isinstance(value, str):
        _check_string(value, where)
        return value
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if not _INT_RANGE[0] <= value <= _INT_RANGE[1]:
            raise DocumentError(422, f"{where}: integer out of range (64 bits)")
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise DocumentError(422, f"{where}: numbers must be finite, not {value}")
        return value
    if isinstance(value, dt.date):  # datetime included
        return value.isoformat()
    raise DocumentError(422, f"{where}: a {type(value).__name__} is not plain data")


def _check_string(value: str, where: str) -> None:
    if not storable(value):
        raise DocumentError(422, f"{where or 'top'}: text contains a NUL character or a lone surrogate")


def _unique_keys(pairs: list[tuple[str, Any]], what: str = "the report") -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise DocumentError(422, f"duplicate key {key!r} in {what}")
        mapping[key] = value
    return mapping


def _no_constants(name: str) -> Any:
    raise DocumentError(422, f"numbers must be finite, not {name}")


@dataclass
class _Collection:
    value: dict[str, Any] | list[Any]
    anchor: str | None
    weight_before: int
    line: int
    key: Any = None
    expecting_key: bool = True


@dataclass
class _Builder:
    """Plain documents from parser events, weighing each node as if aliases were copied."""

    documents: list[Any] = field(default_factory=list)
    weight: int = 0
    _stack: list[_Collection] = field(default_factory=list)
    _anchors: dict[str, tuple[Any, int]] = field(default_factory=dict)
    _resolver: Resolver = field(default_factory=Resolver)
    _constructor: SafeConstructor = field(default_factory=SafeConstructor)

    def add(self, event: yaml.Event) -> None:
        line = event.start_mark.line + 1 if event.start_mark is not None else 0
        if isinstance(event, yaml.DocumentStartEvent):
            if len(self.documents) >= MAX_DOCUMENTS:
                raise DocumentError(413, f"an upload holds at most {MAX_DOCUMENTS} reports")
            self._anchors.clear()  # anchors are per document
        elif isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            self._refuse_tag(event, line)
            if len(self._stack) >= MAX_DEPTH:
                raise DocumentError(422, f"line {line}: the report is nested deeper than {MAX_DEPTH} levels")
            self._grow(1)
            empty: dict[str, Any] | list[Any] = {} if isinstance(event, yaml.MappingStartEvent) else []
            self._stack.append(_Collection(empty, event.anchor, self.weight - 1, line))
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            done = self._stack.pop()
            if done.anchor is not None:
                self._anchors[done.anchor] = (done.value, self.weight - done.weight_before)
            self._place(done.value, done.line)
        elif isinstance(event, yaml.ScalarEvent):
            self._refuse_tag(event, line)
            self._grow(1 + len(event.value))
            value = self._scalar(event, line)
            if event.anchor is not None:
                self._anchors[event.anchor] = (value, 1 + len(event.value))
            self._place(value, line)
        elif isinstance(event, yaml.AliasEvent):
            if event.anchor not in self._anchors:
                raise DocumentError(422, f"line {line}: unknown alias *{event.anchor}")
            value, weight = self._anchors[event.anchor]
            self._grow(weight)
            self._place(value, line)

    def _grow(self, weight: int) -> None:
        self.weight += weight
        if self.weight > MAX_WEIGHT:
            raise DocumentError(
                413, f"the upload expands to more than {MAX_WEIGHT} bytes (nested YAML aliases?); send plain reports"
            )

    @staticmethod
    def _refuse_tag(event: yaml.NodeEvent, line: int) -> None:
        tag = getattr(event, "tag", None)
        if tag is not None:
            shown = "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag
            raise DocumentError(422, f"line {line}: YAML tags such as {shown} are not accepted; send plain values")

    def _scalar(self, event: yaml.ScalarEvent, line: int) -> Any:
        tag: str = self._resolver.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
        if tag == _TAG + "merge":
            raise DocumentError(422, f"line {line}: YAML merge keys (<<) are not accepted")
        if tag in (_TAG + "null", _TAG + "bool", _TAG + "int", _TAG + "float", _TAG + "timestamp"):
            node = yaml.ScalarNode(tag, event.value)
            try:
                return self._constructor.yaml_constructors[tag](self._constructor, node)
            except ValueError as error:  # e.g. an integer of more than 4300 digits, 30 February
                raise DocumentError(422, f"line {line}: {error}") from None
        return event.value

    def _place(self, value: Any, line: int) -> None:
        if not self._stack:
            self.documents.append(value)
            return
        parent = self._stack[-1]
        if isinstance(parent.value, list):
            parent.value.append(value)
        elif parent.expecting_key:
            if not isinstance(value, str):
                raise DocumentError(422, f"line {line}: mapping keys must be strings, not {_shown(value)}")
            if value in parent.value:
                raise DocumentError(422, f"line {line}: duplicate key {value!r}")
            parent.key, parent.expecting_key = value, False
        else:
            parent.value[parent.key] = value
            parent.expecting_key = True


def _shown(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a sequence"
    return f"{value!r} (quote it)"
