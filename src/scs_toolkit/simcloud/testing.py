"""pytest fixtures for tests that need a simulated cloud: `pytest_plugins = ["scs_toolkit.simcloud.testing"]`.

`simcloud` is one running compliant cloud per test module; `simcloud_factory(profile=..., ...)`
starts further clouds for a single test (stopped at its end).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ._server import SimCloud, SimCloudOptions


@pytest.fixture(scope="module")
def simcloud() -> Iterator[SimCloud]:
    with SimCloud(SimCloudOptions(profile="compliant", seed=7)) as sim:
        yield sim


@pytest.fixture
def simcloud_factory() -> Iterator[Callable[..., SimCloud]]:
    started: list[SimCloud] = []

    def start(**options: Any) -> SimCloud:
        sim = SimCloud(SimCloudOptions(**options)).start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()
