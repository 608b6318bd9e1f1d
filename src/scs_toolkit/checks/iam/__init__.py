"""IAM checks (scs-0302 domain manager); run with credentials of two domain managers."""

from __future__ import annotations

from .domain_manager import ConfigError, Manager, connect_manager, decide, load_config

__all__ = ["ConfigError", "Manager", "connect_manager", "decide", "load_config"]
