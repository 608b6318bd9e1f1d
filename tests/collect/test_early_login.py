"""`scs check`'s early log-in: the configuration read as openstacksdk reads it (which files, in which order,
secure.yaml, `OS_*`), the shapes left to openstacksdk, and the hand-over to openstacksdk's connection,
which takes the token only when keystoneauth would have sent the same request. Real HTTP to simcloud."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openstack
import pytest
import yaml
from keystoneauth1 import loading

from scs_toolkit.collect import CloudError, CloudSpec, connect, resolve
from scs_toolkit.collect._early_login import DEPRECATED, PLUGIN_OPTIONS, forget, plan_login, start
from scs_toolkit.simcloud import SimCloud
from tests.tls_certificates import loopback_ca

TOKENS = ("identity", "POST", 201)
REFUSED = ("identity", "POST", 401)
TESTS = "scs-0123-service-(compute|identity)"  # quick: two snapshot testcases


@pytest.fixture
def sim(simcloud_factory: Callable[..., SimCloud]) -> SimCloud:
    return simcloud_factory(profile="compliant", seed=5)


@pytest.fixture(autouse=True)
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A working directory of the test's own (./clouds.yaml is a place openstacksdk looks), no attempts left."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for variable in [v for v in os.environ if v.startswith("OS_")]:
        monkeypatch.delenv(variable)
    yield work
    forget()


def _entry(sim: SimCloud, who: str = "user") -> dict[str, Any]:
    return sim.cloud_config(who)


def _write(path: Path, clouds: dict[str, Any], **sections: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"clouds": clouds, **sections}))
    return path


def _agrees(spec: CloudSpec) -> dict[str, str]:
    """The early plan's options, checked against what openstacksdk made of the same configuration."""
    plan = plan_login(spec)
    assert plan is not None
    auth = resolve(spec).config["auth"]
    assert {k: auth[k] for k in plan.options} == plan.options
    return dict(plan.options)


def _sent_early(sim: SimCloud, spec: CloudSpec) -> int:
    """Start the early log-in and see its token request reach the cloud before openstacksdk is even asked."""
    before = sim.cloud.requests[TOKENS]
    assert start(spec)
    deadline = time.monotonic() + 10
    while sim.cloud.requests[TOKENS] == before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sim.cloud.requests[TOKENS] == before + 1
    return before + 1


def _logged_in_once(sim: SimCloud, spec: CloudSpec) -> openstack.connection.Connection:
    """Early log-in, then openstacksdk's connection: it takes that token (no second log-in) and works."""
    expected = _sent_early(sim, spec)
    conn = connect(spec)
    assert sim.cloud.requests[TOKENS] == expected
    assert conn.current_project_id
    assert list(conn.compute.flavors())
    return conn


def test_the_option_tables_are_keystoneauths() -> None:
    for auth_type, options in PLUGIN_OPTIONS.items():
        loader_options = loading.get_plugin_loader(auth_type).get_options()
        assert tuple(o.dest for o in loader_options) == options, auth_type
        for option in loader_options:
            old = [d.name.replace("-", "_") for d in option.deprecated]
            expected = DEPRECATED.get(option.dest)
            generic_only = option.dest.startswith("project_")
            assert old == ([expected] if expected and (auth_type in ("password", "token") or not generic_only) else [])


def test_the_search_path_is_openstacksdks(tmp_path: Path) -> None:
    """Before openstacksdk is imported the places are worked out as it will (platformdirs, XDG_*, the cwd)."""
    script = (
        "from scs_toolkit.collect._early_login import _search_paths\n"
        "ours = _search_paths()\n"
        "import openstack.config.loader as loader\n"
        "assert ours == (loader.CONFIG_FILES, loader.SECURE_FILES), (ours, loader.CONFIG_FILES)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    for extra in ({}, {"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "XDG_CONFIG_DIRS": "/a:/b"}, {"SNAP_REAL_HOME": "/r"}):
        done = subprocess.run(
            [sys.executable, "-c", script],
            env={**env, **extra},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr


def test_clouds_yaml_places_in_openstacksdks_order(sim: SimCloud, tmp_path: Path, place: Path) -> None:
    """OS_CLIENT_CONFIG_FILE, then ./clouds.yaml, then ~/.config/openstack: the first file that exists wins, even
    when another one names the same cloud. `scs check` logs in once, where openstacksdk would have."""
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_STATE_HOME=str(home / ".local/state"))
    right, stale = _entry(sim), _entry(sim)
    stale["auth"]["password"] = "stale"
    _write(home / ".config/openstack/clouds.yaml", {"mine": right})

    def check(**extra: str) -> subprocess.CompletedProcess[str]:
        command = [str(Path(sys.executable).parent / "scs"), "check", "--os-cloud", "mine", "--tests", TESTS]
        before = dict(sim.cloud.requests)
        done = subprocess.run(command, env={**env, **extra}, cwd=place, capture_output=True, text=True, check=False)
        logins = {k[2]: n - before.get(k, 0) for k, n in sim.cloud.requests.items() if k[:2] == ("identity", "POST")}
        assert {k: n for k, n in logins.items() if n} == {201 if done.returncode == 0 else 401: 1}, done.stderr
        return done

    assert check().returncode == 0
    _write(place / "clouds.yaml", {"mine": stale})
    assert "refused the credentials (HTTP 401)" in check().stderr
    assert check(OS_CLIENT_CONFIG_FILE=str(_write(tmp_path / "chosen.yaml", {"mine": right}))).returncode == 0
    # a file that does not exist is passed over
    assert check(OS_CLIENT_CONFIG_FILE=str(tmp_path / "missing.yaml")).returncode == 2


def test_secure_yaml_adds_the_secrets(sim: SimCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _entry(sim)
    auth = dict(entry["auth"])
    password = auth.pop("password")
    clouds = _write(tmp_path / "clouds.yaml", {"mine": {**entry, "auth": auth}})
    secure = _write(tmp_path / "secure.yaml", {"mine": {"auth": {"password": password}}})
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    assert plan_login(CloudSpec("mine")) is None  # no password, no request: openstacksdk says what is missing
    monkeypatch.setenv("OS_CLIENT_SECURE_FILE", str(secure))
    assert _agrees(CloudSpec("mine"))["password"] == password
    _logged_in_once(sim, CloudSpec("mine"))


def test_environment_credentials_and_the_default_cloud(
    sim: SimCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = _entry(sim)["auth"]
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(_write(tmp_path / "clouds.yaml", {"solo": _entry(sim, "user2")})))
    # no name: the only entry of clouds.yaml ...
    plan = plan_login(CloudSpec())
    assert plan is not None and plan.name == "solo" and plan.options["username"] == "scs-user-2"
    # ... unless OS_* credentials make the `envvars` cloud, which is then the default
    for variable, value in {
        "OS_AUTH_URL": auth["auth_url"],
        "OS_USERNAME": auth["username"],
        "OS_PASSWORD": auth["password"],
        "OS_PROJECT_NAME": auth["project_name"],
        "OS_DOMAIN_NAME": "Default",  # openstacksdk's shortcut for the user's and the project's domain
        "OS_IDENTITY_API_VERSION": "3",
    }.items():
        monkeypatch.setenv(variable, value)
    plan = plan_login(CloudSpec())
    assert plan is not None and plan.name == "envvars"
    assert _agrees(CloudSpec("envvars"))["project_domain_name"] == "Default"
    conn = _logged_in_once(sim, CloudSpec("envvars"))
    assert conn.current_user_id == sim.cloud.store.find("user", name="scs-user")["id"]


def test_application_credential_and_token(sim: SimCloud, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = openstack.connect(**sim.connect_kwargs())
    credential = conn.identity.create_application_credential(user=conn.current_user_id, name="early")
    auth_url = _entry(sim)["auth"]["auth_url"]
    monkeypatch.setenv("OS_AUTH_URL", auth_url)
    monkeypatch.setenv("OS_AUTH_TYPE", "v3applicationcredential")
    monkeypatch.setenv("OS_APPLICATION_CREDENTIAL_ID", credential.id)
    monkeypatch.setenv("OS_APPLICATION_CREDENTIAL_SECRET", credential.secret)
    _agrees(CloudSpec("envvars"))
    _logged_in_once(sim, CloudSpec("envvars"))
    for variable in ("OS_APPLICATION_CREDENTIAL_ID", "OS_APPLICATION_CREDENTIAL_SECRET"):
        monkeypatch.delenv(variable)
    monkeypatch.setenv("OS_AUTH_TYPE", "v3token")
    monkeypatch.setenv("OS_TOKEN", conn.session.get_token())
    monkeypatch.setenv("OS_PROJECT_ID", conn.current_project_id)
    _agrees(CloudSpec("envvars"))
    _logged_in_once(sim, CloudSpec("envvars"))


def test_version_discovery_of_an_unversioned_auth_url(
    sim: SimCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """keystoneauth's generic plugins ask the auth URL which identity versions it has and log in at the v3 one."""
    entry = _entry(sim)
    entry["auth"]["auth_url"] = f"{sim.url}/identity"
    entry["project_id"] = sim.cloud.store.find("project", name="scs-project")["id"]  # outside `auth`: moved in
    del entry["auth"]["project_name"]
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(_write(tmp_path / "clouds.yaml", {"root": entry})))
    assert _agrees(CloudSpec("root"))["project_id"] == entry["project_id"]
    _logged_in_once(sim, CloudSpec("root"))


@pytest.mark.parametrize(
    ("change", "sections", "environment"),
    [
        ({"profile": "otc"}, {}, {}),  # a vendor profile (clouds-public.yaml or openstacksdk's own)
        ({"auth_type": "v3oidcpassword"}, {}, {}),
        ({"auth_type": "none"}, {}, {}),
        ({"cert": "/tmp/client.pem", "key": "/tmp/client.key"}, {}, {}),  # TLS client certificate
        ({"auth": {"trust_id": "t"}}, {}, {}),
        ({"auth": {"auth_url": "http://{region_name}.example.com/v3"}}, {}, {}),
        ({"regions": [{"name": "RegionOne", "values": {"auth": {"auth_url": "http://elsewhere/v3"}}}]}, {}, {}),
        ({}, {"cache": {"auth": True}}, {}),  # openstacksdk may take a cached token and send nothing
        ({}, {}, {"HTTPS_PROXY": "http://proxy:3128"}),
        ({}, {}, {"http_proxy": "http://proxy:3128"}),
        ({}, {}, {"OS_CLOUD_NAME": "other"}),
    ],
)
def test_unusual_configurations_are_left_to_openstacksdk(
    sim: SimCloud,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    change: dict[str, Any],
    sections: dict[str, Any],
    environment: dict[str, str],
) -> None:
    entry = _entry(sim)
    for key, value in change.items():
        entry[key] = {**entry[key], **value} if key == "auth" else value
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(_write(tmp_path / "clouds.yaml", {"odd": entry}, **sections)))
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    before = dict(sim.cloud.requests)
    assert plan_login(CloudSpec("odd")) is None
    assert not start(CloudSpec("odd"))
    assert dict(sim.cloud.requests) == before  # nothing was sent


def test_a_different_request_is_not_taken(sim: SimCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The early answer counts only for the request openstacksdk would send: here clouds.yaml changes in between,
    and the connection is the new entry's, from a log-in of openstacksdk's own."""
    clouds = tmp_path / "clouds.yaml"
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(_write(clouds, {"mine": _entry(sim)})))
    expected = _sent_early(sim, CloudSpec("mine"))
    _write(clouds, {"mine": _entry(sim, "user2")})
    conn = connect(CloudSpec("mine"))
    assert sim.cloud.requests[TOKENS] == expected + 1
    assert conn.current_user_id == sim.cloud.store.find("user", name="scs-user-2")["id"]


def test_a_refused_log_in_is_reported_once(sim: SimCloud, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    entry = _entry(sim)
    entry["auth"]["password"] = "wrong"
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(_write(tmp_path / "clouds.yaml", {"badpw": entry})))
    assert start(CloudSpec("badpw"))
    with pytest.raises(CloudError) as raised:
        connect(CloudSpec("badpw"))
    assert raised.value.message == (
        f"cloud badpw: the identity service at {entry['auth']['auth_url']} refused the credentials (HTTP 401)"
    )
    assert sim.cloud.requests[REFUSED] == 1  # Keystone's lockout counts one failure, not two


def test_an_unreachable_auth_url_is_left_to_openstacksdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    entry = {
        "auth": {
            "auth_url": f"http://127.0.0.1:{port}/v3",
            "username": "u",
            "password": "p",
            "project_name": "p",
            "user_domain_name": "Default",
            "project_domain_name": "Default",
        }
    }
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(_write(tmp_path / "clouds.yaml", {"dead": entry})))
    assert start(CloudSpec("dead"))
    with pytest.raises(CloudError) as raised:
        connect(CloudSpec("dead"))
    assert "cannot reach the identity service" in raised.value.message
    assert "Connection refused" in raised.value.message


@pytest.fixture
def tls_front(sim: SimCloud, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """TLS on loopback (a certificate of our own CA) in front of the simulated cloud: (port, CA file)."""
    cert_file, context = loopback_ca(tmp_path)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def pipe(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            target.close()

    def serve() -> None:
        while not stop.is_set():
            try:
                client, _ = listener.accept()
                client.settimeout(10)
                tls = context.wrap_socket(client, server_side=True)
            except (TimeoutError, ssl.SSLError, OSError):
                continue
            upstream = socket.create_connection(("127.0.0.1", sim.port))
            threading.Thread(target=pipe, args=(tls, upstream), daemon=True).start()
            threading.Thread(target=pipe, args=(upstream, tls), daemon=True).start()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], cert_file
    stop.set()
    thread.join(5)
    listener.close()


def test_over_tls_with_the_clouds_ca(
    sim: SimCloud, tls_front: tuple[int, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The early log-in verifies TLS as requests does: with the CA named (cacert: or --os-cacert) it logs in and
    openstacksdk takes the token; without it, it gets nowhere and openstacksdk reports the TLS failure."""
    port, ca = tls_front
    entry = _entry(sim)
    entry["auth_type"] = "v3password"  # keystoneauth's v3 plugin logs in at auth_url without asking for versions
    entry["auth"]["auth_url"] = f"https://127.0.0.1:{port}/identity/v3"
    clouds = _write(tmp_path / "clouds.yaml", {"tls": {**entry, "cacert": str(ca)}, "untrusted": entry})
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    for spec in (CloudSpec("tls"), CloudSpec("untrusted", cacert=str(ca))):
        expected = _sent_early(sim, spec)
        assert connect(spec).current_project_id
        assert sim.cloud.requests[TOKENS] == expected
    assert start(CloudSpec("untrusted"))
    with pytest.raises(CloudError) as raised:
        connect(CloudSpec("untrusted"))
    assert "TLS verification of" in raised.value.message
    assert sim.cloud.requests[TOKENS] == expected
