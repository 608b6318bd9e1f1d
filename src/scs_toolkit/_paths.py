"""Where the toolkit keeps its own files, by the XDG base directory conventions.

State (a health time series, a running simulator's clouds.yaml) goes to $XDG_STATE_HOME/scs-toolkit,
data worth keeping (a monitor database, the demo) to $XDG_DATA_HOME/scs-toolkit, configuration to
$XDG_CONFIG_HOME/scs-toolkit. Never the current directory, never another tool's files.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "scs-toolkit"


def _base(variable: str, default: str) -> Path:
    value = os.environ.get(variable)
    return Path(value) if value and Path(value).is_absolute() else Path.home() / default


def state_dir() -> Path:
    return _base("XDG_STATE_HOME", ".local/state") / APP


def data_dir() -> Path:
    return _base("XDG_DATA_HOME", ".local/share") / APP


def config_dir() -> Path:
    return _base("XDG_CONFIG_HOME", ".config") / APP
