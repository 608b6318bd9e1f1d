"""The health monitor's web side: dashboard pages, JSON summaries, badges, Prometheus `/metrics`."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from importlib import resources
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Response
from fastapi.responses import HTMLResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .._serving import DOCS_POLICIES, SecurityHeaders, style_hashes
from . import _views
from ._metrics import HealthMetrics
from ._store import HealthStore


def summary(store: HealthStore, cloud: str, hours: float) -> dict[str, Any]:
    """Per service calls/errors/percentiles and the iterations of the window: what the badge and pages show."""
    since = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=hours)
    services = store.service_stats(cloud, since)
    iterations = store.iterations(cloud, limit=1000, since=since)
    calls = sum(s.calls for s in services)
    errors = sum(s.errors for s in services)
    return {
        "cloud": cloud,
        "window_hours": hours,
        "iterations": len(iterations),
        "failed_iterations": sum(1 for i in iterations if not i["ok"]),
        "last": iterations[0] if iterations else None,
        "api_calls": calls,
        "api_error_rate": errors / calls if calls else 0.0,
        "services": {s.service: {**asdict(s), "error_rate": s.error_rate} for s in services},
    }


def page_policy() -> str:
    """Content-Security-Policy of the dashboard pages: no scripts, only the base template's inline
    CSS (by hash), images (badges) from here, no framing."""
    base = resources.files("scs_toolkit.health").joinpath("templates", "base.html").read_text(encoding="utf-8")
    return (
        f"default-src 'none'; style-src {style_hashes(base)}; img-src 'self'; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def create_health_app(store: HealthStore, metrics: HealthMetrics) -> FastAPI:
    app = FastAPI(title="SCS health monitor (scs-toolkit)")
    app.add_middleware(SecurityHeaders, page_policy=page_policy(), policies_by_path=DOCS_POLICIES)
    Hours = Query(24.0, gt=0, le=24 * 30, description="window in hours")

    def known(cloud: str) -> None:
        if cloud not in store.clouds():
            raise HTTPException(404, f"no iterations recorded for cloud {cloud!r}")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", response_class=Response)
    def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/api/summary")
    def all_summaries(hours: float = Hours) -> dict[str, Any]:
        return {cloud: summary(store, cloud, hours) for cloud in store.clouds()}

    @app.get("/clouds/{cloud}/summary.json")
    def cloud_summary(cloud: str, hours: float = Hours) -> dict[str, Any]:
        known(cloud)
        return summary(store, cloud, hours)

    @app.get("/clouds/{cloud}/iterations")
    def iterations(cloud: str, limit: int = Query(20, ge=1, le=1000)) -> list[dict[str, Any]]:
        known(cloud)
        return store.iterations(cloud, limit)

    @app.get("/clouds/{cloud}/badge.svg", response_class=Response)
    def badge(cloud: str) -> Response:
        known(cloud)
        data = summary(store, cloud, 24)
        ok = data["last"] is not None and data["last"]["ok"]
        message = f"{'ok' if ok else 'failing'} · {(1 - data['api_error_rate']) * 100:.1f}% API"
        svg = _views.render(
            "badge.svg", left=50, right=7 * len(message) + 10, message=message, colour="#4c1" if ok else "#e05d44"
        )
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=60"})

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index(hours: float = Hours) -> HTMLResponse:
        rows = []
        for cloud in store.clouds():
            data = summary(store, cloud, hours)
            last = data["last"] or {}
            rows.append(
                {
                    "cloud": cloud,
                    "last_ok": bool(last.get("ok")),
                    "last_at": last.get("started_at", "–"),
                    "iterations": data["iterations"],
                    "failed": data["failed_iterations"],
                    "error_rate": data["api_error_rate"],
                }
            )
        return HTMLResponse(_views.render("index.html", clouds=rows))

    @app.get("/clouds/{cloud}", response_class=HTMLResponse, include_in_schema=False)
    def cloud_page(cloud: str, hours: float = Hours) -> HTMLResponse:
        known(cloud)
        since = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(hours=hours)
        series = store.series(cloud, since)
        services = [
            {**asdict(s), "name": s.service, "error_rate": s.error_rate, "plot": _views.plot(series.get(s.service, []))}
            for s in store.service_stats(cloud, since)
        ]
        return HTMLResponse(
            _views.render(
                "cloud.html",
                cloud=cloud,
                hours=hours,
                services=services,
                iterations=store.iterations(cloud, 20),
                alerts=store.alerts(cloud),
            )
        )

    return app
