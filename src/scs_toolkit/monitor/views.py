"""Rendering for the public pages and SVG badges: Jinja2 with autoescape (reports are untrusted input).

Pages link one stylesheet from /static (no inline CSS, no scripts); charts are server-side SVG.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from .. import standards
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


def day(moment: dt.datetime | dt.date | None) -> str:
    """`2026-12-02`, or a dash when there is no date."""
    if moment is None:
        return "–"
    return (aware(moment) if isinstance(moment, dt.datetime) else moment).strftime("%Y-%m-%d")


def ago(moment: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """`3 h ago`, `2 d ago`: how old a check is, at a glance."""
    if moment is None:
        return "never"
    seconds = max(0.0, ((now or dt.datetime.now(dt.UTC)) - aware(moment)).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f} %"


#: Where a page shows the clock, a mark that escaped data can never contain (autoescape turns every
#: "<" of data into "&lt;"): a page is rendered once per change and cached, its clock filled in per
#: request by `fill_clock` ("3 min ago" and "as of" stay right to the second without a re-rendering).
_CLOCK_MARK = re.compile(r"<!--clock (ago|iso|utc) ([0-9T:.+-]*)-->")


def clock_mark(kind: str, moment: dt.datetime | None = None) -> Markup:
    """`ago` (of `moment`), `iso` or `utc` (of the request's time), filled in by `fill_clock`."""
    assert kind in ("ago", "iso", "utc")
    return Markup(f"<!--clock {kind} {iso(moment) if moment is not None else ''}-->")


def ago_mark(moment: dt.datetime | None) -> Markup:
    """`ago` for a cached page: "never" now, or the mark the request's clock turns into `3 h ago`."""
    return Markup("never") if moment is None else clock_mark("ago", moment)


def fill_clock(page: str, now: dt.datetime) -> str:
    """The page as of `now`: every clock mark replaced (one pass; equal marks computed once)."""
    found: dict[str, str] = {}

    def one(match: re.Match[str]) -> str:
        mark = match.group(0)
        if mark not in found:
            kind, moment = match.groups()
            if kind == "ago":
                found[mark] = str(escape(ago(dt.datetime.fromisoformat(moment), aware(now))))
            else:
                shown = now.replace(microsecond=0)
                found[mark] = iso(shown) if kind == "iso" else utc(shown, seconds=True)
        return found[mark]

    return _CLOCK_MARK.sub(one, page)


_ENVIRONMENT.filters.update(iso=iso, utc=utc, day=day, ago=ago, ago_mark=ago_mark, percent=percent)
_ENVIRONMENT.globals.update(clock_mark=clock_mark)
#: Badge colours (the badge is an image others embed: fixed colours, always with the text).
COLOURS = {"PASS": "#007a5a", "FAIL": "#b23c00", "MISSING": "#8a6100", "ABORT": "#6b6b6b", "WARN": "#8a6100"}
STATE_LABELS = {
    "PASS": "PASS: every required testcase passed",
    "FAIL": "FAIL: a required testcase failed",
    "MISSING": "MISSING: results missing or expired",
    "ABORT": "ABORT: a check could not reach a verdict",
    "NOT-OFFERED": "not offered: the subject does not offer this layer",
}


def page_policy() -> str:
    """The Content-Security-Policy of every page: no scripts, styles only from our stylesheet, images
    from here and the health monitors' badges, the filter form submits only here, no framing."""
    return (
        "default-src 'none'; style-src 'self'; img-src 'self' https: http:; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def render(template: str, **context: Any) -> str:
    """The page as of now (clock marks filled in)."""
    return fill_clock(render_unclocked(template, **context), dt.datetime.now(dt.UTC))


def render_unclocked(template: str, **context: Any) -> str:
    """The page with its clock marks (to cache; `fill_clock` before sending)."""
    return str(
        _ENVIRONMENT.get_template(template).render(
            colours=COLOURS, labels=STATE_LABELS, testcase_ids=testcase_ids, **context
        )
    )


def error_page(status_code: int, title: str, message: str) -> str:
    """The HTML page a browser gets for an error (API clients get JSON)."""
    return render(
        "error.html",
        status_code=status_code,
        title=title,
        message=message,
        nav_scopes=standards.bundled_scopes(),
    )


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
    if not status.offered:  # an IaaS-only cloud's KaaS badge: no defect, nothing to certify
        message, colour = "not offered", COLOURS["ABORT"]
    else:
        message = ", ".join(status.certified) if status.certified else status.summary.lower()
        colour = COLOURS["WARN"] if status.warn else COLOURS[status.summary]
    left, right = 7 * len(label) + 10, 7 * len(message) + 10
    return render("badge.svg", width=left + right, left=left, right=right, label=label, message=message, colour=colour)


@functools.cache
def _remediations() -> dict[str, str]:
    """What to do about a failing testcase: the hint our checks carry (generic, never cloud data)."""
    from ..checks import all_checks

    return {testcase: check.info.remediation for testcase, check in all_checks().items()}


def testcase_links(scope: standards.Scope, testcase: str) -> dict[str, str | None]:
    """Description, the standard text (the testcase's own url, else its module's) and a remediation hint."""
    known = scope.testcases.get(testcase)
    url = known.url if known else None
    if not url:
        url = next((m.url for m in scope.modules.values() if testcase in m.targets.get("main", ())), None)
    return {
        "description": known.description if known else None,
        "url": url if url and url.startswith(("https://", "http://")) else None,
        "remediation": _remediations().get(testcase),
    }


_ORDER = {"FAIL": 0, "MISSING": 1, "ABORT": 2, "PASS": 3}


def by_standard(scope: standards.Scope, status: schemas.ScopeStatus) -> list[dict[str, Any]]:
    """The testcase matrix grouped by standard (module), worst groups first; a group whose testcases
    all pass is shown collapsed."""
    module_of: dict[str, standards.Module] = {}
    for name in status.versions:
        for inclusion in scope.version(name).includes:
            for testcase in inclusion.module.targets.get(standards.MAIN_TARGET, ()):
                module_of.setdefault(testcase, inclusion.module)
    groups: dict[str, dict[str, Any]] = {}
    for testcase in testcase_ids(status):
        module = module_of.get(testcase)
        key = module.id if module else "other"
        group = groups.setdefault(
            key,
            {
                "id": key,
                "name": (module.name if module else None) or key,
                "url": module.url if module and module.url and module.url.startswith("https://") else None,
                "testcases": [],
                "counts": dict.fromkeys(_ORDER, 0),
            },
        )
        cells = [v.testcases[testcase].result for v in status.versions.values() if testcase in v.testcases]
        worst = min(cells, key=lambda r: _ORDER[r]) if cells else "MISSING"
        group["testcases"].append(testcase)
        group["counts"][worst] += 1
    ordered = list(groups.values())
    for group in ordered:
        group["worst"] = next((state for state in _ORDER if group["counts"][state]), "PASS")
    return sorted(ordered, key=lambda g: (_ORDER[g["worst"]], g["id"]))


def focus_version(status: schemas.ScopeStatus) -> tuple[str, schemas.VersionState] | None:
    """The version a summary speaks about: the certified one, else the first certifiable (effective or
    warn) one, else the first listed."""
    for name in status.certified:
        return name, status.versions[name]
    for name, version in status.versions.items():
        if version.state in ("effective", "warn"):
            return name, version
    return next(iter(status.versions.items()), None)


#: History chart geometry (SVG user units; the SVG scales to the page width).
CHART_WIDTHS = {"wide": 1000, "narrow": 380}
LABEL_WIDTH = {"wide": 150, "narrow": 0}
ROW_HEIGHT = 22
ROW_GAP = 8


def timeline(days: list[tuple[dt.date, Any]], first_report: dt.datetime | None, layout: str = "wide") -> dict[str, Any]:
    """The history chart of one scope: a row for the certification state and one per version, runs of
    equal days as one rectangle, days before the first report as "no data", state changes marked.

    `days` are (date, ScopeEvaluation) pairs, oldest first. In the narrow (phone) layout each row's
    label sits above its bar instead of beside it.
    """
    width, label_width = CHART_WIDTHS[layout], LABEL_WIDTH[layout]
    plot = width - label_width - 10
    day_width = plot / max(len(days), 1)
    first_day = first_report.date() if first_report else None
    labels: list[tuple[str, str]] = [("summary", "Certification")]
    for _, evaluation in days:
        for version in evaluation.versions:
            if all(key != version.version for key, _ in labels):
                labels.append((version.version, f"{version.version}"))
    rows, marks = [], []
    band = ROW_HEIGHT + ROW_GAP + (14 if layout == "narrow" else 0)
    for index, (key, label) in enumerate(labels):
        top = 4 + index * band + (14 if layout == "narrow" else 0)
        states: list[str | None] = []
        for date, evaluation in days:
            if first_day is None or date < first_day:
                states.append(None)
            elif key == "summary":
                states.append(evaluation.summary.value)
            else:
                verdict = next((v.verdict.value for v in evaluation.versions if v.version == key), None)
                states.append(verdict)
        segments, start = [], 0
        for position in range(1, len(days) + 1):
            if position == len(days) or states[position] != states[start]:
                state = states[start]
                if state is not None:
                    x, w = label_width + start * day_width, (position - start) * day_width
                    segments.append(
                        {
                            "x": round(x, 2),
                            "width": round(max(w, 1.5), 2),
                            "state": state,
                            "title": f"{label}: {state} {days[start][0]} – {days[position - 1][0]}",
                            "text": state if w >= 42 else "",
                        }
                    )
                if 0 < position < len(days) and states[position] is not None and state is not None:
                    marks.append({"x": round(label_width + position * day_width, 2), "y": top, "h": ROW_HEIGHT})
                start = position
        rows.append({"key": key, "label": label, "y": top, "segments": segments})
    height = 4 + len(labels) * band + 22
    nodata_days = sum(1 for date, _ in days if first_day is None or date < first_day)
    nodata = None
    if nodata_days:
        nodata = {
            "x": label_width,
            "width": round(nodata_days * day_width, 2),
            "height": len(labels) * band - ROW_GAP,
            "text": "no data" if nodata_days * day_width >= 60 else "",
        }
    return {
        "layout": layout,
        "width": width,
        "height": height,
        "label_width": label_width,
        "rows": rows,
        "marks": marks,
        "nodata": nodata,
        "ticks": _ticks([d for d, _ in days], label_width, day_width, height - 18, layout),
        "row_height": ROW_HEIGHT,
    }


def _ticks(dates: list[dt.date], left: float, day_width: float, y: float, layout: str) -> list[dict[str, Any]]:
    """Date labels on the axis: weekly (Mondays) for a few weeks, else month starts, thinned to fit."""
    span = len(dates)
    if span <= 120:
        picked = [(i, d) for i, d in enumerate(dates) if d.weekday() == 0]
        fmt = "%m-%d"
    else:
        picked = [(i, d) for i, d in enumerate(dates) if d.day == 1]
        fmt = "%Y-%m"
    room = 70 if fmt == "%Y-%m" else 50
    ticks, last = [], -1e9
    for index, date in picked:
        x = left + index * day_width
        if x - last < room or x < left + room / 2 - 10 or x > left + span * day_width - room / 2:
            continue
        ticks.append({"x": round(x, 2), "y": y, "label": date.strftime(fmt)})
        last = x
    return ticks


def changes(days: list[tuple[dt.date, Any]], first_report: dt.datetime | None) -> list[dict[str, Any]]:
    """Every state change (certification and per version), newest first, with the report that brought
    it (the newest result of that day) or "results expired" when no report came that day."""
    found = []
    first_day = first_report.date() if first_report else None
    previous: dict[str, str] = {}
    for date, evaluation in days:
        if first_day is None or date < first_day:
            continue
        states = {"summary": evaluation.summary.value, **{v.version: v.verdict.value for v in evaluation.versions}}
        newest = max(
            (t for v in evaluation.versions for t in v.testcases if t.checked_at and t.checked_at.date() == date),
            key=lambda t: t.checked_at,
            default=None,
        )
        for key, state in states.items():
            before = previous.get(key)
            if before is not None and before != state:
                found.append(
                    {
                        "date": date,
                        "what": "Certification" if key == "summary" else f"version {key}",
                        "before": before,
                        "after": state,
                        "report": newest.report_uuid if newest else None,
                    }
                )
            previous[key] = state
    return list(reversed(found))
