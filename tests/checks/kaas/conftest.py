"""KaaS test helpers: a fake `sonobuoy` on PATH, private XDG folders, kubeconfigs and version data shifted to today."""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from scs_toolkit.checks.kaas import _versions
from scs_toolkit.collect import KubeConnection, KubeSpec, connect_kube
from scs_toolkit.simk8s import SimK8s
from tests.conftest import DATA

ARCHIVES = DATA / "kaas" / "sonobuoy"


class FakeSonobuoy:
    """The fake binary's invocations (argv lists), read from its log."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and the XDG folders in tmp_path: results, refreshed data and state never touch the user's files."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for variable, folder in (("XDG_STATE_HOME", "state"), ("XDG_DATA_HOME", "data"), ("XDG_CONFIG_HOME", "config")):
        monkeypatch.setenv(variable, str(tmp_path / folder))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    return tmp_path


@pytest.fixture
def fake_sonobuoy(private_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSonobuoy:
    folder = private_dirs / "bin"
    folder.mkdir()
    binary = folder / "sonobuoy"
    binary.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m scs_toolkit.simk8s.sonobuoy "$@"\n')
    binary.chmod(binary.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    log = private_dirs / "sonobuoy-calls.jsonl"
    monkeypatch.setenv("FAKE_SONOBUOY_LOG", str(log))
    return FakeSonobuoy(log)


@pytest.fixture
def no_sonobuoy(private_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PATH without sonobuoy (and a HOME without ~/.local/bin/sonobuoy)."""
    monkeypatch.setenv(
        "PATH", os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if not (Path(p) / "sonobuoy").exists())
    )


def shifted_version_data(now: dt.datetime) -> str:
    """The bundled version data with every date moved so that `as_of` is `now`: the same relations, fresh."""
    document = yaml.safe_load(_versions.bundled_data_text())
    shift = now - _versions.bundled_data().as_of

    def moved(value: str, with_time: bool) -> str:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        moment += shift
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if with_time else moment.date().isoformat()

    document["as_of"] = moved(document["as_of"], True)
    for branch in document["branches"]:
        branch["released"] = moved(branch["released"], False)
        branch["end-of-life"] = moved(branch["end-of-life"], False)
    for release in document["releases"]:
        release["published"] = moved(release["published"], True)
    return yaml.safe_dump(document, sort_keys=False)


@pytest.fixture
def fresh_version_data(private_dirs: Path) -> _versions.VersionData:
    """Refreshed version data as of now (as `scs scope k8s-data --update` would leave it)."""
    return _versions.refresh(shifted_version_data(dt.datetime.now(dt.UTC)), "shifted test data")


def connection(sim: SimK8s, path: Path, user: str = "admin") -> KubeConnection:
    sim.kubeconfig(path, user)  # `user`'s context becomes the current one
    return connect_kube(KubeSpec(str(path)))


@pytest.fixture(scope="module")
def admin(simk8s: SimK8s, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeConnection]:
    conn = connection(simk8s, tmp_path_factory.mktemp("kaas") / "kubeconfig")
    yield conn
    conn.close()
