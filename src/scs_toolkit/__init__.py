"""scs-toolkit: certification and transparency tooling for Sovereign Cloud Stack clouds."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("scs-toolkit")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
