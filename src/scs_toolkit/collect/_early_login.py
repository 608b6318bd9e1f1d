"""`scs check`'s log-in, sent before openstacksdk has loaded, and handed to openstacksdk when it agrees.

Importing openstacksdk takes ~0.3 s, and reading clouds.yaml through it put all of that before the
first API request. For the shapes nearly every clouds.yaml and `OS_*` environment has (password,
application credential or token auth; clouds.yaml + secure.yaml in openstacksdk's places, or `OS_*`
variables), `start` reads the configuration as openstacksdk does, with the standard library only, and
sends the Keystone requests on a thread while openstacksdk imports. http.client, because httpx and
keystoneauth1 take 80-100 ms to import, about all the time there is.

Nothing here decides on its own. Once openstacksdk has read the configuration, `adopt` asks
keystoneauth which log-in request *it* would send for that configuration (replaying our discovery
answer to it and catching the request), and takes our answer only when both requests are the same
(URL, headers, body) and so is the TLS verification. Otherwise, and for anything unusual (profiles,
other auth types, client certificates, proxies, token caching, templated URLs, ...), either nothing
was sent or the answer is dropped, and openstacksdk logs in exactly as it always did. A refused log-in
is taken too (HTTP 401/403), as the error keystoneauth would raise, so that a wrong password counts
once against Keystone's lockout, not twice.
"""

from __future__ import annotations

import copy
import http.client
import json
import logging
import os
import ssl
import sys
import threading
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openstack.config.cloud_region import CloudRegion

    from ._login import CloudSpec

_LOG = logging.getLogger(__name__)

#: openstacksdk's defaults.json values that matter here (the rest never reaches a log-in request).
_DEFAULTS: dict[str, Any] = {"auth_type": "password", "verify": True, "cacert": None, "cert": None, "key": None}
#: `OS_*` variables that only select or locate a cloud: alone they make no `envvars` cloud.
_SELECTORS = {"OS_CLOUD", "OS_REGION_NAME", "OS_CLIENT_CONFIG_FILE", "OS_CLIENT_SECURE_FILE", "OS_CLOUD_NAME"}
#: openstacksdk's `_fix_backwards_auth` (not v2password): old spellings into auth, top-level values winning.
_BACKWARDS_AUTH = {
    "domain_id": ("domain_id", "domain-id"),
    "domain_name": ("domain_name", "domain-name"),
    "user_domain_id": ("user_domain_id", "user-domain-id"),
    "user_domain_name": ("user_domain_name", "user-domain-name"),
    "project_domain_id": ("project_domain_id", "project-domain-id"),
    "project_domain_name": ("project_domain_name", "project-domain-name"),
    "token": ("auth-token", "auth_token", "token"),
    "passcode": ("passcode",),
    "project_id": ("tenant_id", "tenant-id", "project_id", "project-id"),
    "project_name": ("tenant_name", "tenant-name", "project_name", "project-name"),
}
_V3 = (
    "auth_url",
    "system_scope",
    "domain_id",
    "domain_name",
    "project_id",
    "project_name",
    "project_domain_id",
    "project_domain_name",
    "trust_id",
)
_USER = ("user_id", "username", "user_domain_id", "user_domain_name")
_CREDENTIAL = ("application_credential_secret", "application_credential_id", "application_credential_name")
#: keystoneauth's options (dest names) of the auth types handled here, in its order (a test compares them
#: with keystoneauth's loaders): openstacksdk moves each from the top level into `auth`.
PLUGIN_OPTIONS = {
    "password": (*_V3, "default_domain_id", "default_domain_name", *_USER, "password"),
    "v3password": (*_V3, *_USER, "password"),
    "token": (*_V3, "default_domain_id", "default_domain_name", "token"),
    "v3token": (*_V3, "token"),
    "v3applicationcredential": (*_V3, *_USER, *_CREDENTIAL),
}
#: Deprecated names keystoneauth still takes: tenant_* by the generic plugins only.
DEPRECATED = {"project_id": "tenant_id", "project_name": "tenant_name", "username": "user_name"}
_GENERIC = {"password", "token"}
#: The options the request is built from here, by method; any other one set (trust, default domain) is
#: left to openstacksdk.
_HANDLED = {
    "password": {*_V3[:8], *_USER, "password"},
    "token": {*_V3[:8], "token"},
    "application_credential": {*_V3[:8], *_USER, *_CREDENTIAL},
}
#: auth type -> (method, whether keystoneauth discovers the identity version first)
_AUTH_TYPES = {
    "password": ("password", True),
    "v3password": ("password", False),
    "token": ("token", True),
    "v3token": ("token", False),
    "v3applicationcredential": ("application_credential", False),
}
_PROXIES = ("http_proxy", "https_proxy", "all_proxy")
#: Seconds for each socket operation unless the cloud sets api_timeout; a slower Keystone is left to openstacksdk.
_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class LoginRequest:
    """One log-in request as keystoneauth would send it (headers: those keystoneauth sets for the log-in)."""

    url: str
    body: Mapping[str, Any]
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Plan:
    """What `start` sends for a cloud: the discovery GET (for keystoneauth's generic plugins), then the log-in."""

    name: str
    auth_type: str
    method: str
    options: Mapping[str, str]
    #: requests' `verify`: False, True (certifi or REQUESTS_CA_BUNDLE) or a CA file/folder
    verify: bool | str
    timeout_s: float
    discovery_url: str | None
    #: the log-in request to auth_url; with discovery it goes to the URL the document names instead
    request: LoginRequest


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Attempt:
    plan: Plan
    #: for an https auth_url (made before the thread starts); else made if discovery names an https URL
    context: ssl.SSLContext | None
    #: set once the requests are on their way (or given up): the CPU work before them is done
    launched: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    discovery: Answer | None = None
    sent: LoginRequest | None = None
    answer: Answer | None = None


_ATTEMPTS: dict[CloudSpec, _Attempt] = {}
_LOCK = threading.Lock()


def start(spec: CloudSpec, *, wait_s: float = 0.5) -> bool:
    """Send the log-in for `spec` on a thread, if its configuration is one of the handled shapes.

    Waits (up to `wait_s`) until the requests are under way, so that what the caller imports next does not
    compete with their preparation for the interpreter. True if a log-in was started."""
    try:
        plan = plan_login(spec)
    except Exception as error:  # never in the way: openstacksdk reads the configuration again and reports
        _LOG.debug("no early log-in: %s", error)
        return False
    if plan is None:
        return False
    import encodings.idna  # noqa: F401  (what the thread would import on its first host name: load it here)

    from ._login import CloudSpec

    try:  # here, so that the thread imports nothing (certifi) while this one imports openstacksdk
        context = _tls_context(plan.verify) if plan.request.url.startswith("https:") else None
    except (OSError, ValueError, ImportError) as error:  # a CA file that is not one: openstacksdk says so
        _LOG.debug("no early log-in: %s", error)
        return False
    attempt = _Attempt(plan, context)
    with _LOCK:
        _ATTEMPTS[CloudSpec(plan.name, spec.insecure, spec.cacert)] = attempt
    threading.Thread(target=_run, args=(attempt,), name=f"early-login-{plan.name}", daemon=True).start()
    attempt.launched.wait(wait_s)
    return True


def forget() -> None:
    """Drop every attempt not taken yet (a new run in the same process starts afresh)."""
    with _LOCK:
        _ATTEMPTS.clear()


def adopt(spec: CloudSpec, region: CloudRegion, conn: Any) -> bool:
    """Give `conn` the token of an early log-in of `spec` if keystoneauth would have sent the same request.

    True when `conn` is logged in; raises the CloudError of a refused log-in (HTTP 401/403) that
    keystoneauth would have got; False when openstacksdk must log in itself."""
    with _LOCK:
        attempt = _ATTEMPTS.pop(spec, None)
    if attempt is None:
        return False
    attempt.done.wait()
    if attempt.sent is None or attempt.answer is None:
        return False
    if region.get_requests_verify_args() != (attempt.plan.verify, None):
        return False
    if expected_request(region, attempt.discovery, attempt.plan.discovery_url) != attempt.sent:
        return False
    answer = attempt.answer
    if answer.status == 201:
        token = answer.headers.get("x-subject-token")
        try:
            body = answer.json()
        except ValueError:
            return False
        if not token or not isinstance(body, dict) or "token" not in body:
            return False
        from keystoneauth1 import access
        from keystoneauth1.identity.base import BaseIdentityPlugin

        auth = conn.session.auth
        if not isinstance(auth, BaseIdentityPlugin):
            return False
        # the plugin keeps its credentials: it logs in again by itself when this token is about to expire
        auth.auth_ref = access.AccessInfoV3(body, auth_token=token)
        return True
    if answer.status in (401, 403) and "openstack-auth-receipt" not in answer.headers:
        from keystoneauth1.exceptions.http import from_response

        from ._login import auth_url, login_error

        error = from_response(_Response(answer), "POST", attempt.sent.url)  # type: ignore[arg-type]
        raise login_error(error, spec.label, auth_url(conn))
    return False


# -- reading the configuration as openstacksdk does ---------------------------------------------------


def _search_paths() -> tuple[list[str], list[str]] | None:
    """clouds.yaml and secure.yaml candidates in openstacksdk's order (OS_CLIENT_*_FILE first).

    openstacksdk fixes its list when it is imported (the working directory, HOME, XDG_* of that moment):
    once it is, its own list counts."""
    loader = sys.modules.get("openstack.config.loader")
    if loader is not None:
        lists = [list(loader.CONFIG_FILES), list(loader.SECURE_FILES)]
    else:
        try:
            import platformdirs  # openstacksdk's own way to name the user and site folders
        except ImportError:
            return None
        dirs = platformdirs.PlatformDirs("openstack", "OpenStack", multipath=True)
        real_home = os.environ.get("SNAP_REAL_HOME")
        unix_home = (
            os.path.join(real_home, ".config", "openstack")
            if real_home
            else os.path.join(os.path.expanduser(os.path.join("~", ".config")), "openstack")
        )
        folders = [os.getcwd(), dirs.user_config_dir, unix_home, dirs.site_config_dir, "/etc/openstack"]
        lists = [
            [os.path.join(d, stem + s) for d in folders for s in (".yaml", ".yml", ".json")]
            for stem in ("clouds", "secure")
        ]
    for names, override in zip(lists, ("OS_CLIENT_CONFIG_FILE", "OS_CLIENT_SECURE_FILE"), strict=True):
        if os.environ.get(override):
            names.insert(0, os.environ[override])
    return lists[0], lists[1]


def _load_first(paths: list[str]) -> tuple[str, Any] | None:
    """The first file that exists and parses (openstacksdk skips unreadable and broken ones)."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    for path in paths:
        if not os.path.exists(path):
            continue
        try:
            with open(path, encoding="utf-8") as file:
                return path, (json.load(file) if path.endswith("json") else yaml.load(file, Loader=loader))
        except (OSError, ValueError, yaml.YAMLError):
            continue
    return None


def _merge(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """openstacksdk's merge_clouds: secure.yaml over clouds.yaml, nested dicts merged."""
    merged = old.copy()
    for key, value in new.items():
        if isinstance(value, dict):
            merged[key] = _merge(merged[key], value) if isinstance(merged.get(key), dict) else value.copy()
        else:
            merged[key] = value
    return merged


def _normalize(config: dict[str, Any]) -> dict[str, Any]:
    """openstacksdk's normalize_keys: `-` to `_` in keys, numbers to strings (api_timeout stays a number)."""
    result: dict[str, Any] = {}
    for key, value in config.items():
        key = key.replace("-", "_")
        if isinstance(value, dict):
            result[key] = _normalize(value)
        elif isinstance(value, bool):
            result[key] = value
        elif isinstance(value, int | float) and key not in ("verbose_level", "api_timeout"):
            result[key] = str(value)
        else:
            result[key] = value
    return result


def _environment_cloud() -> dict[str, Any] | None:
    """The `envvars` cloud openstacksdk makes of `OS_*` variables, or None when only selectors are set."""
    keys = [k for k in os.environ if k.startswith("OS_") and not k.startswith(("OS_TEST", "OS_STD", "OS_LOG"))]
    if not set(keys) - _SELECTORS:
        return None
    return {**_DEFAULTS, **{k.split("_", 1)[-1].lower(): os.environ[k] for k in keys}}


def _clouds() -> dict[str, Any] | None:
    """Every cloud entry openstacksdk would offer (clouds.yaml + secure.yaml, `envvars`), or None if unsure."""
    paths = _search_paths()
    if paths is None:
        return None
    loaded, secure = _load_first(paths[0]), _load_first(paths[1])
    config: Any = loaded[1] if loaded else None
    for item in (loaded, secure):
        if item is not None and not isinstance(item[1], dict):
            return None  # openstacksdk refuses the file: it says so
    if secure is not None:
        config = _merge(config or {}, secure[1])
    config = config or {}
    if "cache" in config:
        return None  # token caching may spare openstacksdk the log-in altogether
    clouds = config.get("clouds") or {}
    if not isinstance(clouds, dict) or "envvars" in clouds or os.environ.get("OS_CLOUD_NAME"):
        return None
    clouds = dict(clouds)
    environment = _environment_cloud()
    if environment is not None:
        clouds["envvars"] = environment
    return clouds


def _cloud_config(spec: CloudSpec) -> tuple[str, dict[str, Any]] | None:
    """The named (or default) cloud's configuration after openstacksdk's fix-ups, before its auth plugin."""
    clouds = _clouds()
    if clouds is None:
        return None
    name = spec.name
    if name is None:
        if os.environ.get("OS_CLOUD"):
            return None
        if "envvars" in clouds:
            name = "envvars"
        elif len(clouds) == 1:
            name = next(iter(clouds))
        else:
            return None
    entry = clouds.get(name)
    if not isinstance(entry, dict) or "profile" in entry or "cloud" in entry:
        return None  # vendor profiles (clouds-public.yaml, openstacksdk's own): openstacksdk expands them
    regions = entry.get("regions")
    if regions is not None and (not isinstance(regions, list) or any(not isinstance(r, str) for r in regions)):
        return None  # per-region values may change anything
    if not isinstance(entry.get("auth", {}), dict):
        return None
    cloud = {**copy.deepcopy(_DEFAULTS), "auth": {}}
    for key, value in copy.deepcopy(entry).items():
        if key == "auth":
            cloud["auth"].update(value)
        else:
            cloud[key] = value
    cloud.pop("regions", None)
    if spec.insecure:
        cloud["verify"] = False
    elif spec.cacert:
        if not Path(spec.cacert).expanduser().is_file():
            return None  # `resolve` refuses it
        cloud["cacert"] = str(Path(spec.cacert).expanduser())
    auth_type = None
    for key in ("auth_plugin", "auth_type"):
        if key in cloud:
            auth_type = cloud.pop(key)
    cloud["auth_type"] = auth_type
    auth = cloud["auth"]
    for target_key, names in _BACKWARDS_AUTH.items():
        target = None
        for key in names:
            if key in auth:
                target = str(auth.pop(key))
            if key in cloud:  # openstacksdk prefers values from outside `auth` (cli or environment overrides)
                target = str(cloud.pop(key))
        if target:
            auth[target_key] = target
    project_scoped = any(k in cloud or k in auth for k in ("project_id", "project_name"))
    for target_key, per_part in (
        ("domain_id", ("user_domain_id", "project_domain_id")),
        ("domain_name", ("user_domain_name", "project_domain_name")),
    ):
        if not project_scoped:
            if target_key in cloud and target_key not in auth:
                auth[target_key] = cloud.pop(target_key)
            continue
        for key in per_part:
            if target_key in auth and key not in auth:
                auth[key] = auth[target_key]
        cloud.pop(target_key, None)
        auth.pop(target_key, None)
    if "insecure" in cloud and not isinstance(cloud["insecure"], bool):
        cloud["insecure"] = str(cloud["insecure"]).lower() == "true" if cloud["insecure"] is not None else False
    return name, _normalize(cloud)


def plan_login(spec: CloudSpec) -> Plan | None:
    """What the early log-in of `spec` sends, or None when it is left to openstacksdk."""
    if any(os.environ.get(name) or os.environ.get(name.upper()) for name in _PROXIES):
        return None  # requests goes through the proxy (or not, by NO_PROXY): openstacksdk's business
    resolved = _cloud_config(spec)
    if resolved is None:
        return None
    name, cloud = resolved
    auth_type = cloud.get("auth_type")
    if auth_type not in _AUTH_TYPES:
        return None
    method, discovers = _AUTH_TYPES[auth_type]
    options = _plugin_options(cloud, auth_type)
    if options is None or not set(options) <= _HANDLED[method] or "auth_url" not in options:
        return None
    if "{" in options["auth_url"] or "}" in options["auth_url"] or cloud.get("cert") or cloud.get("key"):
        return None  # a templated auth_url; TLS client certificates
    verify = _verify(cloud)
    if verify is None:
        return None
    timeout = cloud.get("api_timeout")
    try:
        timeout_s = float(timeout) if timeout is not None else _TIMEOUT_S
    except (TypeError, ValueError):
        return None
    if urllib.parse.urlsplit(options["auth_url"]).scheme not in ("http", "https"):
        return None
    request = login_request(method, options, options["auth_url"])
    if request is None:
        return None
    return Plan(
        name, auth_type, method, options, verify, timeout_s, options["auth_url"] if discovers else None, request
    )


def _plugin_options(cloud: dict[str, Any], auth_type: str) -> dict[str, str] | None:
    """openstacksdk's `_validate_auth`: each plugin option from `auth`, else from the top level; no other keys."""
    auth = dict(cloud["auth"])
    top = {k: v for k, v in cloud.items() if k != "auth"}
    options: dict[str, str] = {}
    for dest in PLUGIN_OPTIONS[auth_type]:
        old = DEPRECATED.get(dest)
        names = (dest, old) if old and (auth_type in _GENERIC or dest == "username") else (dest,)
        value = next((auth[n] for n in names if n in auth), None) or next((top[n] for n in names if n in top), None)
        for n in names:
            auth.pop(n, None)
        if value:
            if not isinstance(value, str):
                return None
            options[dest] = value
    if auth:
        return None  # keys keystoneauth's plugin would be given that are no option of it
    return options


def _verify(cloud: dict[str, Any]) -> bool | str | None:
    """requests' `verify` as openstacksdk's CloudRegion derives it (insecure wins, then cacert)."""
    verify = cloud.get("verify", True)
    if not isinstance(verify, bool):
        return None
    if cloud.get("insecure"):
        verify = False
    cacert = cloud.get("cacert")
    if verify and cacert:
        return os.path.expanduser(str(cacert))
    return verify


def login_request(method: str, options: Mapping[str, str], url: str) -> LoginRequest | None:
    """The log-in request keystoneauth's v3 plugin for `method` sends to the identity API at `url`."""
    headers = {"Accept": "application/json"}
    if method == "password":
        if not options.get("password"):
            return None
        identity: dict[str, Any] = {"password": options["password"]}
        _user(identity, options)
        body_identity: dict[str, Any] = {"methods": ["password"], "password": {"user": identity}}
    elif method == "application_credential":
        if not options.get("application_credential_secret"):
            return None
        credential: dict[str, Any] = {"secret": options["application_credential_secret"]}
        if options.get("application_credential_id"):
            credential["id"] = options["application_credential_id"]
        else:
            if not options.get("application_credential_name"):
                return None
            credential["name"] = options["application_credential_name"]
            credential["user"] = _user({}, options)
        body_identity = {"methods": ["application_credential"], "application_credential": credential}
    else:
        if not options.get("token"):
            return None
        headers["X-Auth-Token"] = options["token"]
        body_identity = {"methods": ["token"], "token": {"id": options["token"]}}
    body: dict[str, Any] = {"auth": {"identity": body_identity}}
    scopes = [
        bool(options.get("domain_id") or options.get("domain_name")),
        bool(options.get("project_id") or options.get("project_name")),
        bool(options.get("system_scope")),
    ]
    if sum(scopes) > 1:
        return None
    if options.get("domain_id"):
        body["auth"]["scope"] = {"domain": {"id": options["domain_id"]}}
    elif options.get("domain_name"):
        body["auth"]["scope"] = {"domain": {"name": options["domain_name"]}}
    elif options.get("project_id"):
        body["auth"]["scope"] = {"project": {"id": options["project_id"]}}
    elif options.get("project_name"):
        project: dict[str, Any] = {"name": options["project_name"]}
        if options.get("project_domain_id"):
            project["domain"] = {"id": options["project_domain_id"]}
        elif options.get("project_domain_name"):
            project["domain"] = {"name": options["project_domain_name"]}
        body["auth"]["scope"] = {"project": project}
    elif options.get("system_scope"):
        if options["system_scope"] != "all":
            return None
        body["auth"]["scope"] = {"system": {"all": True}}
    base = url.rstrip("/")
    return LoginRequest(f"{base}/auth/tokens" if base.endswith("v3") else f"{base}/v3/auth/tokens", body, headers)


def _user(user: dict[str, Any], options: Mapping[str, str]) -> dict[str, Any]:
    if options.get("user_id"):
        user["id"] = options["user_id"]
    elif options.get("username"):
        user["name"] = options["username"]
        if options.get("user_domain_id"):
            user["domain"] = {"id": options["user_domain_id"]}
        elif options.get("user_domain_name"):
            user["domain"] = {"name": options["user_domain_name"]}
    return user


def v3_url(document: Any) -> str | None:
    """The identity v3 URL of a discovery document, when it offers v3 and nothing else (else: None)."""
    if not isinstance(document, dict):
        return None
    versions: Any = document.get("versions")
    if isinstance(versions, dict):
        versions = versions.get("values")
    if versions is None and "version" in document:
        versions = [document["version"]]
    if not isinstance(versions, list):
        return None
    offered = [
        v
        for v in versions
        if isinstance(v, dict) and str(v.get("status", "")).lower() in ("stable", "current", "supported", "deprecated")
    ]
    if len(offered) != 1 or not str(offered[0].get("id", "")).startswith("v3"):
        return None
    selves = [
        link.get("href")
        for link in offered[0].get("links") or []
        if isinstance(link, dict) and str(link.get("rel", "")).lower() == "self"
    ]
    if len(selves) != 1 or not isinstance(selves[0], str):
        return None
    href = selves[0]
    return href if href.startswith(("http://", "https://")) else None


# -- sending ------------------------------------------------------------------------------------------


def _run(attempt: _Attempt) -> None:
    plan = attempt.plan
    connections: dict[tuple[str, str, int | None], http.client.HTTPConnection] = {}
    try:
        request: LoginRequest | None = plan.request
        if plan.discovery_url is not None:
            attempt.launched.set()
            attempt.discovery = _exchange(
                connections, attempt, "GET", plan.discovery_url, None, {"Accept": "application/json"}
            )
            if attempt.discovery.status not in (200, 300):
                return
            url = v3_url(attempt.discovery.json())
            request = login_request(plan.method, plan.options, url) if url else None
        if request is None:
            return
        attempt.launched.set()
        attempt.sent = request
        body = json.dumps(request.body).encode()
        headers = {**request.headers, "Content-Type": "application/json"}
        attempt.answer = _exchange(connections, attempt, "POST", request.url, body, headers)
    except Exception as error:  # connection refused, TLS, a timeout: openstacksdk tries and reports it
        _LOG.debug("early log-in to %s failed: %s", plan.name, error)
        attempt.answer = None
    finally:
        for connection in connections.values():
            connection.close()
        attempt.launched.set()
        attempt.done.set()


def _tls_context(verify: bool | str) -> ssl.SSLContext:
    """TLS as requests would do it: certifi's CAs (or REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE), a CA file or folder, none."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if verify is True:
        location = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if not location:
            import certifi

            location = certifi.where()
    else:
        location = verify
    if os.path.isdir(location):
        context.load_verify_locations(capath=location)
    else:
        context.load_verify_locations(cafile=location)
    return context


def _exchange(
    connections: dict[tuple[str, str, int | None], http.client.HTTPConnection],
    attempt: _Attempt,
    method: str,
    url: str,
    body: bytes | None,
    headers: dict[str, str],
) -> Answer:
    parts = urllib.parse.urlsplit(url)
    key = (parts.scheme, parts.hostname or "", parts.port)
    connection = connections.get(key)
    if connection is None:
        timeout = attempt.plan.timeout_s
        if parts.scheme == "https":
            if attempt.context is None:
                attempt.context = _tls_context(attempt.plan.verify)
            connection = http.client.HTTPSConnection(key[1], key[2], timeout=timeout, context=attempt.context)
        else:
            connection = http.client.HTTPConnection(key[1], key[2], timeout=timeout)
        connections[key] = connection
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    agent = f"scs-toolkit (early log-in) Python/{sys.version_info.major}.{sys.version_info.minor}"
    connection.request(method, target, body=body, headers={**headers, "User-Agent": agent})
    response = connection.getresponse()
    data = response.read()
    return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)


# -- what keystoneauth would send ---------------------------------------------------------------------


class _Captured(Exception):
    def __init__(self, request: LoginRequest) -> None:
        super().__init__(request.url)
        self.request = request


class _NotReplayed(Exception):
    """keystoneauth asked for something our early log-in did not fetch."""


class _Headers(dict[str, str]):
    """Response headers that keystoneauth may read in any capitalisation."""

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and super().__contains__(key.lower())

    def __getitem__(self, key: str) -> str:
        return super().__getitem__(key.lower())

    def get(self, key: str, default: Any = None) -> Any:
        return super().get(key.lower(), default)


class _Response:
    """Just enough of a requests.Response for keystoneauth's discovery and error parsing."""

    def __init__(self, answer: Answer) -> None:
        self.status_code = answer.status
        self.headers = _Headers(answer.headers)
        self.content = answer.body
        self.text = answer.body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class _Replay:
    """Stands in for keystoneauth's Session: answers its discovery request with what the early log-in got,
    and catches its log-in request instead of sending it."""

    auth = None

    def __init__(self, discovery: Answer | None, discovery_url: str | None) -> None:
        self._discovery, self._discovery_url = discovery, discovery_url
        self._discovery_cache: dict[str, Any] = {}

    def get(self, url: str, headers: Any = None, authenticated: Any = None, **kwargs: Any) -> _Response:
        if self._discovery is None or self._discovery_url is None or not _same(url, self._discovery_url):
            raise _NotReplayed(url)
        return _Response(self._discovery)

    def post(self, url: str, json: Any = None, headers: Any = None, **kwargs: Any) -> Any:
        raise _Captured(LoginRequest(url, json, dict(headers or {})))


def _same(url: str, other: str) -> bool:
    """keystoneauth drops an empty or `/` path of a discovery URL: the same request on the wire."""

    def key(value: str) -> str:
        parts = urllib.parse.urlsplit(value)
        return parts._replace(path="" if parts.path in ("", "/") else parts.path).geturl()

    return key(url) == key(other)


def expected_request(region: CloudRegion, discovery: Answer | None, discovery_url: str | None) -> LoginRequest | None:
    """The log-in request keystoneauth would send for openstacksdk's configuration of the cloud, given the
    discovery answer we got (None: it would send none, or something we cannot replay)."""
    from keystoneauth1 import loading

    config = region.config
    auth_type = config.get("auth_type")
    if auth_type not in _AUTH_TYPES:
        return None
    try:
        plugin: Any = loading.get_plugin_loader(auth_type).load_from_options(**config["auth"])
        plugin.get_auth_ref(_Replay(discovery, discovery_url))
    except _Captured as captured:
        return captured.request
    except Exception as error:
        _LOG.debug("keystoneauth's log-in request unknown: %s", error)
    return None
