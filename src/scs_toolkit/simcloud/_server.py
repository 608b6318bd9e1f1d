"""Run a simulated cloud: in a background thread for tests and demos, or in the foreground for `serve`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import yaml

from .._serving import BackgroundServer
from ._app import create_app
from ._cloud import Cloud
from ._faults import FaultInjector, Faults
from ._guests import Guests
from ._profiles import load_profile
from ._seed import seed
from ._store import Store

DEFAULT_CLOUD_NAME = "simcloud"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    project_name: str
    user_domain_name: str = "Default"
    project_domain_name: str = "Default"


@dataclass
class SimCloudOptions:
    profile: str | Path = "compliant"
    host: str = "127.0.0.1"
    port: int = 0
    state_file: Path | None = None
    seed: int | None = None
    faults: Faults = field(default_factory=Faults)
    ssh: bool = True


def build_cloud(options: SimCloudOptions) -> Cloud:
    """The cloud object for a profile: seeded state (or the state file's), faults, guests."""
    profile = load_profile(options.profile)
    store = Store(seed=options.seed, path=options.state_file)
    if not store.load():
        seed(store, profile)
        store.save()
    injector = FaultInjector(options.seed, options.faults)
    if profile.get("faults"):
        injector.configure(profile["faults"])
    cloud = Cloud(store=store, faults=injector, profile=profile, region=profile.get("region", "RegionOne"))
    if options.ssh:
        cloud.guests = Guests(cloud)
    return cloud


def clouds_yaml_entry(url: str, credentials: Credentials, region: str = "RegionOne") -> dict[str, Any]:
    return {
        "auth": {
            "auth_url": f"{url}/identity/v3",
            "username": credentials.username,
            "password": credentials.password,
            "project_name": credentials.project_name,
            "user_domain_name": credentials.user_domain_name,
            "project_domain_name": credentials.project_domain_name,
        },
        "region_name": region,
        "interface": "public",
        "identity_api_version": 3,
    }


def profile_credentials(profile: dict[str, Any]) -> dict[str, Credentials]:
    """Named log-ins the profile documents for clients (`user`, `admin`, ...)."""
    result = {}
    for name, spec in (profile.get("credentials") or {}).items():
        result[name] = Credentials(
            spec["username"],
            spec["password"],
            spec["project"],
            spec.get("domain", "Default"),
            spec.get("domain", "Default"),
        )
    return result


def login(url: str, credentials: Credentials) -> tuple[str, str]:
    """A project-scoped token and the project id, by password, for quick scripts and benchmarks."""
    body = {
        "auth": {
            "identity": {
                "methods": ["password"],
                "password": {
                    "user": {
                        "name": credentials.username,
                        "password": credentials.password,
                        "domain": {"name": credentials.user_domain_name},
                    }
                },
            },
            "scope": {
                "project": {"name": credentials.project_name, "domain": {"name": credentials.project_domain_name}}
            },
        }
    }
    reply = httpx.post(f"{url}/identity/v3/auth/tokens", json=body, timeout=30)
    reply.raise_for_status()
    return reply.headers["X-Subject-Token"], reply.json()["token"]["project"]["id"]


def clouds_yaml(url: str, profile: dict[str, Any], name: str = DEFAULT_CLOUD_NAME) -> dict[str, Any]:
    """A clouds.yaml document: `name` for the ordinary user, `name-admin` etc. for the others."""
    clouds = {}
    for label, credentials in profile_credentials(profile).items():
        key = name if label == "user" else f"{name}-{label}"
        clouds[key] = clouds_yaml_entry(url, credentials, profile.get("region", "RegionOne"))
    return {"clouds": clouds}


def write_clouds_yaml(path: Path, document: dict[str, Any]) -> None:
    """Merge `document`'s clouds into the clouds.yaml at `path`, keeping other entries (mode 0600)."""
    existing = _read_clouds_yaml(path)
    existing.setdefault("clouds", {}).update(document["clouds"])
    _write_private(path, yaml.safe_dump(existing, sort_keys=False))


def remove_clouds_yaml(path: Path, names: list[str]) -> list[str]:
    """Remove the entries `names` from the clouds.yaml at `path`; returns the ones that were there."""
    existing = _read_clouds_yaml(path)
    clouds = existing.get("clouds") or {}
    removed = [name for name in names if name in clouds]
    if removed:
        for name in removed:
            del clouds[name]
        _write_private(path, yaml.safe_dump(existing, sort_keys=False))
    return removed


def _read_clouds_yaml(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(loaded, dict) or not isinstance(loaded.get("clouds", {}), dict):
        raise ValueError(f"{path} is not a clouds.yaml mapping")
    return loaded


def _write_private(path: Path, text: str) -> None:
    """Write atomically, readable by the owner only from the first byte on (it holds passwords)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class SimCloud:
    """A simulated cloud running in a background thread on a loopback port.

    with SimCloud(SimCloudOptions(profile="compliant")) as sim:
        conn = openstack.connect(**sim.connect_kwargs())
    """

    def __init__(self, options: SimCloudOptions | None = None) -> None:
        self.options = options or SimCloudOptions()
        self.cloud = build_cloud(self.options)
        guests = self.cloud.guests
        self._server = BackgroundServer(
            create_app(self.cloud),
            self.options.host,
            self.options.port,
            on_loop=guests.attach if guests is not None else None,  # SSH listeners share the API's loop
            on_close=guests.close if guests is not None else None,
        )
        self.port, self.url = self._server.port, self._server.url

    def start(self) -> SimCloud:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        self.cloud.store.save()

    def __enter__(self) -> SimCloud:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    # -- client configuration ----------------------------------------------------------------

    def credentials(self, who: str = "user") -> Credentials:
        return profile_credentials(self.cloud.profile)[who]

    def cloud_config(self, who: str = "user") -> dict[str, Any]:
        """One clouds.yaml entry for this cloud."""
        return clouds_yaml_entry(self.url, self.credentials(who), self.cloud.region)

    def connect_kwargs(self, who: str = "user") -> dict[str, Any]:
        """Arguments for `openstack.connect(**kwargs)`."""
        entry = self.cloud_config(who)
        return {
            "auth": entry["auth"],
            "region_name": entry["region_name"],
            "interface": "public",
            "identity_api_version": "3",
        }

    def clouds_yaml(self, name: str = DEFAULT_CLOUD_NAME) -> dict[str, Any]:
        return clouds_yaml(self.url, self.cloud.profile, name)
