"""Shared test helpers: where the read-only reference material (../shared) lives."""

from __future__ import annotations

from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = PROJECT_ROOT.parent / "shared"

pytest_plugins = ["scs_toolkit.simcloud.testing", "tests.monitor.fixture", "tests.browser.fixtures"]


@pytest.fixture(scope="session")
def shared() -> Path:
    """The reference material beside the project root; CI clones the project next to it."""
    if not (SHARED / "standards").is_dir():
        pytest.fail(f"reference material not found at {SHARED}; clone the project beside shared/")
    return SHARED
