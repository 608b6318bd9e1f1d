"""Reports in the SCS format: build, serialize (and later sign and upload)."""

from __future__ import annotations

from ._document import report_document, to_json, to_yaml

__all__ = ["report_document", "to_json", "to_yaml"]
