"""The deployment files (Containerfile, systemd unit, example config) agree with the code: the
commands they run exist with those options, the settings they rely on are the ones the monitor
reads. No container runtime or systemd here: this is what can be checked without them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from scs_toolkit._paths import config_dir
from scs_toolkit.cli import app
from scs_toolkit.monitor import settings

ROOT = Path(__file__).parents[2]
runner = CliRunner()


def accepted(argv: list[str]) -> None:
    """The CLI parses `argv` (with --help appended, so nothing runs)."""
    result = runner.invoke(app, [*argv, "--help"])
    assert result.exit_code == 0, (argv, result.output)


def test_containerfile_runs_the_monitor_unprivileged_from_this_repository() -> None:
    text = (ROOT / "Containerfile").read_text()
    stages = re.findall(r"^FROM (\S+)", text, flags=re.MULTILINE)
    assert stages and all(image == "python:3.11-slim" or image.startswith("python:3.11-slim ") for image in stages)
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, flags=re.MULTILINE):
        for path in source.split():
            assert (ROOT / path).exists(), path
    assert "pip install ." in text
    user = re.findall(r"^USER (\S+)", text, flags=re.MULTILINE)
    assert user and user[-1].split(":")[0] not in ("root", "0")
    entrypoint = json.loads(re.search(r"^ENTRYPOINT (.+)$", text, flags=re.MULTILINE).group(1))  # type: ignore[union-attr]
    command = json.loads(re.search(r"^CMD (.+)$", text, flags=re.MULTILINE).group(1))  # type: ignore[union-attr]
    argv = [*entrypoint, *command]
    assert argv[0] == "scs" and "--host" in argv and argv[argv.index("--host") + 1] == "0.0.0.0"
    accepted(argv[1:])
    environment = dict(re.findall(r"(XDG_\w+)=(\S+)", text))
    chosen = settings.resolve(environ={**environment, "HOME": "/nonexistent"})
    assert chosen.db_url == "sqlite:////var/lib/scs-toolkit/monitor.db"  # the VOLUME
    assert 'VOLUME ["/var/lib/scs-toolkit"]' in text and "/etc/scs-toolkit" in text
    assert config_dir(environment) / "monitor.yaml" == Path("/etc/scs-toolkit/monitor.yaml")


def test_systemd_unit_commands_and_environment_exist() -> None:
    unit = (ROOT / "contrib" / "scs-monitor.service").read_text()
    for line in re.findall(r"^Exec\w+=(.+)$", unit, flags=re.MULTILINE):
        executable, *arguments = line.split()
        assert executable == "/opt/scs-toolkit/bin/scs"
        accepted(arguments)
    variables = set(re.findall(r"^Environment=(\w+)=", unit, flags=re.MULTILINE))
    assert {settings.ENV_CONFIG, settings.ENV_DB_PASSWORD_FILE, "XDG_DATA_HOME"} <= variables
    assert "DynamicUser=yes" in unit and "NoNewPrivileges=yes" in unit


def test_example_config_file_is_valid(tmp_path: Path) -> None:
    example = ROOT / "contrib" / "monitor.example.yaml"
    password = tmp_path / "db-password"
    password.write_text("s3cret\n")
    chosen = settings.resolve(
        config=example, environ={settings.ENV_DB_PASSWORD_FILE: str(password), "HOME": str(tmp_path)}
    )
    assert chosen.db_source == str(example) and chosen.shown_db.startswith("postgresql+psycopg://scs_monitor:***@")
    assert chosen.accounts == Path("/etc/scs-toolkit/monitor-accounts.yaml") and chosen.port == 8080
    assert chosen.host == "127.0.0.1"
