"""Time-weighted state of components: uptime over a range and the daily bars of the overview.

Both work on impact intervals (begin, end, severity) clipped to the range. At each moment a component
is in the band of its worst active impact, "maintenance" when only maintenance (severity 0) is active,
and "none" without any. Pure functions: the queries live in the callers.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from .catalog import MAINTENANCE, Band, band_of

OPERATIONAL = "operational"
#: In uptime seconds: time without any impact (a severity table may name a band "operational" too).
UNAFFECTED = "none"


@dataclass(frozen=True)
class Interval:
    begin: dt.datetime
    end: dt.datetime | None  # None: still running
    severity: int


@dataclass(frozen=True)
class Uptime:
    seconds: dict[str, float]
    uptime: float | None
    unaffected: float | None


def _segments(
    intervals: Iterable[Interval], start: dt.datetime, end: dt.datetime
) -> list[tuple[dt.datetime, dt.datetime, int | None]]:
    """[start, end) cut where any interval begins or ends: (from, to, worst severity or None)."""
    clipped = []
    for item in intervals:
        begin, stop = max(item.begin, start), min(item.end or end, end)
        if begin < stop:
            clipped.append((begin, stop, item.severity))
    cuts = sorted({start, end, *(b for b, _, _ in clipped), *(s for _, s, _ in clipped)})
    result = []
    for left, right in itertools.pairwise(cuts):
        active = [sev for b, s, sev in clipped if b <= left and s >= right]
        nonzero = [sev for sev in active if sev > 0]
        worst = max(nonzero) if nonzero else (0 if active else None)
        result.append((left, right, worst))
    return result


def uptime(
    intervals: Iterable[Interval], start: dt.datetime, end: dt.datetime, scale: list[Band], include_maintenance: bool
) -> Uptime:
    """Seconds per state; `uptime` = share of the measured time not in the worst named band (or above),
    where maintenance is left out of the measured time unless `include_maintenance` (then it counts as down)."""
    seconds: dict[str, float] = defaultdict(float)
    worst_rank = scale[-1].rank if len(scale) > 1 else 1
    down = 0.0
    for left, right, severity in _segments(intervals, start, end):
        span = (right - left).total_seconds()
        if severity is None:
            seconds[UNAFFECTED] += span
            continue
        band = band_of(severity, scale)
        seconds[band.name] += span
        if band.rank >= worst_rank and severity > 0:
            down += span
    total = (end - start).total_seconds()
    maintenance = seconds.get(MAINTENANCE, 0.0)
    measured = total if include_maintenance else total - maintenance
    if include_maintenance:
        down += maintenance
    affected = total - seconds.get(UNAFFECTED, 0.0) - (0.0 if include_maintenance else maintenance)
    return Uptime(
        dict(seconds),
        None if measured <= 0 else 1.0 - down / measured,
        None if measured <= 0 else 1.0 - affected / measured,
    )


def daily_worst(intervals: Iterable[Interval], days: list[dt.date]) -> dict[dt.date, int | None]:
    """Per UTC day: the highest severity active at any time that day (the SCS web UI's day colour),
    0 when only maintenance, None when nothing."""
    result: dict[dt.date, int | None] = dict.fromkeys(days)
    if not days:
        return result
    first, last = days[0], days[-1]
    for item in intervals:
        begin_day = max(item.begin.date(), first)
        end_moment = item.end
        end_day = min(end_moment.date() if end_moment else last, last)
        if end_moment is not None and end_moment.time() == dt.time() and end_moment.date() > item.begin.date():
            end_day = min((end_moment - dt.timedelta(microseconds=1)).date(), last)  # ended at midnight
        day = begin_day
        while day <= end_day:
            current = result.get(day)
            if day in result and (current is None or item.severity > current):
                result[day] = item.severity
            day += dt.timedelta(days=1)
    return result
