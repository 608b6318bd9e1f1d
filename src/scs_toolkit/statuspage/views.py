"""Rendering of the public pages: Jinja2 with autoescape (every text comes from API writers or
machines), no JavaScript, colours from the severity table (data, never hard-coded bands)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from .._serving import style_hashes
from .._time import aware
from .services.catalog import MAINTENANCE, UNKNOWN, Band, band_of
from .services.timeline import OPERATIONAL

_ENVIRONMENT = Environment(
    loader=PackageLoader("scs_toolkit.statuspage", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
_URL = re.compile(r"https?://[^\s<>\"'`]+")


def linkify(text: str | None) -> Markup:
    """Plain text with its http(s) URLs as links; everything else escaped (so markup stays text)."""
    if not text:
        return Markup("")
    parts, position = [], 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:)")
        parts.append(escape(text[position : match.start()]))
        parts.append(Markup('<a href="{0}" rel="nofollow noopener">{0}</a>').format(url))
        position = match.start() + len(url)
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def utc(moment: dt.datetime | None, seconds: bool = False) -> str:
    if moment is None:
        return "–"
    return aware(moment).strftime("%Y-%m-%d %H:%M:%S UTC" if seconds else "%Y-%m-%d %H:%M UTC")


def iso(moment: dt.datetime | None) -> str:
    return "" if moment is None else aware(moment).isoformat()


_ENVIRONMENT.filters.update(linkify=linkify, utc=utc, iso=iso)

#: The SCS web UI's default colours, and a colour-blind-safe palette (Okabe-Ito): maintenance, the bands
#: from the mildest to the worst, unknown, and days without any impact.
PALETTES = {
    "default": {"maintenance": "#3b7dd8", "scale": ("#2e9e44", "#f0a500", "#d9342b"), "unknown": "#9e9e9e"},
    "colorblind": {"maintenance": "#0072b2", "scale": ("#009e73", "#e69f00", "#d55e00"), "unknown": "#999999"},
}


@dataclass(frozen=True)
class Colours:
    palette: str
    scale: list[Band]

    def of_band(self, band: Band) -> str:
        chosen = PALETTES[self.palette]
        if band.name == MAINTENANCE:
            return str(chosen["maintenance"])
        if band.name == UNKNOWN:
            return str(chosen["unknown"])
        colours: tuple[str, ...] = chosen["scale"]  # type: ignore[assignment]
        named = len(self.scale) - 1
        if named <= 1:
            return colours[-1]
        index = round((band.rank - 1) / (named - 1) * (len(colours) - 1))
        return colours[min(index, len(colours) - 1)]

    def of(self, severity: int | None) -> str:
        """The colour of a severity value; None (nothing active) is the mildest band's colour."""
        if severity is None:
            return str(PALETTES[self.palette]["scale"][0])
        return self.of_band(band_of(severity, self.scale))

    def name(self, severity: int | None) -> str:
        return OPERATIONAL if severity is None else band_of(severity, self.scale).name


def render(template: str, **context: Any) -> str:
    return str(_ENVIRONMENT.get_template(template).render(**context))


def page_policy() -> str:
    """No scripts, only the base template's inline CSS (by hash), no images from elsewhere, no framing."""
    assert _ENVIRONMENT.loader is not None
    base, _, _ = _ENVIRONMENT.loader.get_source(_ENVIRONMENT, "base.html")
    return (
        f"default-src 'none'; style-src {style_hashes(base)}; img-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
