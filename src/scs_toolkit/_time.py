"""Time as the toolkit speaks it: timezone-aware UTC everywhere a moment leaves the process.

Databases keep naive UTC columns (SQLite has no time zones, and the schemas predate this rule), so
moments are made naive only at that border and made aware again when read.
"""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(moment: dt.datetime) -> dt.datetime:
    """`moment` in UTC with its zone; a naive one is taken to be UTC already (as our databases store it)."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def naive(moment: dt.datetime) -> dt.datetime:
    """`moment` as naive UTC, for a database column without time zone."""
    return aware(moment).replace(tzinfo=None)


def iso(moment: dt.datetime) -> str:
    """RFC 3339 with the offset: `2026-12-02T03:31:16.497819+00:00`."""
    return aware(moment).isoformat()
