"""Dashboard charts as server-side SVG (no JavaScript): per service, latency p50/p95, error rate and
API calls over time, with a time axis, gaps where no iteration reached the service, and markers for
alerts and failed iterations.

A point is one iteration (or, when a window holds more iterations than MAX_POINTS, a run of
consecutive ones): the health monitor measures in iterations, so a chart with two iterations has
two points, whatever the window. A line breaks where an iteration made no call to the service (it
failed before) and where the time between two points is much longer than usual (the monitor or the
cloud was away): an outage shows as a gap, never as a flat line.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

_ENVIRONMENT = Environment(
    loader=PackageLoader("scs_toolkit.health", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
MAX_POINTS = 240
#: A line breaks where two points lie further apart than this many times the usual spacing.
GAP_FACTOR = 2.5
WIDTH, LEFT, RIGHT = 640, 52, 10
PANELS = (("latency", 120), ("errors", 46), ("calls", 46))
PANEL_GAP, AXIS = 14, 22
_STEPS = [
    dt.timedelta(seconds=s)
    for s in (1, 2, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)
]


def render(template: str, **context: Any) -> str:
    return str(_ENVIRONMENT.get_template(template).render(**context))


@dataclass(frozen=True)
class Call:
    iteration: int
    at: dt.datetime
    status: int
    duration_s: float

    @property
    def failed(self) -> bool:
        """As the store counts errors: no answer, a server error or rate limiting."""
        return self.status == 0 or self.status >= 500 or self.status == 429


@dataclass(frozen=True)
class Iteration:
    id: int
    started_at: dt.datetime
    duration_s: float
    ok: bool


@dataclass(frozen=True)
class Marker:
    at: dt.datetime
    kind: str  # "alert" (an alert fired), "resolved", "failed" (an iteration failed)
    title: str


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def points(iterations: Sequence[Iteration], calls: Sequence[Call]) -> list[dict[str, Any] | None]:
    """One point per iteration (or run of iterations), oldest first; None where no call reached the service."""
    by_iteration: dict[int, list[Call]] = {}
    for call in calls:
        by_iteration.setdefault(call.iteration, []).append(call)
    ordered = sorted(iterations, key=lambda i: i.started_at)
    size = max(1, math.ceil(len(ordered) / MAX_POINTS))
    result: list[dict[str, Any] | None] = []
    for first in range(0, len(ordered), size):
        group = ordered[first : first + size]
        made = [c for i in group for c in by_iteration.get(i.id, [])]
        if not made:
            result.append(None)
            continue
        durations = [c.duration_s for c in made]
        result.append(
            {
                "at": min(c.at for c in made) + (max(c.at for c in made) - min(c.at for c in made)) / 2,
                "calls": len(made) / len(group),
                "error_rate": sum(1 for c in made if c.failed) / len(made),
                "p50_s": statistics.median(durations),
                "p95_s": percentile(durations, 0.95),
            }
        )
    return result


def _nice_ceiling(value: float) -> float:
    """1, 2 or 5 times a power of ten, at least `value` (axis maximum)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= value))


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


def time_ticks(start: dt.datetime, end: dt.datetime, x: Any, most: int) -> list[dict[str, Any]]:
    """Round times (every 10 s ... 1 week) between start and end, at most `most` of them, labelled
    with the time of day (and the date where the day changes)."""
    span = end - start
    step = next((s for s in _STEPS if span / s <= most), _STEPS[-1])
    epoch = dt.datetime(2000, 1, 3, tzinfo=dt.UTC)  # a Monday: weekly ticks fall on Mondays
    first = epoch + math.ceil((start - epoch) / step) * step
    ticks, moment, previous_day = [], first, None
    while moment <= end:
        daily = step >= dt.timedelta(days=1)
        label = moment.strftime("%m-%d" if daily else "%H:%M:%S" if step < dt.timedelta(minutes=1) else "%H:%M")
        if not daily and moment.date() != previous_day and previous_day is not None:
            label = moment.strftime("%m-%d %H:%M")
        ticks.append({"x": round(x(moment), 1), "label": label, "title": moment.strftime("%Y-%m-%d %H:%M UTC")})
        previous_day = moment.date()
        moment += step
    return ticks


def chart(
    service: str,
    series: list[dict[str, Any] | None],
    start: dt.datetime,
    end: dt.datetime,
    markers: Sequence[Marker] = (),
) -> dict[str, Any]:
    """Geometry of one service's chart: three panels (latency, error rate, calls per iteration)
    sharing a time axis from `start` to `end` (aware UTC)."""
    plot = WIDTH - LEFT - RIGHT
    span = max((end - start).total_seconds(), 1.0)

    def x(moment: dt.datetime) -> float:
        return LEFT + (moment - start).total_seconds() / span * plot

    present = [p for p in series if p is not None]
    spacing = [(b["at"] - a["at"]).total_seconds() for a, b in itertools.pairwise(present)]
    usual = statistics.median(spacing) if spacing else span
    tops, top = {}, 4
    for name, height in PANELS:
        tops[name] = (top, height)
        top += height + PANEL_GAP
    axis_y = top - PANEL_GAP + 2
    peak = _nice_ceiling(max((p["p95_s"] for p in present), default=0.0))
    most_calls = _nice_ceiling(max((p["calls"] for p in present), default=0.0))
    scales = {
        "p50": ("latency", "p50_s", peak),
        "p95": ("latency", "p95_s", peak),
        "errors": ("errors", "error_rate", 1.0),
    }
    lines: dict[str, list[str]] = {}
    dots: dict[str, list[dict[str, float]]] = {}
    for key, (panel, field, maximum) in scales.items():
        panel_top, height = tops[panel]
        runs: list[list[str]] = [[]]
        previous = None
        for point in series:
            if point is None:
                runs.append([])
                previous = None
                continue
            if previous is not None and (point["at"] - previous["at"]).total_seconds() > GAP_FACTOR * usual:
                runs.append([])
            y = panel_top + height - point[field] / maximum * height
            runs[-1].append(f"{x(point['at']):.1f},{y:.1f}")
            previous = point
        lines[key] = [" ".join(run) for run in runs if len(run) > 1]
        dots[key] = [
            {"x": float(run[0].split(",")[0]), "y": float(run[0].split(",")[1])} for run in runs if len(run) == 1
        ]
    calls_top, calls_height = tops["calls"]
    bar = max(1.5, min(8.0, plot / max(len(series), 1) * 0.6))
    bars = [
        {
            "x": round(x(p["at"]) - bar / 2, 1),
            "width": round(bar, 1),
            "y": round(calls_top + calls_height - p["calls"] / most_calls * calls_height, 1),
            "height": round(p["calls"] / most_calls * calls_height, 1),
            "title": f"{p['at']:%Y-%m-%d %H:%M:%S} UTC: {p['calls']:.0f} calls",
        }
        for p in present
    ]
    gaps = _gaps(series, usual, x)
    return {
        "service": service,
        "width": WIDTH,
        "height": axis_y + AXIS,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "panels": {name: {"top": t, "height": h} for name, (t, h) in tops.items()},
        "axis_y": axis_y,
        "p50": lines["p50"],
        "p95": lines["p95"],
        "errors": lines["errors"],
        "dots": dots,
        "bars": bars,
        "gaps": gaps,
        "points": len(present),
        "labels": {
            "latency": [_seconds(peak), _seconds(peak / 2), "0"],
            "errors": ["100 %", "0 %"],
            "calls": [f"{most_calls:.0f}", "0"],
        },
        "ticks": time_ticks(start, end, x, 6),
        "markers": [
            {"x": round(x(m.at), 1), "kind": m.kind, "title": m.title} for m in markers if start <= m.at <= end
        ],
    }


def _gaps(series: list[dict[str, Any] | None], usual: float, x: Any) -> list[dict[str, float]]:
    """Shaded spans where a line breaks for lack of data (between the last point before and the next one)."""
    found, last = [], None
    for point in series:
        if point is None:
            continue
        if last is not None and (point["at"] - last["at"]).total_seconds() > GAP_FACTOR * usual:
            found.append({"x": round(x(last["at"]), 1), "width": round(x(point["at"]) - x(last["at"]), 1)})
        last = point
    return found


def window_start(requested: dt.datetime, iterations: Sequence[Iteration], end: dt.datetime) -> dt.datetime:
    """Where the charts begin: the requested start, or a little before the first iteration when the
    window holds less data than it spans (so a young cloud's points do not crowd the right edge)."""
    if not iterations:
        return requested
    first = min(i.started_at for i in iterations)
    if first <= requested:
        return requested
    return max(requested, first - max((end - first) * 0.05, dt.timedelta(seconds=5)))
