"""SCS-compatible IaaS checks, one module per standard; importing registers them."""

from __future__ import annotations

from . import (
    scs_0100,
    scs_0101,
    scs_0102,
    scs_0103,
    scs_0104,
    scs_0114,
    scs_0115,
    scs_0116,
    scs_0117,
    scs_0123,
    scs_0125,
)

__all__ = [
    "scs_0100",
    "scs_0101",
    "scs_0102",
    "scs_0103",
    "scs_0104",
    "scs_0114",
    "scs_0115",
    "scs_0116",
    "scs_0117",
    "scs_0123",
    "scs_0125",
]
