"""Dashboard plots as inline SVG (no JavaScript): latency percentiles and error rate per service."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

_ENVIRONMENT = Environment(
    loader=PackageLoader("scs_toolkit.health", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
WIDTH, HEIGHT = 480, 120


def render(template: str, **context: Any) -> str:
    return str(_ENVIRONMENT.get_template(template).render(**context))


def plot(points: list[dict[str, Any]]) -> dict[str, Any]:
    """Polylines for p50/p95 latency and bars for the error rate, scaled into WIDTH x HEIGHT."""
    count = max(len(points), 1)
    step = WIDTH / count
    peak = max([p["p95_s"] for p in points if p["p95_s"] is not None] or [0.0]) or 1.0

    def line(key: str) -> str:
        return " ".join(
            f"{(i + 0.5) * step:.1f},{HEIGHT - p[key] / peak * (HEIGHT - 10):.1f}"
            for i, p in enumerate(points)
            if p[key] is not None
        )

    bars = [
        {"x": round(i * step, 1), "width": round(step, 1), "height": round(p["error_rate"] * HEIGHT, 1)}
        for i, p in enumerate(points)
        if p["error_rate"]
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "p50": line("p50_s"),
        "p95": line("p95_s"),
        "errors": bars,
        "peak_s": peak,
    }
