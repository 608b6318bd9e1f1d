"""The health monitor's web side: dashboard pages, JSON summaries, badges, Prometheus `/metrics`."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from importlib import resources
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Response
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import select

from .._serving import SecurityHeaders
from .._time import aware, naive
from .._web import DOCS_POLICIES, install_docs, install_error_pages
from . import _views
from ._metrics import HealthMetrics
from ._store import API_CALL, ITERATION, HealthStore

#: The range picker's presets, in hours.
RANGES = {"1 h": 1.0, "6 h": 6.0, "24 h": 24.0, "7 d": 168.0}
MAX_HOURS = 24 * 30


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
    """Content-Security-Policy of the dashboard pages: no scripts, styles only from our stylesheet,
    images (badges) from here, the range form submits only here, no framing."""
    return (
        "default-src 'none'; style-src 'self'; img-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def window(hours: float, start: str | None, end: str | None) -> tuple[dt.datetime, dt.datetime]:
    """The chart window as aware UTC: the last `hours`, or from `start` to `end` (ISO date-times, naive
    ones are UTC; the custom range of the picker). 422 for unreadable or impossible ranges."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    if not start:
        return now - dt.timedelta(hours=hours), now
    try:
        begin = aware(dt.datetime.fromisoformat(start))
        finish = aware(dt.datetime.fromisoformat(end)) if end else now
    except ValueError:
        raise HTTPException(422, "start and end must be ISO date-times such as 2026-12-01T08:00") from None
    if finish <= begin:
        raise HTTPException(422, "the range must end after it starts")
    if finish - begin > dt.timedelta(hours=MAX_HOURS):
        raise HTTPException(422, f"a range may span at most {MAX_HOURS // 24} days")
    return begin, min(finish, now)


def chart_data(
    store: HealthStore, cloud: str, start: dt.datetime, end: dt.datetime
) -> tuple[list[_views.Iteration], dict[str, list[_views.Call]]]:
    """The window's iterations and, per service, its API calls: two indexed range queries."""
    begin, finish = naive(start), naive(end)
    with store.engine.connect() as connection:
        iterations = [
            _views.Iteration(row.id, aware(row.started_at), row.duration_s, row.ok)
            for row in connection.execute(
                select(ITERATION.c.id, ITERATION.c.started_at, ITERATION.c.duration_s, ITERATION.c.ok).where(
                    ITERATION.c.cloud == cloud, ITERATION.c.started_at >= begin, ITERATION.c.started_at <= finish
                )
            )
        ]
        calls: dict[str, list[_views.Call]] = {}
        query = select(
            API_CALL.c.service, API_CALL.c.iteration_id, API_CALL.c.at, API_CALL.c.status, API_CALL.c.duration_s
        ).where(API_CALL.c.cloud == cloud, API_CALL.c.at >= begin, API_CALL.c.at <= finish)
        for service, iteration, at, status, duration in connection.execute(query):
            calls.setdefault(service, []).append(_views.Call(iteration, aware(at), status, duration))
    return iterations, calls


def create_health_app(store: HealthStore, metrics: HealthMetrics) -> FastAPI:
    app = FastAPI(title="SCS health monitor (scs-toolkit)", docs_url=None, redoc_url=None)
    app.add_middleware(SecurityHeaders, page_policy=page_policy(), policies_by_path=DOCS_POLICIES)
    app.mount("/static", StaticFiles(packages=[("scs_toolkit.health", "static")]), name="static")
    install_docs(app, favicon="/static/favicon.svg")
    install_error_pages(
        app, lambda code, title, message: _views.render("error.html", status_code=code, title=title, message=message)
    )
    Hours = Query(24.0, gt=0, le=MAX_HOURS, description="window in hours")
    Start = Query(None, max_length=40, description="custom range: from this ISO date-time (naive: UTC)")
    End = Query(None, max_length=40, description="custom range: until this ISO date-time (default: now)")

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

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        icon = resources.files("scs_toolkit.health").joinpath("static", "favicon.svg").read_bytes()
        return Response(icon, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})

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
        return HTMLResponse(_views.render("index.html", clouds=rows, hours=hours, ranges=RANGES))

    @app.get("/clouds/{cloud}", response_class=HTMLResponse, include_in_schema=False)
    def cloud_page(cloud: str, hours: float = Hours, start: str | None = Start, end: str | None = End) -> HTMLResponse:
        known(cloud)
        begin, finish = window(hours, start, end)
        iterations, calls = chart_data(store, cloud, begin, finish)
        shown_from = _views.window_start(begin, iterations, finish)
        alerts = store.alerts(cloud, limit=200)
        markers = [
            _views.Marker(
                a["at"], "alert" if a["firing"] else "resolved", f"{a['at']:%Y-%m-%d %H:%M} {a['rule']}: {a['message']}"
            )
            for a in alerts
        ] + [
            _views.Marker(i.started_at, "failed", f"{i.started_at:%Y-%m-%d %H:%M:%S} iteration failed")
            for i in iterations
            if not i.ok
        ]
        stats = {s.service: s for s in store.service_stats(cloud, naive(begin))}
        services = []
        for service in sorted(calls):
            series = _views.points(iterations, calls[service])
            numbers = stats.get(service)
            services.append(
                {
                    **(asdict(numbers) if numbers else {"calls": 0, "errors": 0, "p50_s": 0.0, "p95_s": 0.0}),
                    "name": service,
                    "error_rate": numbers.error_rate if numbers else 0.0,
                    "chart": _views.chart(service, series, shown_from, finish, markers),
                }
            )
        custom = bool(start)
        return HTMLResponse(
            _views.render(
                "cloud.html",
                cloud=cloud,
                hours=hours,
                start=begin,
                end=finish,
                shown_from=shown_from,
                custom=custom,
                ranges=RANGES,
                services=services,
                iterations=store.iterations(cloud, 20),
                alerts=[a for a in alerts if begin <= a["at"] <= finish][:20],
                failed=sum(1 for i in iterations if not i.ok),
                count=len(iterations),
            )
        )

    return app
