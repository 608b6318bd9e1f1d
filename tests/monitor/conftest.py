"""Monitor tests never see the user's configuration or data: XDG folders point into tmp_path and
the monitor's environment variables are cleared (a test sets the ones it is about)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    for name in ("SCS_MONITOR_DB", "SCS_MONITOR_CONFIG", "SCS_MONITOR_DB_PASSWORD_FILE"):
        monkeypatch.delenv(name, raising=False)
