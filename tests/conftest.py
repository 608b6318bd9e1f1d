"""Shared test helpers: where the test data (copies of official SCS material) lives."""

from __future__ import annotations

from pathlib import Path

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
