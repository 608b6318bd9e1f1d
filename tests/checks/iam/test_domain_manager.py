"""scs-0302 domain-manager check against the simulated Keystone."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from scs_toolkit.cli import app
from scs_toolkit.simcloud import SimCloud, write_clouds_yaml

runner = CliRunner()


def config(tmp_path: Path, password_b: str = "sim-manager-b-secret") -> Path:
    path = tmp_path / "domain-manager.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "domains": [
                    {
                        "name": "scs-test-domain-a",
                        "manager": {"username": "scs-test-domain-a-manager", "password": "sim-manager-a-secret"},
                        "member_role": "member",
                    },
                    {
                        "name": "scs-test-domain-b",
                        "manager": {"username": "scs-test-domain-b-manager", "password": password_b},
                        "member_role": "member",
                    },
                ]
            }
        )
    )
    return path


@pytest.fixture
def cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, simcloud_factory: Callable[..., SimCloud]) -> SimCloud:
    clouds = tmp_path / "clouds.yaml"
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    sim = simcloud_factory(profile="compliant", seed=9, ssh=False)
    write_clouds_yaml(clouds, sim.clouds_yaml("sim"))
    return sim


def test_domain_managers_pass_and_leave_nothing(cloud: SimCloud, tmp_path: Path) -> None:
    before = {k: cloud.cloud.store.count(k) for k in ("user", "project", "group", "role_assignment")}
    result = runner.invoke(
        app, ["iam", "domain-manager", "--cloud", "sim", "--config", str(config(tmp_path)), "--format", "json"]
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    assert json.loads(result.stdout) == {
        "testcase": "domain-manager-check",
        "result": "PASS",
        "reason": "domain managers administer exactly their own domain",
        "findings": [],
        "left_behind": [],
    }
    assert {k: cloud.cloud.store.count(k) for k in before} == before


def test_wrong_credentials_give_no_verdict(cloud: SimCloud, tmp_path: Path) -> None:
    result = runner.invoke(app, ["iam", "domain-manager", "--cloud", "sim", "--config", str(config(tmp_path, "wrong"))])
    assert result.exit_code == 2
    assert "(as scs-test-domain-b-manager)" in result.stderr and "refused the credentials (HTTP 401)" in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_config(cloud: SimCloud, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("domains: [{name: only-one}]\n")
    result = runner.invoke(app, ["iam", "domain-manager", "--cloud", "sim", "--config", str(bad)])
    assert result.exit_code == 2 and "manager.username" in result.stderr


def test_example_config_is_valid_and_missing_config_says_where_to_look(cloud: SimCloud, tmp_path: Path) -> None:
    from scs_toolkit.checks import iam

    example = runner.invoke(app, ["iam", "domain-manager", "--example-config"])
    assert example.exit_code == 0
    path = tmp_path / "example.yaml"
    path.write_text(example.stdout)
    managers = iam.load_config(path)
    assert [m.domain for m in managers] == ["scs-test-domain-a", "scs-test-domain-b"]
    missing = runner.invoke(app, ["iam", "domain-manager", "--cloud", "sim"])
    assert missing.exit_code == 2 and "--example-config" in missing.stderr
    assert "shared/" not in missing.stderr
