"""Keystone v3: authentication, catalog, and the identity resources incl. domain managers (scs-0302)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from .._auth import DOMAIN_MANAGED_ROLES, Token, hash_secret, require, roles_of, verify_secret
from .._cloud import Cloud, base_url, cloud_of, service_url
from .._errors import ApiError
from .._store import NotFound, Record, now
from ._common import json_body, no_content, query_filter, respond

router = APIRouter()

_VERSION = {
    "id": "v3.14",
    "status": "stable",
    "updated": "2020-04-07T00:00:00Z",
    "media-types": [{"base": "application/json", "type": "application/vnd.openstack.identity-v3+json"}],
}

#: (catalog type, catalog name, service key) for each service the profile may offer.
_CATALOG = (
    ("identity", "keystone", "identity"),
    ("compute", "nova", "compute"),
    ("image", "glance", "image"),
    ("volumev3", "cinderv3", "volume"),
    ("block-storage", "cinder", "volume"),
    ("network", "neutron", "network"),
    ("load-balancer", "octavia", "load-balancer"),
    ("key-manager", "barbican", "key-manager"),
    ("object-store", "swift", "object-store"),
    ("object-store-s3", "s3", "s3"),
    ("placement", "placement", "placement"),
)


def catalog(request: Request, cloud: Cloud, project_id: str | None) -> list[dict[str, Any]]:
    entries = []
    for kind, name, service in _CATALOG:
        if not cloud.has(service):
            continue
        url = _endpoint_url(request, service, project_id)
        if url is None:
            continue
        endpoint_id = f"{kind}-public"
        entries.append(
            {
                "id": f"{name}-service",
                "type": kind,
                "name": name,
                "endpoints": [
                    {
                        "id": endpoint_id,
                        "interface": "public",
                        "region": cloud.region,
                        "region_id": cloud.region,
                        "url": url,
                    }
                ],
            }
        )
    return entries


def _endpoint_url(request: Request, service: str, project_id: str | None) -> str | None:
    if service == "identity":
        return f"{service_url(request, 'identity')}/v3"
    if service == "compute":
        return f"{service_url(request, 'compute')}/v2.1"
    if service == "volume":
        return f"{service_url(request, 'volume')}/v3/{project_id}" if project_id else None
    if service == "object-store":
        return f"{service_url(request, 'object-store')}/v1/AUTH_{project_id}" if project_id else None
    if service == "s3":
        return f"{base_url(request)}/s3"
    return service_url(request, service)


@router.get("/identity")
@router.get("/identity/")
async def versions(request: Request) -> Response:
    link = {"rel": "self", "href": f"{service_url(request, 'identity')}/v3/"}
    return respond({"versions": {"values": [{**_VERSION, "links": [link]}]}}, status=300)


@router.get("/identity/v3")
@router.get("/identity/v3/")
async def version(request: Request) -> Response:
    link = {"rel": "self", "href": f"{service_url(request, 'identity')}/v3/"}
    return respond({"version": {**_VERSION, "links": [link]}})


# -- tokens -----------------------------------------------------------------------------------


@router.post("/identity/v3/auth/tokens")
async def issue_token(request: Request) -> Response:
    cloud = cloud_of(request)
    auth = await json_body(request, "auth")
    identity = auth.get("identity") or {}
    methods = identity.get("methods") or []
    if not methods:
        raise ApiError(400, "Expecting to find identity methods in auth")
    method = methods[0]
    app_cred: Record | None = None
    if method == "password":
        user = _password_user(cloud, identity.get("password", {}).get("user") or {})
    elif method == "application_credential":
        app_cred = _application_credential(cloud, identity.get("application_credential") or {})
        user = cloud.store.get("user", app_cred["user_id"])
    elif method == "token":
        old = cloud.tokens.get((identity.get("token") or {}).get("id", ""))
        if old is None:
            raise ApiError(401, "The request you have made requires authentication.")
        user = cloud.store.get("user", old.user_id)
    else:
        raise ApiError(401, f"Unsupported authentication method {method!r}")
    if not user.get("enabled", True):
        raise ApiError(401, "The account is disabled.")
    scope = auth.get("scope")
    project_id, domain_id = _resolve_scope(cloud, user, scope, app_cred)
    roles = roles_of(cloud.store, user["id"], project_id, domain_id)
    if app_cred is not None:
        roles = tuple(r for r in roles if r in app_cred["roles"] or not app_cred["roles"])
    if (project_id or domain_id) and not roles:
        raise ApiError(401, "User has no access to the requested scope.")
    token = cloud.issue(
        Token(
            id=secrets.token_urlsafe(32),
            user_id=user["id"],
            methods=(method,),
            expires_at=cloud.token_expiry(),
            issued_at=now(),
            project_id=project_id,
            domain_id=domain_id,
            roles=roles,
            audit_id=secrets.token_urlsafe(16),
            application_credential_id=app_cred["id"] if app_cred else None,
            manager_of_any_domain=(cloud.profile.get("identity") or {}).get("domain_manager_scope") == "any",
        )
    )
    return respond({"token": _token_body(request, cloud, token)}, status=201, headers={"X-Subject-Token": token.id})


def _password_user(cloud: Cloud, spec: dict[str, Any]) -> Record:
    password = spec.get("password")
    user = None
    if "id" in spec:
        user = cloud.store.find("user", id=spec["id"])
    elif "name" in spec:
        domain = _domain_ref(cloud, spec.get("domain") or {})
        user = cloud.store.find("user", name=spec["name"], domain_id=domain["id"]) if domain else None
    if user is None or not isinstance(password, str) or not verify_secret(password, user["_password_hash"]):
        raise ApiError(401, "The request you have made requires authentication.")
    return user


def _application_credential(cloud: Cloud, spec: dict[str, Any]) -> Record:
    secret = spec.get("secret")
    cred = None
    if "id" in spec:
        cred = cloud.store.find("application_credential", id=spec["id"])
    elif "name" in spec:
        user = _password_user_ref(cloud, spec.get("user") or {})
        cred = cloud.store.find("application_credential", name=spec["name"], user_id=user["id"]) if user else None
    if cred is None or not isinstance(secret, str) or not verify_secret(secret, cred["_secret_hash"]):
        raise ApiError(401, "The request you have made requires authentication.")
    return cred


def _password_user_ref(cloud: Cloud, spec: dict[str, Any]) -> Record | None:
    if "id" in spec:
        return cloud.store.find("user", id=spec["id"])
    domain = _domain_ref(cloud, spec.get("domain") or {})
    return cloud.store.find("user", name=spec.get("name"), domain_id=domain["id"]) if domain else None


def _domain_ref(cloud: Cloud, spec: dict[str, Any]) -> Record | None:
    if "id" in spec:
        return cloud.store.find("domain", id=spec["id"])
    if "name" in spec:
        return cloud.store.find("domain", name=spec["name"])
    return None


def _resolve_scope(cloud: Cloud, user: Record, scope: Any, app_cred: Record | None) -> tuple[str | None, str | None]:
    if app_cred is not None:
        return app_cred["project_id"], None
    if not scope:
        return user.get("default_project_id"), None
    if "project" in scope:
        spec = scope["project"]
        project = None
        if "id" in spec:
            project = cloud.store.find("project", id=spec["id"])
        elif "name" in spec:
            domain = _domain_ref(cloud, spec.get("domain") or {})
            project = cloud.store.find("project", name=spec["name"], domain_id=domain["id"]) if domain else None
        if project is None:
            raise ApiError(401, "The requested project could not be found or you have no access to it.")
        return project["id"], None
    if "domain" in scope:
        domain = _domain_ref(cloud, scope["domain"])
        if domain is None:
            raise ApiError(401, "The requested domain could not be found or you have no access to it.")
        return None, domain["id"]
    if "system" in scope:
        raise ApiError(401, "System-scoped tokens are not offered by this cloud.")
    raise ApiError(400, "Unknown scope")


def _token_body(request: Request, cloud: Cloud, token: Token) -> dict[str, Any]:
    user = cloud.store.get("user", token.user_id)
    user_domain = cloud.store.get("domain", user["domain_id"])
    body: dict[str, Any] = {
        "methods": list(token.methods),
        "user": {
            "id": user["id"],
            "name": user["name"],
            "domain": {"id": user_domain["id"], "name": user_domain["name"]},
            "password_expires_at": None,
        },
        "audit_ids": [token.audit_id],
        "expires_at": token.expires_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "issued_at": token.issued_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }
    roles = [_role_ref(cloud, name) for name in token.roles]
    if token.project_id:
        project = cloud.store.get("project", token.project_id)
        domain = cloud.store.get("domain", project["domain_id"])
        body["project"] = {
            "id": project["id"],
            "name": project["name"],
            "domain": {"id": domain["id"], "name": domain["name"]},
        }
        body["is_domain"] = False
        body["roles"] = roles
        body["catalog"] = catalog(request, cloud, project["id"])
    elif token.domain_id:
        domain = cloud.store.get("domain", token.domain_id)
        body["domain"] = {"id": domain["id"], "name": domain["name"]}
        body["roles"] = roles
        body["catalog"] = catalog(request, cloud, None)
    if token.application_credential_id:
        cred = cloud.store.get("application_credential", token.application_credential_id)
        body["application_credential"] = {"id": cred["id"], "name": cred["name"], "restricted": True}
    return body


def _role_ref(cloud: Cloud, name: str) -> dict[str, str]:
    role = cloud.store.find("role", name=name)
    return {"id": role["id"] if role else name, "name": name}


def _subject(request: Request) -> Token:
    cloud = cloud_of(request)
    cloud.token_for(request)
    subject = cloud.tokens.get(request.headers.get("x-subject-token", ""))
    if subject is None:
        raise ApiError(404, "Could not find token.")
    return subject


@router.get("/identity/v3/auth/tokens")
async def validate_token(request: Request) -> Response:
    subject = _subject(request)
    body = _token_body(request, cloud_of(request), subject)
    return respond({"token": body}, headers={"X-Subject-Token": subject.id})


@router.head("/identity/v3/auth/tokens")
async def check_token(request: Request) -> Response:
    _subject(request)
    return Response(status_code=200)


@router.delete("/identity/v3/auth/tokens")
async def revoke_token(request: Request) -> Response:
    subject = _subject(request)
    del cloud_of(request).tokens[subject.id]
    return no_content()


@router.get("/identity/v3/auth/catalog")
async def auth_catalog(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    return respond({"catalog": catalog(request, cloud, token.project_id)})


@router.get("/identity/v3/auth/projects")
async def auth_projects(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    projects = [p for p in cloud.store.all("project") if roles_of(cloud.store, token.user_id, p["id"], None)]
    return respond({"projects": [_view(p) for p in projects]})


@router.get("/identity/v3/auth/domains")
async def auth_domains(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    domains = [d for d in cloud.store.all("domain") if roles_of(cloud.store, token.user_id, None, d["id"])]
    return respond({"domains": [_view(d) for d in domains]})


def _links_of(request: Request) -> dict[str, str | None]:
    """Keystone's collection links; the simulated cloud never pages identity listings."""
    return {"self": str(request.url), "next": None}


def _view(record: Record) -> Record:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _allow(condition: bool, action: str) -> None:
    """Keystone's 403, naming the policy rule that refused."""
    require(condition, f"You are not authorized to perform the requested action: identity:{action}.")


def _target(cloud: Cloud, token: Token, kind: str, record_id: str, allowed: Callable[[Record], bool]) -> Record:
    """Keystone checks the policy before it looks: a target the caller may not see, or that does not
    exist, is a 403 for everyone but admins (who get the 404)."""
    record = cloud.store.find(kind, id=record_id)
    if token.is_admin:
        if record is None:
            raise ApiError(404, f"Could not find {kind}: {record_id}.")
        return record
    _allow(record is not None and allowed(record), f"get_{kind}")
    assert record is not None
    return record


def _links(request: Request, kind: str, record_id: str) -> dict[str, str]:
    return {"self": f"{service_url(request, 'identity')}/v3/{kind}/{record_id}"}


# -- domains ----------------------------------------------------------------------------------


@router.get("/identity/v3/domains")
async def list_domains(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    _allow(token.is_admin or token.is_domain_manager, "list_domains")
    domains = query_filter(cloud.store.all("domain"), request, ("name", "enabled"))
    if not token.is_admin:
        domains = [d for d in domains if d["id"] == token.domain_id]
    return respond({"domains": [_view(d) for d in domains], "links": _links_of(request)})


def _in_domain(cloud: Cloud, token: Token, domain_id: str) -> bool:
    if token.project_id:
        return bool(cloud.store.get("project", token.project_id)["domain_id"] == domain_id)
    return False


@router.get("/identity/v3/domains/{domain_id}")
async def get_domain(request: Request, domain_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    domain = _target(
        cloud, token, "domain", domain_id, lambda d: token.domain_id == d["id"] or _in_domain(cloud, token, d["id"])
    )
    return respond({"domain": _view(domain)})


@router.post("/identity/v3/domains")
async def create_domain(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.is_admin)
    spec = await json_body(request, "domain")
    name = _required_name(spec)
    if cloud.store.find("domain", name=name):
        raise ApiError(409, f"Conflict occurred attempting to store domain - Duplicate entry {name}.")
    domain = cloud.store.add(
        "domain", {"name": name, "description": spec.get("description", ""), "enabled": spec.get("enabled", True)}
    )
    return respond({"domain": _view(domain)}, status=201)


@router.delete("/identity/v3/domains/{domain_id}")
async def delete_domain(request: Request, domain_id: str) -> Response:
    cloud = cloud_of(request)
    require(cloud.token_for(request).is_admin)
    domain = _get(cloud, "domain", domain_id)
    if domain.get("enabled", True):
        raise ApiError(403, "Cannot delete a domain that is enabled, please disable it first.")
    cloud.store.delete("domain", domain_id)
    return no_content()


@router.patch("/identity/v3/domains/{domain_id}")
async def update_domain(request: Request, domain_id: str) -> Response:
    cloud = cloud_of(request)
    require(cloud.token_for(request).is_admin)
    domain = _get(cloud, "domain", domain_id)
    spec = await json_body(request, "domain")
    domain.update({k: v for k, v in spec.items() if k in ("name", "description", "enabled")})
    cloud.store.touch()
    return respond({"domain": _view(domain)})


def _get(cloud: Cloud, kind: str, record_id: str) -> Record:
    try:
        return cloud.store.get(kind, record_id)
    except NotFound:
        raise ApiError(404, f"Could not find {kind}: {record_id}.") from None


def _required_name(spec: dict[str, Any]) -> str:
    name = spec.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError(400, "Invalid input for field 'name': a non-empty name is required.")
    return name


def _owned_domain(cloud: Cloud, token: Token, spec: dict[str, Any], kind: str) -> str:
    """The domain a new user/project/group goes into; domain managers only into their own."""
    domain_id = spec.get("domain_id")
    if domain_id is None and token.is_admin and token.project_id:
        domain_id = cloud.store.get("project", token.project_id)["domain_id"]
    if domain_id is None:
        raise ApiError(403, f"You are not authorized to create a {kind} without a domain.")
    require(token.can_manage_domain(domain_id), f"You are not authorized to create a {kind} in domain {domain_id}.")
    _get(cloud, "domain", domain_id)
    return str(domain_id)


# -- projects ---------------------------------------------------------------------------------


@router.get("/identity/v3/projects")
async def list_projects(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    _allow(token.is_admin or token.is_domain_manager, "list_projects")
    projects = query_filter(cloud.store.all("project"), request, ("name", "domain_id", "enabled", "parent_id"))
    if not token.is_admin:
        projects = [p for p in projects if p["domain_id"] == token.domain_id]
    return respond({"projects": [_project_view(request, p) for p in projects], "links": _links_of(request)})


def _project_view(request: Request, project: Record) -> Record:
    return {**_view(project), "links": _links(request, "projects", project["id"])}


@router.get("/identity/v3/projects/{project_id}")
async def get_project(request: Request, project_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    project = _target(
        cloud,
        token,
        "project",
        project_id,
        lambda p: token.project_id == p["id"] or token.can_manage_domain(p["domain_id"]),
    )
    return respond({"project": _project_view(request, project)})


@router.post("/identity/v3/projects")
async def create_project(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    spec = await json_body(request, "project")
    name = _required_name(spec)
    domain_id = _owned_domain(cloud, token, spec, "project")
    if cloud.store.find("project", name=name, domain_id=domain_id):
        raise ApiError(409, f"Conflict occurred attempting to store project - Duplicate entry {name}.")
    project = cloud.store.add(
        "project",
        {
            "name": name,
            "domain_id": domain_id,
            "description": spec.get("description", ""),
            "enabled": spec.get("enabled", True),
            "is_domain": False,
            "parent_id": spec.get("parent_id") or domain_id,
            "tags": spec.get("tags", []),
        },
    )
    return respond({"project": _project_view(request, project)}, status=201)


@router.patch("/identity/v3/projects/{project_id}")
async def update_project(request: Request, project_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    project = _get(cloud, "project", project_id)
    require(token.can_manage_domain(project["domain_id"]))
    spec = await json_body(request, "project")
    project.update({k: v for k, v in spec.items() if k in ("name", "description", "enabled", "tags")})
    cloud.store.touch()
    return respond({"project": _project_view(request, project)})


@router.delete("/identity/v3/projects/{project_id}")
async def delete_project(request: Request, project_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    project = _get(cloud, "project", project_id)
    require(token.can_manage_domain(project["domain_id"]))
    _drop_assignments(cloud, target_id=project_id)
    cloud.store.delete("project", project_id)
    return no_content()


# -- users ------------------------------------------------------------------------------------


def _user_view(request: Request, user: Record) -> Record:
    return {**_view(user), "links": _links(request, "users", user["id"])}


@router.get("/identity/v3/users")
async def list_users(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    _allow(token.is_admin or token.is_domain_manager, "list_users")
    users = query_filter(cloud.store.all("user"), request, ("name", "domain_id", "enabled"))
    if not token.is_admin:
        users = [u for u in users if u["domain_id"] == token.domain_id]
    return respond({"users": [_user_view(request, u) for u in users], "links": _links_of(request)})


@router.get("/identity/v3/users/{user_id}")
async def get_user(request: Request, user_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    user = _target(
        cloud, token, "user", user_id, lambda u: token.user_id == u["id"] or token.can_manage_domain(u["domain_id"])
    )
    return respond({"user": _user_view(request, user)})


@router.post("/identity/v3/users")
async def create_user(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    spec = await json_body(request, "user")
    name = _required_name(spec)
    domain_id = _owned_domain(cloud, token, spec, "user")
    if cloud.store.find("user", name=name, domain_id=domain_id):
        raise ApiError(409, f"Conflict occurred attempting to store user - Duplicate entry {name}.")
    record: Record = {
        "name": name,
        "domain_id": domain_id,
        "enabled": spec.get("enabled", True),
        "email": spec.get("email"),
        "description": spec.get("description", ""),
        "default_project_id": spec.get("default_project_id"),
        "password_expires_at": None,
        "options": {},
        "_password_hash": hash_secret(spec["password"]) if isinstance(spec.get("password"), str) else "",
    }
    user = cloud.store.add("user", record)
    return respond({"user": _user_view(request, user)}, status=201)


@router.patch("/identity/v3/users/{user_id}")
async def update_user(request: Request, user_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    user = _get(cloud, "user", user_id)
    require(token.can_manage_domain(user["domain_id"]))
    spec = await json_body(request, "user")
    user.update(
        {k: v for k, v in spec.items() if k in ("name", "email", "description", "enabled", "default_project_id")}
    )
    if isinstance(spec.get("password"), str):
        user["_password_hash"] = hash_secret(spec["password"])
    cloud.store.touch()
    return respond({"user": _user_view(request, user)})


@router.delete("/identity/v3/users/{user_id}")
async def delete_user(request: Request, user_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    user = _get(cloud, "user", user_id)
    require(token.can_manage_domain(user["domain_id"]))
    _drop_assignments(cloud, actor_id=user_id)
    for membership in list(cloud.store.select("group_membership", user_id=user_id)):
        cloud.store.delete("group_membership", membership["id"])
    cloud.store.delete("user", user_id)
    return no_content()


@router.get("/identity/v3/users/{user_id}/projects")
async def list_user_projects(request: Request, user_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    user = _get(cloud, "user", user_id)
    require(token.user_id == user_id or token.can_manage_domain(user["domain_id"]))
    projects = [p for p in cloud.store.all("project") if roles_of(cloud.store, user_id, p["id"], None)]
    return respond({"projects": [_project_view(request, p) for p in projects], "links": _links_of(request)})


@router.get("/identity/v3/users/{user_id}/groups")
async def list_user_groups(request: Request, user_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    user = _get(cloud, "user", user_id)
    require(token.user_id == user_id or token.can_manage_domain(user["domain_id"]))
    groups = [cloud.store.get("group", m["group_id"]) for m in cloud.store.select("group_membership", user_id=user_id)]
    return respond({"groups": [_view(g) for g in groups], "links": _links_of(request)})


# -- application credentials ---------------------------------------------------------------------


@router.post("/identity/v3/users/{user_id}/application_credentials")
async def create_application_credential(request: Request, user_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.user_id == user_id, "Application credentials can only be created for yourself.")
    require(token.project_id is not None, "Application credentials need a project-scoped token.")
    if token.application_credential_id:
        raise ApiError(403, "Application credentials cannot create further application credentials.")
    spec = await json_body(request, "application_credential")
    name = _required_name(spec)
    if cloud.store.find("application_credential", name=name, user_id=user_id):
        raise ApiError(409, f"Duplicate application credential name {name}.")
    secret = spec.get("secret") or secrets.token_urlsafe(32)
    requested = [r.get("name") for r in spec.get("roles") or [] if isinstance(r, dict)]
    roles = [r for r in (requested or list(token.roles)) if r in token.roles]
    cred = cloud.store.add(
        "application_credential",
        {
            "name": name,
            "user_id": user_id,
            "project_id": token.project_id,
            "description": spec.get("description"),
            "expires_at": spec.get("expires_at"),
            "unrestricted": bool(spec.get("unrestricted", False)),
            "roles": roles,
            "_secret_hash": hash_secret(secret),
        },
    )
    view = {**_view(cred), "roles": [_role_ref(cloud, r) for r in roles], "secret": secret}
    return respond({"application_credential": view}, status=201)


@router.get("/identity/v3/users/{user_id}/application_credentials")
async def list_application_credentials(request: Request, user_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.user_id == user_id or token.is_admin)
    creds = query_filter(cloud.store.select("application_credential", user_id=user_id), request, ("name",))
    views = [{**_view(c), "roles": [_role_ref(cloud, r) for r in c["roles"]]} for c in creds]
    return respond({"application_credentials": views, "links": _links_of(request)})


@router.get("/identity/v3/users/{user_id}/application_credentials/{cred_id}")
async def get_application_credential(request: Request, user_id: str, cred_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.user_id == user_id or token.is_admin)
    cred = _get(cloud, "application_credential", cred_id)
    if cred["user_id"] != user_id:
        raise ApiError(404, f"Could not find application credential: {cred_id}.")
    return respond({"application_credential": {**_view(cred), "roles": [_role_ref(cloud, r) for r in cred["roles"]]}})


@router.delete("/identity/v3/users/{user_id}/application_credentials/{cred_id}")
async def delete_application_credential(request: Request, user_id: str, cred_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    require(token.user_id == user_id or token.is_admin)
    cred = _get(cloud, "application_credential", cred_id)
    if cred["user_id"] != user_id:
        raise ApiError(404, f"Could not find application credential: {cred_id}.")
    cloud.store.delete("application_credential", cred_id)
    for token_id in [k for k, t in cloud.tokens.items() if t.application_credential_id == cred_id]:
        del cloud.tokens[token_id]
    return no_content()


# -- groups -----------------------------------------------------------------------------------


@router.get("/identity/v3/groups")
async def list_groups(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    _allow(token.is_admin or token.is_domain_manager, "list_groups")
    groups = query_filter(cloud.store.all("group"), request, ("name", "domain_id"))
    if not token.is_admin:
        groups = [g for g in groups if g["domain_id"] == token.domain_id]
    return respond({"groups": [_view(g) for g in groups], "links": _links_of(request)})


@router.get("/identity/v3/groups/{group_id}")
async def get_group(request: Request, group_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    group = _target(cloud, token, "group", group_id, lambda g: token.can_manage_domain(g["domain_id"]))
    return respond({"group": _view(group)})


@router.post("/identity/v3/groups")
async def create_group(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    spec = await json_body(request, "group")
    name = _required_name(spec)
    domain_id = _owned_domain(cloud, token, spec, "group")
    if cloud.store.find("group", name=name, domain_id=domain_id):
        raise ApiError(409, f"Conflict occurred attempting to store group - Duplicate entry {name}.")
    group = cloud.store.add("group", {"name": name, "domain_id": domain_id, "description": spec.get("description", "")})
    return respond({"group": _view(group)}, status=201)


@router.patch("/identity/v3/groups/{group_id}")
async def update_group(request: Request, group_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    group = _get(cloud, "group", group_id)
    require(token.can_manage_domain(group["domain_id"]))
    spec = await json_body(request, "group")
    group.update({k: v for k, v in spec.items() if k in ("name", "description")})
    cloud.store.touch()
    return respond({"group": _view(group)})


@router.delete("/identity/v3/groups/{group_id}")
async def delete_group(request: Request, group_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    group = _get(cloud, "group", group_id)
    require(token.can_manage_domain(group["domain_id"]))
    _drop_assignments(cloud, actor_id=group_id)
    for membership in list(cloud.store.select("group_membership", group_id=group_id)):
        cloud.store.delete("group_membership", membership["id"])
    cloud.store.delete("group", group_id)
    return no_content()


@router.get("/identity/v3/groups/{group_id}/users")
async def list_group_users(request: Request, group_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    group = _get(cloud, "group", group_id)
    require(token.can_manage_domain(group["domain_id"]))
    users = [cloud.store.get("user", m["user_id"]) for m in cloud.store.select("group_membership", group_id=group_id)]
    return respond({"users": [_user_view(request, u) for u in users], "links": _links_of(request)})


def _group_and_user(request: Request, group_id: str, user_id: str) -> tuple[Cloud, Record, Record]:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    group = _get(cloud, "group", group_id)
    user = _get(cloud, "user", user_id)
    require(token.can_manage_domain(group["domain_id"]) and token.can_manage_domain(user["domain_id"]))
    return cloud, group, user


@router.put("/identity/v3/groups/{group_id}/users/{user_id}")
async def add_group_user(request: Request, group_id: str, user_id: str) -> Response:
    cloud, _group, _user = _group_and_user(request, group_id, user_id)
    if not cloud.store.find("group_membership", group_id=group_id, user_id=user_id):
        cloud.store.add("group_membership", {"group_id": group_id, "user_id": user_id})
    return no_content()


@router.head("/identity/v3/groups/{group_id}/users/{user_id}")
async def check_group_user(request: Request, group_id: str, user_id: str) -> Response:
    cloud, _group, _user = _group_and_user(request, group_id, user_id)
    if cloud.store.find("group_membership", group_id=group_id, user_id=user_id):
        return no_content()
    raise ApiError(404, f"User {user_id} is not a member of group {group_id}.")


@router.delete("/identity/v3/groups/{group_id}/users/{user_id}")
async def remove_group_user(request: Request, group_id: str, user_id: str) -> Response:
    cloud, _group, _user = _group_and_user(request, group_id, user_id)
    membership = cloud.store.find("group_membership", group_id=group_id, user_id=user_id)
    if membership is None:
        raise ApiError(404, f"User {user_id} is not a member of group {group_id}.")
    cloud.store.delete("group_membership", membership["id"])
    return no_content()


# -- roles and assignments ----------------------------------------------------------------------


@router.get("/identity/v3/roles")
async def list_roles(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    # domain managers look roles up by name; members only where the deployment's policy lets them
    _allow(token.is_admin or token.is_domain_manager or cloud.member_may("list_roles"), "list_roles")
    roles = query_filter(cloud.store.all("role"), request, ("name", "domain_id"))
    return respond({"roles": [_role_view(request, r) for r in roles], "links": _links_of(request)})


def _role_view(request: Request, role: Record) -> Record:
    return {**_view(role), "options": {}, "links": _links(request, "roles", role["id"])}


@router.get("/identity/v3/roles/{role_id}")
async def get_role(request: Request, role_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    role = _target(
        cloud,
        token,
        "role",
        role_id,
        lambda r: (token.is_domain_manager and r["name"] in DOMAIN_MANAGED_ROLES) or cloud.member_may("list_roles"),
    )
    return respond({"role": _role_view(request, role)})


@router.post("/identity/v3/roles")
async def create_role(request: Request) -> Response:
    cloud = cloud_of(request)
    require(cloud.token_for(request).is_admin)
    spec = await json_body(request, "role")
    name = _required_name(spec)
    if cloud.store.find("role", name=name):
        raise ApiError(409, f"Conflict occurred attempting to store role - Duplicate entry {name}.")
    role = cloud.store.add("role", {"name": name, "domain_id": None, "description": spec.get("description")})
    return respond({"role": _role_view(request, role)}, status=201)


_TARGETS = {"projects": "project", "domains": "domain"}
_ACTORS = {"users": "user", "groups": "group"}


def _assignment_parts(
    request: Request, targets: str, target_id: str, actors: str, actor_id: str, role_id: str
) -> tuple[Cloud, Token, Record]:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    if targets not in _TARGETS or actors not in _ACTORS:
        raise ApiError(404, "Not Found")
    target = _get(cloud, _TARGETS[targets], target_id)
    actor = _get(cloud, _ACTORS[actors], actor_id)
    role = _get(cloud, "role", role_id)
    target_domain = target["id"] if targets == "domains" else target["domain_id"]
    if not token.is_admin:
        require(
            token.is_domain_manager
            and target_domain == token.domain_id
            and actor["domain_id"] == token.domain_id
            and role["name"] in DOMAIN_MANAGED_ROLES
        )
    return cloud, token, role


@router.put("/identity/v3/{targets}/{target_id}/{actors}/{actor_id}/roles/{role_id}")
async def assign_role(
    request: Request, targets: str, target_id: str, actors: str, actor_id: str, role_id: str
) -> Response:
    cloud, _, _role = _assignment_parts(request, targets, target_id, actors, actor_id, role_id)
    if not cloud.store.find("role_assignment", actor_id=actor_id, target_id=target_id, role_id=role_id):
        cloud.store.add(
            "role_assignment",
            {
                "actor_id": actor_id,
                "actor_type": _ACTORS[actors],
                "target_id": target_id,
                "target_type": _TARGETS[targets],
                "role_id": role_id,
            },
        )
    return no_content()


@router.head("/identity/v3/{targets}/{target_id}/{actors}/{actor_id}/roles/{role_id}")
async def check_role(
    request: Request, targets: str, target_id: str, actors: str, actor_id: str, role_id: str
) -> Response:
    cloud, _, _ = _assignment_parts(request, targets, target_id, actors, actor_id, role_id)
    if cloud.store.find("role_assignment", actor_id=actor_id, target_id=target_id, role_id=role_id):
        return no_content()
    raise ApiError(404, "Could not find role assignment.")


@router.delete("/identity/v3/{targets}/{target_id}/{actors}/{actor_id}/roles/{role_id}")
async def unassign_role(
    request: Request, targets: str, target_id: str, actors: str, actor_id: str, role_id: str
) -> Response:
    cloud, _, _ = _assignment_parts(request, targets, target_id, actors, actor_id, role_id)
    assignment = cloud.store.find("role_assignment", actor_id=actor_id, target_id=target_id, role_id=role_id)
    if assignment is None:
        raise ApiError(404, "Could not find role assignment.")
    cloud.store.delete("role_assignment", assignment["id"])
    return no_content()


@router.get("/identity/v3/{targets}/{target_id}/{actors}/{actor_id}/roles")
async def list_assigned_roles(request: Request, targets: str, target_id: str, actors: str, actor_id: str) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    if targets not in _TARGETS or actors not in _ACTORS:
        raise ApiError(404, "Not Found")
    target = _get(cloud, _TARGETS[targets], target_id)
    target_domain = target["id"] if targets == "domains" else target["domain_id"]
    require(token.can_manage_domain(target_domain) or (actor_id == token.user_id))
    roles = [
        cloud.store.get("role", a["role_id"])
        for a in cloud.store.select("role_assignment", actor_id=actor_id, target_id=target_id)
    ]
    return respond({"roles": [_view(r) for r in roles], "links": _links_of(request)})


@router.get("/identity/v3/role_assignments")
async def list_role_assignments(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    everyone = cloud.member_may("list_role_assignments")
    _allow(token.is_admin or token.is_domain_manager or everyone, "list_role_assignments")
    params = request.query_params
    results = []
    for assignment in cloud.store.all("role_assignment"):
        target_domain = (
            assignment["target_id"]
            if assignment["target_type"] == "domain"
            else cloud.store.get("project", assignment["target_id"])["domain_id"]
        )
        if not (token.can_manage_domain(target_domain) or (everyone and assignment["actor_id"] == token.user_id)):
            continue
        if not _assignment_matches(assignment, params):
            continue
        results.append(_assignment_view(cloud, assignment, "include_names" in params))
    return respond({"role_assignments": results, "links": _links_of(request)})


def _assignment_matches(assignment: Record, params: Any) -> bool:
    checks = {
        "user.id": ("actor_id", "user"),
        "group.id": ("actor_id", "group"),
        "scope.project.id": ("target_id", "project"),
        "scope.domain.id": ("target_id", "domain"),
    }
    for param, (field, kind) in checks.items():
        if param in params:
            type_field = "actor_type" if field == "actor_id" else "target_type"
            if assignment[field] != params[param] or assignment[type_field] != kind:
                return False
    return not ("role.id" in params and assignment["role_id"] != params["role.id"])


def _assignment_view(cloud: Cloud, assignment: Record, names: bool) -> Record:
    role = cloud.store.get("role", assignment["role_id"])
    actor = cloud.store.get(assignment["actor_type"], assignment["actor_id"])
    target = cloud.store.get(assignment["target_type"], assignment["target_id"])
    view: Record = {
        "role": {"id": role["id"], **({"name": role["name"]} if names else {})},
        assignment["actor_type"]: {"id": actor["id"], **({"name": actor["name"]} if names else {})},
        "scope": {assignment["target_type"]: {"id": target["id"], **({"name": target["name"]} if names else {})}},
    }
    return view


def _drop_assignments(cloud: Cloud, actor_id: str | None = None, target_id: str | None = None) -> None:
    match = {"actor_id": actor_id} if actor_id else {"target_id": target_id}
    for assignment in list(cloud.store.select("role_assignment", **match)):
        cloud.store.delete("role_assignment", assignment["id"])


# -- catalog administration (read-only) ---------------------------------------------------------


@router.get("/identity/v3/services")
async def list_services(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    _allow(token.is_admin, "list_services")
    entries = catalog(request, cloud, token.project_id)
    services = [{"id": e["id"], "type": e["type"], "name": e["name"], "enabled": True} for e in entries]
    return respond({"services": services, "links": _links_of(request)})


@router.get("/identity/v3/endpoints")
async def list_endpoints(request: Request) -> Response:
    cloud = cloud_of(request)
    token = cloud.token_for(request)
    _allow(token.is_admin, "list_endpoints")
    endpoints = [
        {**endpoint, "service_id": entry["id"], "enabled": True}
        for entry in catalog(request, cloud, token.project_id)
        for endpoint in entry["endpoints"]
    ]
    return respond({"endpoints": endpoints, "links": _links_of(request)})


@router.get("/identity/v3/regions")
async def list_regions(request: Request) -> Response:
    cloud = cloud_of(request)
    cloud.token_for(request)
    region = {"id": cloud.region, "description": "", "parent_region_id": None}
    return respond({"regions": [region], "links": _links_of(request)})
