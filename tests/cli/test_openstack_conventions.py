"""Naming a cloud the way openstackclient does: --os-cloud/OS_CLOUD, clouds.yaml + secure.yaml, plain OS_*
environment credentials (password, application credential, token), TLS options, and log-in failures as
one clear line. Every command that talks to a cloud shares this, so each is exercised here."""

from __future__ import annotations

import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import openstack
import pytest
import yaml

from scs_toolkit.simcloud import SimCloud, write_clouds_yaml
from tests.tls_certificates import loopback_ca

SCS = Path(sys.executable).parent / "scs"
TESTS = "scs-0123-service-(compute|identity)"  # quick: two snapshot testcases


@pytest.fixture
def sim(simcloud_factory: Callable[..., SimCloud]) -> SimCloud:
    return simcloud_factory(profile="compliant", seed=11)


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    """An environment with a private HOME, so that no clouds.yaml of the user's is ever read or written."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    env.update(HOME=str(tmp_path / "home"), XDG_CONFIG_HOME=str(tmp_path / "home/.config"))
    env["XDG_STATE_HOME"] = str(tmp_path / "home/.local/state")
    return env


def scs(env: dict[str, str], *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(SCS), *args], env=env, capture_output=True, text=True, timeout=240, check=False, cwd=cwd)


def _entry(sim: SimCloud, name: str = "mine") -> dict[str, object]:
    return sim.clouds_yaml(name)["clouds"][name]


def test_os_cloud_names_the_entry_and_secure_yaml_holds_the_password(
    sim: SimCloud, home: dict[str, str], tmp_path: Path
) -> None:
    entry = _entry(sim)
    auth = dict(entry["auth"])  # type: ignore[call-overload]
    password = auth.pop("password")
    clouds, secure = tmp_path / "clouds.yaml", tmp_path / "secure.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"mine": {**entry, "auth": auth}, "other": {**entry, "auth": auth}}}))
    secure.write_text(yaml.safe_dump({"clouds": {"mine": {"auth": {"password": password}}}}))
    env = {**home, "OS_CLIENT_CONFIG_FILE": str(clouds), "OS_CLIENT_SECURE_FILE": str(secure), "OS_CLOUD": "mine"}
    done = scs(env, "check", "--tests", TESTS, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout)["subject"] == "mine"
    # the entry without a password in secure.yaml cannot log in, and says which parameter is missing
    other = scs({**env, "OS_CLOUD": "other"}, "check", "--tests", TESTS)
    assert other.returncode == 2
    assert "incomplete credentials (missing password)" in other.stderr
    assert "Traceback" not in other.stderr


def test_plain_os_environment_with_password_or_application_credential(sim: SimCloud, home: dict[str, str]) -> None:
    auth = _entry(sim)["auth"]
    assert isinstance(auth, dict)
    env = {
        **home,
        "OS_AUTH_URL": auth["auth_url"],
        "OS_USERNAME": auth["username"],
        "OS_PASSWORD": auth["password"],
        "OS_PROJECT_NAME": auth["project_name"],
        "OS_USER_DOMAIN_NAME": "Default",
        "OS_PROJECT_DOMAIN_NAME": "Default",
        "OS_IDENTITY_API_VERSION": "3",
    }
    done = scs(env, "check", "--tests", TESTS, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout)["subject"] == "envvars"
    conn = openstack.connect(**sim.connect_kwargs())
    credential = conn.identity.create_application_credential(user=conn.current_user_id, name="ci")
    app_env = {
        **home,
        "OS_AUTH_URL": auth["auth_url"],
        "OS_AUTH_TYPE": "v3applicationcredential",
        "OS_APPLICATION_CREDENTIAL_ID": credential.id,
        "OS_APPLICATION_CREDENTIAL_SECRET": credential.secret,
    }
    done = scs(app_env, "check", "--tests", TESTS, "--subject", "ci-cloud", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout)["subject"] == "ci-cloud"
    wrong = scs({**app_env, "OS_APPLICATION_CREDENTIAL_SECRET": "nope"}, "check", "--tests", TESTS)
    assert wrong.returncode == 2 and "refused the credentials (HTTP 401)" in wrong.stderr


def test_token_from_the_environment(sim: SimCloud, home: dict[str, str]) -> None:
    conn = openstack.connect(**sim.connect_kwargs())
    token = conn.session.get_token()
    auth = _entry(sim)["auth"]
    assert isinstance(auth, dict)
    env = {
        **home,
        "OS_AUTH_URL": auth["auth_url"],
        "OS_AUTH_TYPE": "v3token",
        "OS_TOKEN": token,
        "OS_PROJECT_NAME": auth["project_name"],
        "OS_PROJECT_DOMAIN_NAME": "Default",
    }
    done = scs(env, "check", "--tests", TESTS, "--format", "json")
    assert done.returncode == 0, done.stderr


def test_unknown_entry_lists_what_exists_and_where_it_looked(
    sim: SimCloud, home: dict[str, str], tmp_path: Path
) -> None:
    clouds = tmp_path / "clouds.yaml"
    write_clouds_yaml(clouds, sim.clouds_yaml("alpha"))
    env = {**home, "OS_CLIENT_CONFIG_FILE": str(clouds)}
    for command in (["check"], ["health", "run"], ["health", "cleanup"], ["check", "cleanup"]):
        done = scs(env, *command, "--os-cloud", "beta")
        assert done.returncode == 2, (command, done.stderr)
        assert "no cloud named 'beta'" in done.stderr
        assert "alpha, alpha-admin, alpha-user2" in done.stderr
        assert str(clouds) in done.stderr and ".config/openstack/clouds.{yaml,yml,json}" in done.stderr
        assert "Traceback" not in done.stderr
    nothing = scs(home, "check")  # no entry, no environment: say how to name one
    assert nothing.returncode == 2 and "--os-cloud NAME or OS_CLOUD" in nothing.stderr


def test_wrong_password_and_unreachable_auth_url_are_one_clear_line(
    sim: SimCloud, home: dict[str, str], tmp_path: Path
) -> None:
    entry = _entry(sim)
    auth = entry["auth"]
    assert isinstance(auth, dict)
    with socket.socket() as probe:  # a port that refuses connections
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(
        yaml.safe_dump(
            {
                "clouds": {
                    "badpw": {**entry, "auth": {**auth, "password": "wrong"}},
                    "dead": {**entry, "auth": {**auth, "auth_url": f"http://127.0.0.1:{dead_port}/v3"}},
                    "notkeystone": {**entry, "auth": {**auth, "auth_url": f"{sim.url}/nothing/v3"}},
                }
            }
        )
    )
    env = {**home, "OS_CLIENT_CONFIG_FILE": str(clouds)}
    expected = {
        "badpw": "refused the credentials (HTTP 401)",
        "dead": "cannot reach the identity service",
        "notkeystone": "is not an identity API (HTTP 404)",
    }
    for cloud, says in expected.items():
        done = scs(env, "check", "--os-cloud", cloud)
        assert done.returncode == 2
        lines = done.stderr.strip().splitlines()
        assert lines[0].startswith(f"error: cloud {cloud}: ") and says in lines[0], done.stderr
        assert len(lines) <= 3 and lines[-1].startswith("hint:"), done.stderr  # the hint may wrap once
        assert "Failed to discover" not in done.stderr and "urllib3" not in done.stderr
    refused = scs(env, "check", "--os-cloud", "dead")
    assert "Connection refused" in refused.stderr


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An HTTPS server on loopback with a certificate of our own CA; answers 404 to everything."""
    cert_file, context = loopback_ca(tmp_path)
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            try:
                with context.wrap_socket(client, server_side=True) as tls:
                    tls.recv(65536)
                    tls.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            except (ssl.SSLError, OSError):
                client.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{listener.getsockname()[1]}/v3", cert_file
    stop.set()
    thread.join(5)
    listener.close()


def test_tls_trust_by_cacert_or_insecure(
    sim: SimCloud, home: dict[str, str], tmp_path: Path, tls_server: tuple[str, Path]
) -> None:
    url, ca = tls_server
    entry = _entry(sim)
    auth = entry["auth"]
    assert isinstance(auth, dict)
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"tls": {**entry, "auth": {**auth, "auth_url": url}}}}))
    env = {**home, "OS_CLIENT_CONFIG_FILE": str(clouds), "OS_CLOUD": "tls"}
    untrusted = scs(env, "check")
    assert untrusted.returncode == 2 and "TLS verification of" in untrusted.stderr
    assert "--os-cacert" in untrusted.stderr
    # trusted (by option, by OS_CACERT, or not verified at all) it reaches the server, which is no Keystone
    for extra_env, args in (({}, ["--os-cacert", str(ca)]), ({"OS_CACERT": str(ca)}, []), ({}, ["--insecure"])):
        done = scs({**env, **extra_env}, "check", *args)
        assert done.returncode == 2 and "is not an identity API (HTTP 404)" in done.stderr, (args, done.stderr)
    missing = scs(env, "check", "--os-cacert", str(tmp_path / "nope.pem"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_the_only_clouds_yaml_entry_is_the_default(sim: SimCloud, home: dict[str, str], tmp_path: Path) -> None:
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(yaml.safe_dump({"clouds": {"solo": _entry(sim, "solo")}}))
    done = scs({**home, "OS_CLIENT_CONFIG_FILE": str(clouds)}, "check", "--tests", TESTS, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert yaml.safe_load(done.stdout)["subject"] == "solo"
