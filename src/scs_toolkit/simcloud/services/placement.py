"""Placement: only version discovery and an empty resource-provider list (scs-0123 wants it findable)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .._cloud import cloud_of
from ._common import respond

router = APIRouter()


@router.get("/placement")
@router.get("/placement/")
async def versions(request: Request) -> Response:
    version = {"id": "v1.0", "status": "CURRENT", "min_version": "1.0", "max_version": "1.39", "links": []}
    return respond({"versions": [version]})


@router.get("/placement/resource_providers")
async def resource_providers(request: Request) -> Response:
    cloud_of(request).token_for(request)
    return respond({"resource_providers": []})
