"""Placement: version discovery and the resource providers (one per simulated compute host).

scs-0123 only needs Placement findable in the catalog; what an ordinary member may do with it
follows Placement's default policy: nothing but the version document. Its microversions (1.0 ..
1.39) are negotiated and echoed by `_microversions.MicroversionMiddleware`.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .._auth import require
from .._cloud import cloud_of
from .._microversions import PLACEMENT
from ._common import respond

router = APIRouter()


@router.get("/placement")
@router.get("/placement/")
async def versions(request: Request) -> Response:
    version = {
        "id": "v1.0",
        "status": "CURRENT",
        "min_version": str(PLACEMENT.minimum),
        "max_version": str(PLACEMENT.maximum),
        "links": [{"rel": "self", "href": ""}],
    }
    return respond({"versions": [version]})


@router.get("/placement/resource_providers")
async def resource_providers(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(
        token.is_admin or cloud.member_may("list_resource_providers"),
        "Policy does not allow placement:resource_providers:list to be performed.",
    )
    provider_id = "00000000-0000-4000-8000-000000000001"  # fixed: the one simulated hypervisor
    base = f"/resource_providers/{provider_id}"  # Placement's links are relative
    provider = {
        "uuid": provider_id,
        "name": "simhost",
        "generation": 1,
        "parent_provider_uuid": None,
        "root_provider_uuid": provider_id,
        "links": [
            {"rel": "self", "href": base},
            {"rel": "inventories", "href": f"{base}/inventories"},
            {"rel": "usages", "href": f"{base}/usages"},
        ],
    }
    return respond({"resource_providers": [provider]})
