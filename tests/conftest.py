"""Shared test helpers: where the test data (copies of official SCS material) lives, and a private HOME."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
#: Copies of the official standards texts and data files (sources and licence: tests/data/README.md).
#: Tests read only inside the repository: a clone must pass with nothing beside it.
DATA = PROJECT_ROOT / "tests" / "data"
#: The official files the package bundles (scopes, standard flavors, images): tests use these copies too.
BUNDLED = PROJECT_ROOT / "src" / "scs_toolkit" / "standards" / "data"

pytest_plugins = [
    "scs_toolkit.simcloud.testing",
    "scs_toolkit.simk8s.testing",
    "tests.monitor.fixture",
    "tests.browser.fixtures",
]

#: Variables through which a developer's own configuration would reach the tests (and their subprocesses).
_PERSONAL = ("KUBECONFIG", "SCS_MONITOR_DB", "SCS_MONITOR_CONFIG", "SCS_HEALTH_DB", "SSH_AUTH_SOCK")


@pytest.fixture(autouse=True, scope="session")
def private_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A HOME and XDG folders of the test run's own, and none of the developer's OS_*/KUBECONFIG settings:
    no test (nor a command it starts) can read or write the user's clouds.yaml, kubeconfig, state or data."""
    home = tmp_path_factory.mktemp("home")
    patch = pytest.MonkeyPatch()
    patch.setenv("HOME", str(home))
    for variable, folder in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_CACHE_HOME", ".cache"),
    ):
        patch.setenv(variable, str(home / folder))
    for variable in [v for v in os.environ if v.startswith("OS_")] + list(_PERSONAL):
        patch.delenv(variable, raising=False)
    yield home
    patch.undo()
