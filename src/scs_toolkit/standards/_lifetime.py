"""How long a testcase result stays valid (scs-0003 lifetimes), as the official tooling computes it.

A result is valid strictly before the returned instant. The periods are calendar-aligned, not
fixed durations, so that a weekly check run on any day of a week covers the following week too.
"""

from __future__ import annotations

import datetime as dt

from ._model import Lifetime


def result_expiry(checked_at: dt.datetime, lifetime: Lifetime | None) -> dt.datetime:
    """The first instant at which a result checked at `checked_at` no longer counts."""
    midnight = dt.datetime.combine(checked_at.date(), dt.time(), tzinfo=checked_at.tzinfo)
    if lifetime == "day":
        return midnight + dt.timedelta(days=2)
    if lifetime in ("week", None):
        return midnight + dt.timedelta(days=14 - checked_at.weekday())
    if lifetime == "month":
        return _first_of_month(midnight, checked_at.month + 2)
    if lifetime == "quarter":
        return _first_of_month(midnight, (checked_at.month - 1) // 3 * 3 + 7)
    if lifetime == "year":
        return _first_of_month(midnight, checked_at.month + 14)
    raise ValueError(f"unknown lifetime {lifetime!r}; expected day, week, month, quarter or year")


def _first_of_month(midnight: dt.datetime, month: int) -> dt.datetime:
    """First day of `month` counted from January of `midnight`'s year (13 = next January)."""
    year, month_index = divmod(month - 1, 12)
    return midnight.replace(year=midnight.year + year, month=month_index + 1, day=1)
