"""scs-toolkit: certification and transparency tooling for Sovereign Cloud Stack clouds."""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def _version() -> str:
    """The installed version; read on first use (importlib.metadata costs tens of ms at every start)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("scs-toolkit")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return _version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
