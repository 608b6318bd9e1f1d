"""Hostile uploads (issue 13): every one is a clear 4xx, the database is unchanged (on SQLite and
PostgreSQL alike) and the client's keep-alive connection still works for its next request.

All are signed with the uploader's real key: they come from an account that is compromised or
careless, so they reach the parser. Each case names the class of bug it stands for."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import yaml

from .helpers import IAAS, basic, fingerprint, report, signed

YAML = "application/x-signed-yaml"
JSON = "application/x-signed-json"
TESTCASE = "scs-0100-syntax-check"


def as_yaml(document: Any) -> bytes:
    return yaml.safe_dump(document, explicit_start=True, sort_keys=False).encode()


def as_json(document: Any) -> bytes:
    return json.dumps(document).encode()


def yaml_with(line: str, **results: int) -> bytes:
    """A valid report in YAML with `line` appended at the top level (YAML-only spellings)."""
    return as_yaml(report(**results)) + line.encode() + b"\n"


def replaced(field: str, value: str) -> bytes:
    """A valid YAML report whose top-level `field` line is replaced by `field: value` verbatim."""
    lines = as_yaml(report()).decode().splitlines()
    return "\n".join(f"{field}: {value}" if line.startswith(f"{field}:") else line for line in lines).encode()


def with_results(value: Any) -> dict[str, Any]:
    document = report()
    document["run"]["invocations"]["i"]["results"] = {TESTCASE: value}
    return document


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = {"x": value}
    return value


def with_run(**changes: Any) -> dict[str, Any]:
    document = report()
    document["run"].update(changes)
    return document


BOMB = (
    "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n"
)

#: (id, content type, payload (a callable: reports carry fresh uuids and times), status, the answer says)
CASES: list[tuple[str, str, Callable[[], bytes], int, str]] = [
    # 1. YAML alias amplification and nesting
    ("alias-bomb", YAML, lambda: BOMB.encode(), 413, "expands to more than"),
    ("alias-bomb-inside-a-report", YAML, lambda: yaml_with(BOMB + "h: [*g, *g]"), 413, "expands to more than"),
    ("deep-yaml-flow", YAML, lambda: b"[" * 5000, 422, "not valid YAML"),
    ("deep-yaml-block", YAML, lambda: as_yaml({**report(), "x": nested(40)}), 422, "nested deeper than 32"),
    ("unknown-alias", YAML, lambda: yaml_with("x: *nowhere"), 422, "unknown alias"),
    ("too-many-documents", YAML, lambda: b"".join(as_yaml(report()) for _ in range(101)), 413, "at most 100"),
    # 2. deeply nested JSON
    ("deep-json-5000", JSON, lambda: b"[" * 5000 + b"]" * 5000, 422, "nested deeper"),
    ("deep-json-100", JSON, lambda: as_json({**report(), "x": nested(100)}), 422, "nested deeper than 32"),
    # 3. NUL bytes, lengths and characters of stored strings
    ("nul-in-testcase-id", JSON, lambda: as_json(report(**{TESTCASE + "\0": 1})), 422, "NUL"),
    ("nul-in-run-uuid", JSON, lambda: as_json(with_run(uuid="abc\0def")), 422, "NUL"),
    ("nul-in-subject-yaml", YAML, lambda: replaced("subject", '"cloud-a\\0"'), 422, "NUL"),
    ("nul-in-free-text", JSON, lambda: as_json({**report(), "note": "a\0b"}), 422, "NUL"),
    ("testcase-id-129-chars", JSON, lambda: as_json(report(**{"t" * 129: 1})), 422, "should match pattern"),
    ("testcase-id-with-space", JSON, lambda: as_json(report(**{"scs 0100": 1})), 422, "should match pattern"),
    ("testcase-id-with-newline", JSON, lambda: as_json(report(**{"scs-0100\n": 1})), 422, "should match pattern"),
    ("run-uuid-65-chars", JSON, lambda: as_json(with_run(uuid="u" * 65)), 422, "should match pattern"),
    ("run-uuid-as-number", JSON, lambda: as_json(with_run(uuid=12345)), 422, "valid string"),
    ("subject-129-chars", JSON, lambda: as_json({**report(), "subject": "s" * 129}), 422, "should match pattern"),
    ("subject-empty", JSON, lambda: as_json({**report(), "subject": ""}), 422, "should match pattern"),
    ("subject-as-number", JSON, lambda: as_json({**report(), "subject": 1}), 422, "valid string"),
    ("scope-uuid-10k-chars", JSON, lambda: as_json({**report(), "spec": {"uuid": "u" * 10000}}), 422, "at most 64"),
    # header injection: a value that would split a header if anything echoed it into one
    (
        "subject-with-crlf",
        JSON,
        lambda: as_json({**report(), "subject": "cloud-a\r\nSet-Cookie: x=1"}),
        422,
        "should match pattern",
    ),
    # unicode surrogates and broken encodings
    ("surrogate-in-subject", JSON, lambda: b'{"subject": "cloud-a\\ud800"}', 422, "lone surrogate"),
    ("surrogate-in-free-text", JSON, lambda: as_json(report())[:-1] + b', "x": "\\udfff"}', 422, "lone surrogate"),
    ("invalid-utf8-json", JSON, lambda: as_json(report()).replace(b"cloud-a", b"cloud-\xff"), 422, "not valid JSON"),
    ("invalid-utf8-yaml", YAML, lambda: as_yaml(report()).replace(b"cloud-a", b"cloud-\xff"), 422, "not valid YAML"),
    # 4. only plain scalars of the expected types
    ("binary-subject", YAML, lambda: replaced("subject", "!!binary Y2xvdWQtYQ=="), 422, "tags such as !!binary"),
    ("str-tag", YAML, lambda: replaced("subject", "!!str cloud-a"), 422, "tags such as !!str"),
    ("python-tag", YAML, lambda: yaml_with('x: !!python/object/apply:os.system ["true"]'), 422, "tags"),
    ("set-tag", YAML, lambda: yaml_with("x: !!set {a, b}"), 422, "tags"),
    ("local-tag", YAML, lambda: yaml_with("x: !thing 1"), 422, "tags"),
    ("result-string-1", JSON, lambda: as_json(with_results("1")), 422, "valid integer"),
    ("result-string-1-yaml", YAML, lambda: as_yaml(with_results("1")), 422, "valid integer"),
    ("result-float-for-int", JSON, lambda: as_json(with_results(1.0)), 422, "valid integer"),
    ("result-bool-for-int", YAML, lambda: as_yaml(with_results(True)), 422, "valid integer"),
    ("result-huge-number", JSON, lambda: as_json(with_results(10**30)), 422, "out of range"),
    ("result-null", JSON, lambda: as_json(with_results(None)), 422, "valid integer"),
    ("number-of-5000-digits-yaml", YAML, lambda: yaml_with("x: " + "9" * 5000), 422, "digits"),
    ("number-of-5000-digits-json", JSON, lambda: as_json(report())[:-1] + b', "x": ' + b"9" * 5000 + b"}", 422, ""),
    ("yaml-infinity", YAML, lambda: yaml_with("x: .inf"), 422, "finite"),
    ("yaml-nan", YAML, lambda: yaml_with("x: .nan"), 422, "finite"),
    ("json-nan", JSON, lambda: as_json(report())[:-1] + b', "x": NaN}', 422, "finite"),
    ("json-overflowing-float", JSON, lambda: as_json(report())[:-1] + b', "x": 1e999}', 422, "finite"),
    ("impossible-date", YAML, lambda: yaml_with("x: 2026-02-30"), 422, "day is out of range"),
    # lists where mappings belong (and the reverse)
    ("run-as-list", JSON, lambda: as_json({**report(), "run": [1, 2]}), 422, "run"),
    ("spec-as-string", JSON, lambda: as_json({**report(), "spec": IAAS}), 422, "spec"),
    ("invocations-as-list", JSON, lambda: as_json(with_run(invocations=[{"results": {TESTCASE: 1}}])), 422, "dict"),
    ("results-as-list", JSON, lambda: as_json(with_results([1])), 422, "valid integer"),
    ("results-map-as-list", JSON, lambda: as_json(with_run(invocations={"i": {"results": [1]}})), 422, "dict"),
    ("top-level-list", JSON, lambda: as_json([report()]), 422, "valid dictionary"),
    ("top-level-scalar", YAML, lambda: b"--- just text\n", 422, "valid dictionary"),
    # duplicate, merged and non-string keys
    ("duplicate-key-yaml", YAML, lambda: as_yaml(report()) + b"subject: cloud-b\n", 422, "duplicate key 'subject'"),
    ("duplicate-key-json", JSON, lambda: as_json(report())[:-1] + b', "subject": "cloud-b"}', 422, "duplicate key"),
    ("merge-key", YAML, lambda: yaml_with("x: {<<: {a: 1}}"), 422, "merge keys"),
    ("integer-key", YAML, lambda: yaml_with("1: one"), 422, "keys must be strings"),
    ("boolean-key", YAML, lambda: yaml_with("yes: 1"), 422, "keys must be strings"),
    ("complex-key", YAML, lambda: yaml_with("? [a, b]\n: 1"), 422, "keys must be strings"),
    # 5. moments out of range
    ("checked-at-year-1", YAML, lambda: replaced("checked_at", "0001-01-01 00:00:00"), 422, "before 2000-01-01"),
    (
        "checked-at-overflowing-offset",
        JSON,
        lambda: as_json({**report(), "checked_at": "0001-01-01T00:00:00+05:00"}),
        422,
        "out of range",
    ),
    ("checked-at-as-number", JSON, lambda: as_json({**report(), "checked_at": 1_700_000_000}), 422, "date-time"),
    ("checked-at-far-future", YAML, lambda: replaced("checked_at", "9999-12-31 23:59:59"), 422, "in the future"),
]


def snapshot(monitor: dict[str, Any]) -> dict[str, int]:
    return fingerprint(monitor["database"])


@pytest.fixture
def client(monitor: dict[str, Any]) -> Iterator[httpx.Client]:
    """One keep-alive connection for the whole test, so a broken connection shows up."""
    with httpx.Client(base_url=monitor["url"], limits=httpx.Limits(max_connections=1), timeout=60) as opened:
        yield opened


@pytest.mark.parametrize(
    ("content_type", "payload", "status", "says"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_hostile_upload_is_refused_and_stores_nothing(
    monitor: dict[str, Any],
    client: httpx.Client,
    content_type: str,
    payload: Callable[[], bytes],
    status: int,
    says: str,
) -> None:
    before = snapshot(monitor)
    reply = client.post(
        "/reports",
        content=signed(monitor, payload()),
        headers={"Content-Type": content_type, "Authorization": basic("cloud-a")},
    )
    assert reply.status_code == status, reply.text
    assert says in reply.json()["detail"]
    assert snapshot(monitor) == before
    assert client.get("/healthz").status_code == 200  # the same connection still works


def test_a_plain_alias_within_bounds_is_still_accepted(monitor: dict[str, Any], client: httpx.Client) -> None:
    """Aliases are YAML (PyYAML writes them for shared objects): only their expansion is bounded."""
    document = report()
    text = (
        as_yaml(document)
        .decode()
        .replace("stdout: []", "stdout: &lines [a, b]")
        .replace("stderr: []", "stderr: *lines")
    )
    reply = client.post(
        "/reports",
        content=signed(monitor, text.encode()),
        headers={"Content-Type": YAML, "Authorization": basic("cloud-a")},
    )
    assert reply.status_code == 201, reply.text
    stored = client.get(
        f"/api/reports/{document['run']['uuid']}", auth=("cloud-a", "a-secret"), params={"full": "true"}
    )
    invocation = stored.json()["run"]["invocations"]["i"]
    assert invocation["stdout"] == invocation["stderr"] == ["a", "b"]


def test_yaml_timestamps_are_stored_as_iso_text_not_python_reprs(monitor: dict[str, Any], client: httpx.Client) -> None:
    document = report()
    text = as_yaml(document) + b"reviewed: 2026-11-20 10:00:00+02:00\nday: 2026-11-19\n"
    reply = client.post(
        "/reports", content=signed(monitor, text), headers={"Content-Type": YAML, "Authorization": basic("cloud-a")}
    )
    assert reply.status_code == 201, reply.text
    stored = client.get(f"/api/reports/{document['run']['uuid']}").json()
    assert stored["reviewed"] == "2026-11-20T10:00:00+02:00" and stored["day"] == "2026-11-19"


def test_a_chunked_body_over_the_limit_is_refused(monitor: dict[str, Any], client: httpx.Client) -> None:
    """No Content-Length to refuse early by: the limit holds while streaming."""
    before = snapshot(monitor)

    def chunks() -> Iterator[bytes]:
        yield signed(monitor, as_yaml(report()))
        for _ in range(5):
            yield b"#" * (1024 * 1024) + b"\n"

    reply = client.post("/reports", content=chunks(), headers={"Content-Type": YAML, "Authorization": basic("cloud-a")})
    assert reply.status_code == 413 and snapshot(monitor) == before
    assert httpx.get(f"{monitor['url']}/healthz").status_code == 200
