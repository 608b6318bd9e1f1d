"""Rendering for the public pages and SVG badges: Jinja2 with autoescape (reports are untrusted input)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from .._serving import style_hashes
from . import schemas
from .services.status import aware

_ENVIRONMENT = Environment(
    loader=PackageLoader("scs_toolkit.monitor", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def iso(moment: dt.datetime) -> str:
    """Machine-readable (a `<time datetime>` attribute): ISO 8601, UTC, with its offset."""
    return aware(moment).isoformat()


def utc(moment: dt.datetime, seconds: bool = False) -> str:
    """For people: `2026-12-02 03:31 UTC`."""
    return aware(moment).strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


_ENVIRONMENT.filters.update(iso=iso, utc=utc)
COLOURS = {"PASS": "#4c1", "FAIL": "#e05d44", "MISSING": "#fe7d37", "ABORT": "#9f9f9f", "WARN": "#dfb317"}
DAY_WIDTH = 2


def page_policy() -> str:
    """The Content-Security-Policy of every page: no scripts, only our own inline CSS (by hash),
    images from here and the health monitors' badges, no framing."""
    assert _ENVIRONMENT.loader is not None
    base, _, _ = _ENVIRONMENT.loader.get_source(_ENVIRONMENT, "base.html")
    return (
        f"default-src 'none'; style-src {style_hashes(base)}; img-src 'self' https: http:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def render(template: str, **context: Any) -> str:
    return str(_ENVIRONMENT.get_template(template).render(colours=COLOURS, testcase_ids=testcase_ids, **context))


def testcase_ids(status: schemas.ScopeStatus) -> list[str]:
    """Every testcase any shown version requires, failures first (what needs attention on top)."""
    order = {"FAIL": 0, "MISSING": 1, "ABORT": 2, "PASS": 3}
    worst: dict[str, int] = {}
    for version in status.versions.values():
        for testcase, state in version.testcases.items():
            worst[testcase] = min(worst.get(testcase, 3), order[state.result])
    return sorted(worst, key=lambda t: (worst[t], t))


def badge(label: str, status: schemas.ScopeStatus) -> str:
    """A shields-style SVG badge; all text is XML-escaped by the template engine."""
    message = ", ".join(status.certified) if status.certified else status.summary.lower()
    colour = COLOURS["WARN"] if status.warn else COLOURS[status.summary]
    left, right = 7 * len(label) + 10, 7 * len(message) + 10
    return render("badge.svg", width=left + right, left=left, right=right, label=label, message=message, colour=colour)


def timeline(days: list[schemas.HistoryDay]) -> dict[str, Any]:
    """Rows of coloured runs for the history chart: one for the certification state, one per version.

    Runs of equal days become one rectangle, so 18 months draw with a few dozen shapes.
    """
    labels = ["summary"]
    for day in days:
        labels.extend(v for v in day.versions if v not in labels)
    rows = []
    for label in labels:
        states = [d.summary if label == "summary" else d.versions.get(label) for d in days]
        segments = []
        start = 0
        for index in range(1, len(days) + 1):
            if index == len(days) or states[index] != states[start]:
                if states[start] is not None:
                    segments.append(
                        {
                            "x": start * DAY_WIDTH,
                            "width": (index - start) * DAY_WIDTH,
                            "state": states[start],
                            "title": f"{days[start].date} – {days[index - 1].date}: {states[start]}",
                        }
                    )
                start = index
        rows.append({"label": label, "segments": segments})
    months = [{"x": i * DAY_WIDTH, "label": f"{d.date:%Y-%m}"} for i, d in enumerate(days) if d.date.day == 1]
    return {"rows": rows, "months": months, "width": len(days) * DAY_WIDTH}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
