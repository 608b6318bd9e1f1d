"""The simulated API server's pure parts: patches, selectors, durations, models, profiles, state."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes import client

from scs_toolkit.simk8s import ProfileError, SimK8s, SimK8sOptions, _kubeconfig, _protobuf, load_profile
from scs_toolkit.simk8s._errors import ApiError
from scs_toolkit.simk8s._models import normalize
from scs_toolkit.simk8s._patch import json_patch, merge_patch, strategic_merge
from scs_toolkit.simk8s._selectors import field_matcher, label_matcher
from scs_toolkit.simk8s._store import Store, TooOld
from scs_toolkit.simk8s._tables import human_duration

from .conftest import client_for

POD = {
    "metadata": {"name": "p", "finalizers": ["a"]},
    "spec": {
        "containers": [
            {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
            {"name": "sidecar", "image": "side:1"},
        ],
        "tolerations": [{"key": "x", "operator": "Exists"}],
    },
}


def test_strategic_merge_merges_lists_by_key_and_replaces_atomic_ones() -> None:
    patch = {
        "metadata": {"finalizers": ["b"]},
        "spec": {
            "containers": [{"name": "app", "image": "app:2", "env": [{"name": "B", "$patch": "delete"}]}],
            "tolerations": [{"key": "y", "operator": "Exists"}],
        },
    }
    result = strategic_merge(POD, patch, "V1Pod")
    assert result["metadata"]["finalizers"] == ["a", "b"]
    containers = {c["name"]: c for c in result["spec"]["containers"]}
    assert containers["app"]["image"] == "app:2" and containers["app"]["env"] == [{"name": "A", "value": "1"}]
    assert containers["sidecar"] == {"name": "sidecar", "image": "side:1"}
    assert result["spec"]["tolerations"] == [{"key": "y", "operator": "Exists"}]
    assert POD["spec"]["containers"][0]["image"] == "app:1"  # the original is not modified


def test_strategic_merge_directives() -> None:
    ordered = strategic_merge(
        POD, {"spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "app"}]}}, "V1Pod"
    )
    assert [c["name"] for c in ordered["spec"]["containers"]] == ["sidecar", "app"]
    replaced = strategic_merge(POD, {"spec": {"$patch": "replace", "containers": [{"name": "only"}]}}, "V1Pod")
    assert replaced["spec"] == {"containers": [{"name": "only"}]}
    removed = strategic_merge(POD, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, "V1Pod")
    assert removed["metadata"]["finalizers"] == []
    deleted_key = strategic_merge(POD, {"spec": {"tolerations": None}}, "V1Pod")
    assert "tolerations" not in deleted_key["spec"]
    with pytest.raises(ApiError) as raised:
        strategic_merge(POD, {"spec": {"containers": [{"image": "no-name"}]}}, "V1Pod")
    assert raised.value.code == 400 and "merge key" in raised.value.message


def test_merge_patch_and_json_patch() -> None:
    assert merge_patch({"a": {"b": 1, "c": 2}, "d": [1]}, {"a": {"b": None, "e": 3}, "d": [2]}) == {
        "a": {"c": 2, "e": 3},
        "d": [2],
    }
    document = {"a": [1, 2], "b": {"c": 1}}
    result = json_patch(
        document,
        [
            {"op": "add", "path": "/a/-", "value": 3},
            {"op": "test", "path": "/b/c", "value": 1},
            {"op": "move", "from": "/b/c", "path": "/moved"},
            {"op": "copy", "from": "/a/0", "path": "/first"},
        ],
    )
    assert result == {"a": [1, 2, 3], "b": {}, "moved": 1, "first": 1}
    assert document == {"a": [1, 2], "b": {"c": 1}}
    for bad in (
        [{"op": "test", "path": "/b/c", "value": 2}],
        [{"op": "remove", "path": "/zz"}],
        [{"op": "jump", "path": "/a"}],
        {"op": "add"},
    ):
        with pytest.raises(ApiError):
            json_patch(document, bad)


@pytest.mark.parametrize(
    ("selector", "labels", "expected"),
    [
        ("app=web", {"app": "web"}, True),
        ("app==web,tier!=db", {"app": "web", "tier": "db"}, False),
        ("app in (web, api)", {"app": "api"}, True),
        ("app notin (web)", {}, True),
        ("app", {"app": ""}, True),
        ("!app", {"app": ""}, False),
        ("", {}, True),
    ],
)
def test_label_selectors(selector: str, labels: dict[str, str], expected: bool) -> None:
    assert label_matcher(selector)({"metadata": {"labels": labels}}) is expected


def test_bad_selectors_are_400() -> None:
    for selector in ("app in (a", "!app=b", "=x"):
        with pytest.raises(ApiError) as raised:
            label_matcher(selector)
        assert raised.value.code == 400
    with pytest.raises(ApiError):
        field_matcher("spec.colour=red", "pods")
    pod = {"metadata": {"name": "p", "namespace": "n"}, "status": {"phase": "Running"}}
    assert field_matcher("status.phase=Running,metadata.namespace!=x", "pods")(pod)
    assert not field_matcher("status.phase=Pending", "pods")(pod)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (-5, "<invalid>"),
        (0, "0s"),
        (119, "119s"),
        (150, "2m30s"),
        (600, "10m"),
        (3 * 3600 + 60, "3h1m"),
        (30 * 3600, "30h"),
        (3 * 86400 + 7200, "3d2h"),
        (40 * 86400, "40d"),
        (3 * 365 * 86400 + 5 * 86400, "3y5d"),
        (9 * 365 * 86400, "9y"),
    ],
)
def test_ages_are_printed_as_the_api_server_prints_them(seconds: float, text: str) -> None:
    assert human_duration(seconds) == text


def test_normalize_goes_through_the_client_model() -> None:
    wire, problems = normalize(
        "V1PersistentVolumeClaim",
        {
            "metadata": {"name": "x", "colour": "red"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": 5}}},
        },
    )
    assert problems.unknown == ["metadata.colour"] and not problems.invalid
    assert wire["spec"]["resources"]["requests"] == {"storage": "5"}  # a number is a valid quantity
    assert client.V1PersistentVolumeClaim.from_dict(wire).spec.access_modes == ["ReadWriteOnce"]
    _, problems = normalize("V1Service", {"metadata": {"name": "s"}, "spec": {"ports": [{"name": "web"}]}})
    assert problems.invalid and problems.invalid[0][0] == "spec.ports[0].port"
    _, problems = normalize("V1Namespace", {"metadata": {"name": 5, "labels": ["a"]}})
    assert problems.types == ["metadata.name: expected string, got int", "metadata.labels: expected an object"]


def test_event_times_keep_microseconds() -> None:
    wire, _ = normalize(
        "CoreV1Event",
        {
            "metadata": {"name": "e", "creationTimestamp": "2026-12-02T10:00:00.987654Z"},
            "involvedObject": {"kind": "Pod"},
            "eventTime": "2026-12-02T10:00:00.123456Z",
        },
    )
    assert wire["eventTime"] == "2026-12-02T10:00:00.123456Z"
    assert wire["metadata"]["creationTimestamp"] == "2026-12-02T10:00:00Z"  # Time: whole seconds, truncated


def test_profile_errors_name_the_problem(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no such profile"):
        load_profile("nope")
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [")
    with pytest.raises(ProfileError, match="not valid YAML"):
        load_profile(broken)
    partial = tmp_path / "partial.yaml"
    partial.write_text("description: x\n")
    with pytest.raises(ProfileError, match="missing key"):
        load_profile(partial)
    loop_a, loop_b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    loop_a.write_text(f"extends: {loop_b}\n")
    loop_b.write_text(f"extends: {loop_a}\n")
    with pytest.raises(ProfileError, match="cycle"):
        load_profile(loop_a)
    child = tmp_path / "child.yaml"
    child.write_text("extends: compliant\nversion: {gitVersion: v1.36.9}\n")
    loaded = load_profile(child)
    assert loaded["version"]["gitVersion"] == "v1.36.9" and len(loaded["nodes"]) == 6


def test_kubeconfig_merge_keeps_other_entries_and_is_private(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(
        yaml.safe_dump(
            {
                "clusters": [{"name": "prod", "cluster": {}}, {"name": "sim", "cluster": {"server": "old"}}],
                "users": [],
                "contexts": [],
                "current-context": "prod",
            }
        )
    )
    new = _kubeconfig.document("sim", "https://127.0.0.1:1", b"CA", {"admin": "t1", "viewer": "t2"})
    _kubeconfig.write(path, new)
    merged = yaml.safe_load(path.read_text())
    assert [c["name"] for c in merged["clusters"]] == ["prod", "sim"]
    assert merged["clusters"][1]["cluster"]["server"] == "https://127.0.0.1:1"
    assert merged["current-context"] == "sim" and path.stat().st_mode & 0o777 == 0o600
    path.write_text("- not a mapping\n")
    with pytest.raises(ValueError, match="not a kubeconfig"):
        _kubeconfig.write(path, new)


def test_watch_history_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("scs_toolkit.simk8s._store.HISTORY", 3)
    store = Store(seed=1)
    for index in range(6):
        store.create("/configmaps", {"metadata": {"name": f"c{index}", "namespace": "default"}})
    with pytest.raises(TooOld, match="too old resource version: 2"):
        store.watch("/configmaps", None, 2)
    watcher = store.watch("/configmaps", None, store.revision - 1)
    assert watcher.queue.qsize() == 1


def _field(number: int, value: bytes) -> bytes:
    return bytes([number << 3 | 2, len(value)]) + value


def test_protobuf_bodies_kubectl_sends() -> None:
    entry = _field(1, b"colour") + _field(2, b"blue")
    config_map = _field(1, _field(1, b"settings") + _field(3, b"default")) + _field(2, entry)
    type_meta = _field(1, b"v1") + _field(2, b"ConfigMap")
    body = _protobuf.MAGIC + _field(1, type_meta) + _field(2, config_map)
    assert _protobuf.to_json(body) == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": "default"},
        "data": {"colour": "blue"},
    }
    with pytest.raises(_protobuf.ProtobufError):
        _protobuf.to_json(b"{}")
    with pytest.raises(_protobuf.ProtobufError):
        _protobuf.to_json(_protobuf.MAGIC + _field(1, _field(1, b"apps/v1") + _field(2, b"Deployment")))
    with pytest.raises(_protobuf.ProtobufError):
        _protobuf.to_json(_protobuf.MAGIC + bytes([0x0A, 0x7F]))  # truncated


def test_state_file_keeps_objects_across_restarts(tmp_path: Path, simk8s_factory: Callable[..., Any]) -> None:
    state = tmp_path / "state.json"
    first: SimK8s = simk8s_factory(profile="compliant", seed=5, state_file=state)
    core = client.CoreV1Api(client_for(first, tmp_path / "one"))
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="kept")))
    revision = int(core.read_namespace("kept").metadata.resource_version)
    first.stop()
    second = SimK8s(SimK8sOptions(profile="compliant", seed=5, state_file=state)).start()
    try:
        again = client.CoreV1Api(client_for(second, tmp_path / "two"))
        assert again.read_namespace("kept").metadata.resource_version == str(revision)
        created = again.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="next")))
        assert int(created.metadata.resource_version) > revision
    finally:
        second.stop()
    state.write_text("{not json")
    with pytest.raises(ValueError, match="not a simk8s state file"):
        SimK8s(SimK8sOptions(profile="compliant", state_file=state))
