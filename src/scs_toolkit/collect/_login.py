"""Which cloud, and logging in to it, the way openstackclient does.

A cloud comes from `--os-cloud`/`OS_CLOUD` (an entry of clouds.yaml, merged with secure.yaml, found in
the usual places or at `OS_CLIENT_CONFIG_FILE`/`OS_CLIENT_SECURE_FILE`), or from plain `OS_*`
environment variables (password, application credential or token). Everything that can go wrong
before the first API call (an unknown entry, incomplete credentials, an unreachable auth URL, a
wrong password, TLS) becomes one `CloudError` with one line that says what happened and one that
says what to do, instead of keystoneauth's repeated discovery warnings and urllib3 dumps.

`scs check` sends the log-in before openstacksdk has even loaded (_early_login); `connect` takes that
token when keystoneauth would have sent the very same request, and logs in itself otherwise.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._retry import with_retries

if TYPE_CHECKING:
    from openstack.config.cloud_region import CloudRegion
    from openstack.connection import Connection

#: The name openstacksdk gives the cloud described by `OS_*` variables (unless OS_CLOUD_NAME says otherwise).
ENVIRONMENT_CLOUD = "envvars"
#: Log-in is retried on 5xx/429 only briefly: an auth URL that refuses is rarely back in seconds.
LOGIN_DELAYS = (0.5, 1.0)
#: keystoneauth and urllib3 log every failed discovery attempt; CloudError says it once.
_NOISY_LOGGERS = ("keystoneauth", "urllib3", "stevedore", "openstack.config")
_REQUIRED = re.compile(r"^(\w+) is a required attribute")
_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")]+)")


@dataclass(frozen=True)
class CloudSpec:
    """A cloud as the user named it: a clouds.yaml entry, or None for the `OS_*` environment."""

    name: str | None = None
    insecure: bool = False
    cacert: str | None = None

    @property
    def label(self) -> str:
        return self.name or ENVIRONMENT_CLOUD


class CloudError(Exception):
    """The cloud cannot be used: `message` says what happened (one line), `hint` what to do."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def quiet_client_logs() -> None:
    """Keep the clients' own warnings off the terminal: every failure reaches the user as a CloudError."""
    for name in _NOISY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


def _config() -> Any:
    import openstack.config
    from openstack import exceptions

    try:
        return openstack.config.OpenStackConfig()
    except exceptions.ConfigException as error:
        raise CloudError(f"cannot read the OpenStack client configuration: {error}", _WHERE_HINT) from None


_WHERE_HINT = "see https://docs.openstack.org/openstacksdk/latest/user/config/configuration.html"


def searched_files(config: Any) -> list[str]:
    """The clouds.yaml locations openstacksdk looked at, in order (OS_CLIENT_CONFIG_FILE first), once each."""
    return list(dict.fromkeys(str(Path(p).expanduser()) for p in getattr(config, "_config_files", [])))


def _searched(config: Any) -> str:
    """The searched places, short: each directory once with the file names it tried."""
    by_directory: dict[str, list[str]] = {}
    for path in searched_files(config):
        parent, name = str(Path(path).parent), Path(path).name
        by_directory.setdefault(parent, []).append(name)
    stems = ["clouds.yaml", "clouds.yml", "clouds.json"]
    shown = []
    for directory, names in by_directory.items():
        if set(stems) <= set(names):  # the usual three spellings: once
            names = [n for n in names if n not in stems] + ["clouds.{yaml,yml,json}"]
        shown += [f"{directory}/{name}" for name in names]
    return ", ".join(shown)


def cloud_names(config: Any | None = None) -> list[str]:
    """The entries a user can name: clouds.yaml's (with secure.yaml), plus `envvars` when `OS_*` is set."""
    config = config or _config()
    return sorted(name for name in config.cloud_config.get("clouds", {}) if name != "defaults")


def _unknown(spec: CloudSpec, config: Any) -> CloudError:
    names = cloud_names(config)
    found = config.config_filename
    where = f"entries in {found}" if found else "no clouds.yaml found"
    listing = f"{where}: {', '.join(names)}" if names else where
    searched = _searched(config)
    if spec.name is None:
        return CloudError(
            "no cloud given and no OS_* credentials in the environment",
            f"name one with --os-cloud NAME or OS_CLOUD ({listing}; searched {searched})",
        )
    return CloudError(f"no cloud named {spec.name!r} ({listing})", f"searched: {searched}")


def resolve(spec: CloudSpec, **options: Any) -> CloudRegion:
    """The cloud's merged configuration (clouds.yaml + secure.yaml + `options`), or a CloudError."""
    from keystoneauth1 import exceptions as ksa_exceptions
    from openstack import exceptions

    config = _config()
    names = config.cloud_config.get("clouds", {})
    if spec.name is None and config.default_cloud in (None, "defaults"):
        raise _unknown(spec, config)
    if spec.name is not None and spec.name not in names:
        raise _unknown(spec, config)
    if spec.insecure:
        options["verify"] = False
    elif spec.cacert:
        if not Path(spec.cacert).expanduser().is_file():
            raise CloudError(
                f"--os-cacert {spec.cacert}: no such file", "give the PEM file of the CA that signed the API"
            )
        options["cacert"] = str(Path(spec.cacert).expanduser())
    try:
        region: CloudRegion = config.get_one(cloud=spec.name, **options)
        return region
    except ksa_exceptions.MissingRequiredOptions as error:
        missing = ", ".join(option.dest for option in error.options)
        raise CloudError(
            f"cloud {spec.label}: incomplete credentials (missing {missing})",
            "add them to the entry in clouds.yaml (secrets may go to secure.yaml) or to the OS_* environment",
        ) from None
    except (exceptions.ConfigException, ksa_exceptions.AuthPluginException) as error:
        raise CloudError(f"cloud {spec.label}: {_first_line(error)}", _WHERE_HINT) from None


def connect(spec: CloudSpec, *, login: bool = True, **options: Any) -> Connection:
    """An openstacksdk connection (authenticated unless `login` is False), or a CloudError.

    `options` go to the configuration like clouds.yaml keys (e.g. api_timeout, connect_retries).
    """
    from openstack.connection import Connection

    quiet_client_logs()
    region = resolve(spec, **options)
    conn = Connection(config=region)
    if login:
        from ._early_login import adopt

        if not adopt(spec, region, conn):  # `scs check` may have sent the log-in already
            authenticate(conn, spec.label)
    return conn


def auth_url(conn: Any) -> str:
    auth = getattr(conn.session, "auth", None)
    return str(getattr(auth, "auth_url", "") or "the auth URL")


def authenticate(conn: Any, label: str) -> None:
    """Get a token now (retrying brief server errors), so that log-in problems surface as one CloudError."""
    try:
        with_retries(conn.session.get_token, delays=LOGIN_DELAYS)
    except Exception as error:
        raise login_error(error, label, auth_url(conn)) from None


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _network_reason(error: BaseException) -> str:
    """'Connection refused', 'Name or service not known', 'timed out', ... from deep inside the chain."""
    for item in _chain(error):
        match = _ERRNO.search(str(item))
        if match:
            return match.group(1).strip()
    text = " ".join(str(item) for item in _chain(error))
    for phrase in ("timed out", "Connection refused", "Connection reset", "Name or service not known"):
        if phrase.lower() in text.lower():
            return phrase
    return _first_line(error)


def login_error(error: BaseException, label: str, url: str) -> CloudError:
    """One line for what went wrong at log-in, and what to do about it."""
    from keystoneauth1 import exceptions as ksa
    from openstack import exceptions as sdk

    chain = list(_chain(error))

    def first(kind: type[BaseException] | tuple[type[BaseException], ...]) -> Any:
        return next((item for item in chain if isinstance(item, kind)), None)

    required = next((m for item in chain if (m := _REQUIRED.search(str(item)))), None)
    if required is not None:  # keystoneauth finds some gaps only when it builds the request
        return CloudError(
            f"cloud {label}: incomplete credentials (missing {required.group(1)})",
            "add it to the entry in clouds.yaml (secrets may go to secure.yaml) or to the OS_* environment",
        )
    if first(ksa.SSLError) is not None:
        return CloudError(
            f"cloud {label}: TLS verification of {url} failed ({_network_reason(first(ksa.SSLError))})",
            "give the CA with --os-cacert FILE (or cacert: in clouds.yaml); --insecure only for tests",
        )
    status = _http_status(chain)
    if status == 401:
        return CloudError(
            f"cloud {label}: the identity service at {url} refused the credentials (HTTP 401)",
            "check user name, password (or application credential / token), user and project domain",
        )
    if status == 403:
        return CloudError(
            f"cloud {label}: the account may not log in to the requested project (HTTP 403)",
            "check project_name/project_id and that the user has a role in it",
        )
    if status == 404:
        return CloudError(
            f"cloud {label}: {url} is not an identity API (HTTP 404)",
            "auth_url is usually https://keystone.example.com:5000/v3 or .../identity/v3",
        )
    if status is not None and (status >= 500 or status == 429):
        return CloudError(
            f"cloud {label}: the identity service at {url} keeps failing (HTTP {status})",
            "try again later; the cloud's operator sees the cause in Keystone's log",
        )
    if first((ksa.ConnectionError, ConnectionError)) is not None or first(ksa.DiscoveryFailure) is not None:
        return CloudError(
            f"cloud {label}: cannot reach the identity service at {url} ({_network_reason(error)})",
            "check auth_url, the network path (VPN, proxy: HTTPS_PROXY/NO_PROXY) and that the API is up",
        )
    if first((ksa.EndpointNotFound, sdk.SDKException)) is not None:
        return CloudError(f"cloud {label}: {_first_line(error)}", "check region_name and interface in clouds.yaml")
    return CloudError(f"cloud {label}: log-in failed: {type(error).__name__}: {_first_line(error)}", None)


def _http_status(chain: list[BaseException]) -> int | None:
    for item in chain:
        for attribute in ("http_status", "status_code"):
            value = getattr(item, attribute, None)
            if isinstance(value, int):
                return value
    return None
