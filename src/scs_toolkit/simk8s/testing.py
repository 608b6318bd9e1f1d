"""pytest fixtures for tests that need a simulated cluster: `pytest_plugins = ["scs_toolkit.simk8s.testing"]`.

`simk8s` is one running compliant cluster per test module; `simk8s_kubeconfig` its admin
kubeconfig in a temporary file; `simk8s_factory(profile=..., ...)` starts further clusters for a
single test (stopped at its end).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from ._server import SimK8s, SimK8sOptions


@pytest.fixture(scope="module")
def simk8s() -> Iterator[SimK8s]:
    with SimK8s(SimK8sOptions(profile="compliant", seed=7)) as sim:
        yield sim


@pytest.fixture(scope="module")
def simk8s_kubeconfig(simk8s: SimK8s, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return simk8s.kubeconfig(tmp_path_factory.mktemp("kube") / "kubeconfig")


@pytest.fixture
def simk8s_factory() -> Iterator[Callable[..., SimK8s]]:
    started: list[SimK8s] = []

    def start(**options: Any) -> SimK8s:
        sim = SimK8s(SimK8sOptions(**options)).start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()
