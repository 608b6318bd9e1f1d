"""Operations and embedding: liveness, Prometheus metrics, SVG badges."""

# No `from __future__ import annotations`: FastAPI reads these signatures at runtime.

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from .. import names, schemas, views
from ..dependencies import Current, DbSession, scope_or_404
from ..services import subjects

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus exposition: request counts and latencies per route, reports received, certificates."""
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get(
    "/badges/{subject}/{scope}.svg",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}, 404: {"description": "unknown subject or scope"}},
)
def badge(
    subject: names.SubjectPath,
    scope: Annotated[str, Path(max_length=names.SCOPE_REFERENCE_MAX)],
    db: DbSession,
    current: Current,
) -> Response:
    """A shields-style badge of the subject's certified versions, for embedding (cached 5 minutes)."""
    loaded = scope_or_404(scope)
    snapshot = current.snapshot(db)
    if not snapshot.known(subject):
        raise HTTPException(404, f"unknown subject {subject!r}")

    def render() -> str:
        evaluation = snapshot.evaluation(subject, loaded)
        offered = subjects.offering(snapshot, subject, loaded)
        return views.badge(loaded.name, schemas.scope_status(loaded, evaluation, offering=offered))

    svg = snapshot.memo_for(subject, ("badge", loaded.uuid), render)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "public, max-age=300"})
