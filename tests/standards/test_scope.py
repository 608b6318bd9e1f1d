"""Loading certificate scopes (scs-0003) and computing version states and testcase sets."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from scs_toolkit import standards
from scs_toolkit.standards import VersionState
from tests.conftest import BUNDLED, DATA

IAAS_UUID = "50393e6f-2ae1-4c5c-a62c-3b75f2abef3f"


def test_bundled_iaas_scope_by_alias_equals_the_official_file() -> None:
    bundled = standards.load_scope("scs-compatible-iaas")
    official = standards.load_scope(BUNDLED / "scopes/scs-compatible-iaas.yaml")
    assert bundled.uuid == official.uuid == IAAS_UUID
    assert bundled.versions == official.versions
    assert len(bundled.testcases) == 91
    assert sum(tc.manual for tc in bundled.testcases.values()) == 3
    assert len(bundled.modules) == 26
    assert [v.name for v in bundled.versions] == ["next", "v5.1", "v4", "v3"]


def test_load_by_uuid_and_by_path(tmp_path: Path) -> None:
    assert standards.load_scope(IAAS_UUID).name == "SCS-compatible IaaS"
    assert standards.load_scope("1fffebe6-fd4b-44d3-a36c-fc58b4bb0180").name == "SCS-compatible KaaS"
    copy = tmp_path / "my-scope.yaml"
    copy.write_text((BUNDLED / "scopes/scs-compatible-kaas.yaml").read_text())
    scope = standards.load_scope(str(copy))
    assert scope.source == str(copy)
    assert scope.variables == {"subject_root": None, "kubeconfig": None, "execution_mode": "parallel"}
    assert scope.testcases["cncf-k8s-conformance"].lifetime == "year"
    assert scope.testcases["cncf-k8s-conformance"].section == "heavy"
    assert scope.testcases["version-policy-check"].lifetime == "week"  # the default


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        # vectors from the reference notes on the official tooling (scs-0003 lifetimes and states)
        ("2024-12-19", {"v5.1": "effective", "v4": "effective", "v3": "deprecated"}),
        ("2025-02-01", {"v5.1": "effective", "v4": "warn", "v3": "deprecated"}),
        ("2025-07-01", {"v5.1": "effective", "v4": "deprecated", "v3": "deprecated"}),
        ("2025-09-09", {"next": "draft", "v5.1": "effective", "v4": "deprecated", "v3": "deprecated"}),
        ("2026-06-01", {"next": "draft", "v5.1": "effective", "v4": "deprecated", "v3": "deprecated"}),
        ("2026-06-11", {"next": "draft", "v5.1": "effective"}),
        ("2024-12-18", {}),
    ],
)
def test_version_states_on_a_date(on: str, expected: dict[str, str]) -> None:
    scope = standards.load_scope("scs-compatible-iaas")
    statuses = scope.statuses(dt.date.fromisoformat(on))
    listed = {s.version: s.state.value for s in statuses if s.listed}
    assert listed == expected
    unlisted = [s for s in statuses if not s.listed]
    assert all(s.state is VersionState.DEPRECATED for s in unlisted)
    assert [v.name for v in scope.selected_versions(dt.date.fromisoformat(on))] == [
        v for v in ("next", "v5.1", "v4", "v3") if v in expected
    ]


def test_timeline_order_in_the_file_does_not_matter() -> None:
    official = standards.load_scope("scs-compatible-iaas")
    scrambled = _minimal_scope().replace(
        "timeline:\n  - date: 2024-01-01\n    versions: {v1: effective}\n",
        "timeline:\n  - date: 2024-01-01\n    versions: {v1: effective}\n"
        "  - date: 2025-01-01\n    versions: {v1: warn}\n"
        "  - date: 2023-01-01\n    versions: {v1: draft}\n",
    )
    scope = standards.parse_scope(scrambled)
    assert scope.statuses(dt.date(2024, 6, 1))[0].state is VersionState.EFFECTIVE
    assert scope.statuses(dt.date(2025, 6, 1))[0].state is VersionState.WARN
    assert scope.statuses(dt.date(2023, 6, 1))[0].state is VersionState.DRAFT
    assert official.timeline[0].date > official.timeline[-1].date  # kept newest first


def test_required_and_recommended_testcases() -> None:
    scope = standards.load_scope("scs-compatible-iaas")
    v51, nxt, v3 = scope.version("v5.1"), scope.version("next"), scope.version("v3")
    assert "scs-0123-v1" in [i.module.id for i in v51.includes]
    assert "scs-0123-service-placement" in v51.required
    assert "scs-0102-prop-os_purpose" in nxt.required and "scs-0102-prop-os_purpose" not in v51.required
    assert "scs-0102-prop-uuid_validity" in v51.required
    assert set(v3.required) == set(scope.modules["scs-0100-v3.1"].targets["main"]) | set(
        scope.modules["scs-0102-v1"].targets["main"]
    )
    assert v51.required == tuple(sorted(v51.required))
    assert all(tc in scope.testcases for v in scope.versions for tc in v.required)
    image_spec = next(i for i in v51.includes if i.module.id == "scs-0104-v1-2").parameters["image_spec"]
    assert image_spec.endswith("scs-0104-v1-images-v5.yaml")
    with pytest.raises(KeyError, match="no version 'v9'"):
        scope.version("v9")


def test_recommended_comes_from_non_main_targets() -> None:
    text = _minimal_scope().replace(
        "    targets:\n      main: [tc-a]\n", "    targets:\n      main: [tc-a]\n      preview: [tc-b, tc-a]\n"
    )
    version = standards.parse_scope(text).version("v1")
    assert version.required == ("tc-a",)
    assert version.recommended == ("tc-b",)


def _minimal_scope() -> str:
    return """\
name: Test scope
uuid: 00000000-0000-0000-0000-000000000001
url: https://example.invalid/scope.yaml
scripts:
  - executable: ./check.py
    testcases:
      - id: tc-a
      - id: tc-b
        lifetime: day
modules:
  - id: mod-1
    name: Module one
    targets:
      main: [tc-a]
versions:
  - version: v1
    stabilized_at: 2024-01-01
    include: [mod-1]
timeline:
  - date: 2024-01-01
    versions: {v1: effective}
"""


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        (("name: Test scope\n", ""), "name", "required key is missing"),
        (("    name: Module one\n", "    name: Module one\n    colour: red\n"), "modules[0].colour", "unknown key"),
        (("        lifetime: day", "        lifetime: fortnight"), "scripts[0].testcases[1].lifetime", "'fortnight'"),
        (("{v1: effective}", "{v1: certified}"), "timeline[0].versions.v1", "'certified'"),
        (("{v1: effective}", "{v2: effective}"), "timeline[0].versions.v2", "does not define"),
        (("include: [mod-1]", "include: [mod-2]"), "versions[0].include[0]", "unknown module 'mod-2'"),
        (("main: [tc-a]", "main: [tc-z]"), "modules[0].targets.main[0]", "unknown testcase 'tc-z'"),
        (("      - id: tc-b\n", "      - id: tc-a\n"), "scripts[0].testcases[1].id", "duplicate testcase 'tc-a'"),
        (("stabilized_at: 2024-01-01", "stabilized_at: soon"), "versions[0].stabilized_at", "'soon'"),
        (("  - date: 2024-01-01", "  - date: yesterday"), "timeline[0].date", "'yesterday'"),
        (("uuid: 00000000-0000-0000-0000-000000000001", "uuid: 42"), "uuid", "string"),
    ],
)
def test_invalid_scope_names_file_key_and_expectation(
    tmp_path: Path, change: tuple[str, str], key: str, message: str
) -> None:
    text = _minimal_scope()
    assert change[0] in text
    path = tmp_path / "broken.yaml"
    path.write_text(text.replace(change[0], change[1], 1))
    with pytest.raises(standards.ScopeError) as raised:
        standards.load_scope(str(path))
    error = raised.value
    assert error.source == str(path)
    assert error.key == key
    assert message in error.message
    assert str(path) in str(error) and key in str(error)


def test_not_yaml_or_not_a_mapping_or_missing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n")
    with pytest.raises(standards.ScopeError, match="not valid YAML"):
        standards.load_scope(bad)
    bad.write_text("- just\n- a list\n")
    with pytest.raises(standards.ScopeError, match="mapping at the top level"):
        standards.load_scope(bad)
    with pytest.raises(standards.ScopeError, match="no such scope"):
        standards.load_scope(tmp_path / "missing.yaml")
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(standards.ScopeError, match="cannot read"):
        standards.load_scope(bad)


def test_legacy_format_is_rejected_with_a_clear_message() -> None:
    with pytest.raises(standards.ScopeError) as raised:
        standards.load_scope(DATA / "scopes/scs-compatible-test.yaml")
    assert raised.value.key == "versions[0]"
    assert "pre-2024 scope format" in raised.value.message


def test_scope_objects_are_immutable() -> None:
    scope = standards.load_scope("scs-compatible-iaas")
    with pytest.raises(TypeError):
        scope.testcases["x"] = scope.testcases["scs-0100-syntax-check"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        scope.name = "other"  # type: ignore[misc]
