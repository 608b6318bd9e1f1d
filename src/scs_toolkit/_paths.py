"""Where the toolkit keeps its own files, by the XDG base directory conventions.

State (a health time series, a running simulator's clouds.yaml) goes to $XDG_STATE_HOME/scs-toolkit,
data worth keeping (a monitor database, the demo) to $XDG_DATA_HOME/scs-toolkit, configuration to
$XDG_CONFIG_HOME/scs-toolkit. Never the current directory, never another tool's files.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

APP = "scs-toolkit"


def _base(variable: str, default: str, environ: Mapping[str, str] | None) -> Path:
    environ = os.environ if environ is None else environ
    value = environ.get(variable)
    if value and Path(value).is_absolute():  # the spec: relative values are invalid and ignored
        return Path(value)
    home = environ.get("HOME")
    return (Path(home) if home else Path.home()) / default


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    return _base("XDG_STATE_HOME", ".local/state", environ) / APP


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    return _base("XDG_DATA_HOME", ".local/share", environ) / APP


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    return _base("XDG_CONFIG_HOME", ".config", environ) / APP
