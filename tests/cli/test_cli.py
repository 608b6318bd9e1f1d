"""The `scs` command as users run it: exit codes, output formats, help, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from scs_toolkit import __version__
from scs_toolkit.cli import app

runner = CliRunner()
SCS = Path(sys.executable).parent / "scs"


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_installed_console_script_runs() -> None:
    """The real entry point, in a real process, as the README's commands use it."""
    done = subprocess.run([str(SCS), "--version"], capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0
    assert done.stdout.strip() == f"scs-toolkit {__version__}"
    module = subprocess.run(
        [sys.executable, "-m", "scs_toolkit", "flavor", "check", "SCS-2V-4"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert module.returncode == 0, module.stderr


def test_parse_json_states_the_properties() -> None:
    code, out, _ = run("flavor", "parse", "SCS-2V-4-20s", "--format", "json")
    assert code == 0
    [record] = json.loads(out)
    assert (record["cpus"], record["cpu_type"], record["ram_gib"]) == (2, "V", 4)
    assert record["disk"] == {"count": 1, "size_gb": 20, "type": "s", "type_name": "ssd"}
    assert record["extra_specs"]["scs:disk0-type"] == "ssd"


def test_parse_yaml_and_table() -> None:
    code, out, _ = run("flavor", "parse", "SCS-2C:4:10n-bms-z3h", "--format", "yaml")
    assert code == 0
    [record] = yaml.safe_load(out)
    assert record["bare_metal"] is True and record["syntax"] == "v1"
    assert record["cpu_arch"] == {"vendor": "z", "vendor_name": "AMD", "generation": 3, "frequency": "h"}
    code, out, _ = run("flavor", "parse", "SCS-4C-16-2x200p_a1")
    assert code == 0
    assert "SCS-4C-16-2x200p_a1" in out and "2 x 200 GB nvme" in out


def test_parse_invalid_exits_1_and_reports() -> None:
    code, out, _ = run("flavor", "parse", "SCS-2V-4", "SCS-2iT-4", "--format", "json")
    assert code == 1
    good, bad = json.loads(out)
    assert good["valid"] is True
    assert bad == {"name": "SCS-2iT-4", "valid": False, "component": "cpu type", "position": 6, "error": bad["error"]}
    assert "write 2Ti" in bad["error"]


def test_check_says_why_for_each_and_exits_1() -> None:
    names = ["SCS-2iT-4-10n", "SCS-2C-4ou-10n", "SCS-2C-4-1.5n"]
    code, out, _ = run("flavor", "check", *names, "--format", "json")
    assert code == 1
    records = json.loads(out)
    assert [r["name"] for r in records] == names
    assert all(r["valid"] is False for r in records)
    assert [r["error"].split(" at ")[0] for r in records] == ["cpu type", "ram flags", "disk size"]
    code, out, _ = run("flavor", "check", *names)
    assert code == 1
    for name in names:
        assert name in out
    assert "whole number" in out


def test_check_valid_names_exit_0_and_version_option() -> None:
    assert run("flavor", "check", "SCS-2V-4", "SCS-16V-64-500s_GNa-14-6h", "SCS-2V:4")[0] == 0
    code, out, _ = run("flavor", "check", "SCS-16V-64-500s_GNa-14-6h", "--version", "v2", "--format", "json")
    assert code == 1
    assert "new in v3" in json.loads(out)[0]["error"]
    assert run("flavor", "check", "SCS-2V:4", "--version", "v1")[0] == 0
    assert run("flavor", "check", "SCS-2V:4", "--version", "v3")[0] == 1
    code, _, err = run("flavor", "check", "SCS-2V-4", "--version", "v9")
    assert code == 2 and "v9" in err


def test_describe_convert_extra_specs() -> None:
    code, out, _ = run("flavor", "describe", "SCS-2V-4-20s", "SCS-2C-4ou")
    assert code == 1
    assert "SCS-2V-4-20s: 2 vCPUs" in out and "SCS-2C-4ou: invalid" in out
    code, out, _ = run("flavor", "convert", "--to", "v1", "SCS-2V-4-20s")
    assert (code, out.strip()) == (0, "SCS-2V:4:20s")
    code, out, _ = run("flavor", "convert", "SCS-2V:4:20s")
    assert (code, out.strip()) == (0, "SCS-2V-4-20s")
    code, out, _ = run("flavor", "extra-specs", "SCS-2V-4_bms", "--format", "json")
    assert code == 0
    assert json.loads(out)[0]["extra_specs"] == {
        "scs:cpu-type": "shared-core",
        "scs:name-v1": "SCS-2V:4-bms",
        "scs:name-v2": "SCS-2V-4_bms",
        "scs:name-v3": "SCS-2V:4",
        "scs:name-v4": "SCS-2V-4",
    }


def test_generate() -> None:
    code, out, _ = run(
        "flavor",
        "generate",
        "--cpus",
        "4",
        "--cpu-type",
        "V",
        "--ram",
        "16",
        "--disk",
        "50",
        "--disk-type",
        "s",
        "--format",
        "json",
    )
    assert code == 0
    assert json.loads(out)["name"] == "SCS-4V-16-50s"
    code, out, _ = run(
        "flavor",
        "generate",
        "--cpus",
        "16",
        "--cpu-type",
        "T",
        "--ram",
        "64",
        "--disk",
        "200",
        "--disk-type",
        "s",
        "--gpu-vendor",
        "N",
        "--gpu-gen",
        "a",
        "--gpu-units",
        "72",
        "--gpu-vram",
        "24",
        "--ib",
    )
    assert code == 0
    assert out.splitlines()[0] == "SCS-16T-64-200s_GNa-72-24_ib"
    code, out, _ = run(
        "flavor", "generate", "--cpus", "2", "--cpu-type", "V", "--ram", "3", "--hypervisor", "chy", "--version", "v1"
    )
    assert code == 2


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--cpus", "2", "--cpu-type", "V", "--ram", "4.3"], "multiple of 0.5"),
        (["--cpus", "2", "--cpu-type", "Q", "--ram", "4"], "cpu type"),
        (["--cpus", "2", "--cpu-type", "V", "--ram", "4", "--cpu-gen", "3"], "--cpu-vendor"),
        (["--cpus", "2", "--cpu-type", "V", "--ram", "4", "--gpu-units", "3"], "--gpu-vendor"),
        (["--cpus", "2", "--cpu-type", "V", "--ram", "4", "--cpu-vendor", "i", "--cpu-gen", "9"], "generation 9"),
    ],
)
def test_generate_bad_input(args: list[str], says: str) -> None:
    code, out, err = run("flavor", "generate", *args)
    assert code == 2
    assert says in err
    assert out == ""


def test_scope_show_json_lists_versions_states_and_testcases() -> None:
    code, out, _ = run("scope", "show", "scs-compatible-iaas", "--date", "2026-06-01", "--format", "json")
    assert code == 0
    record = json.loads(out)
    assert record["date"] == "2026-06-01"
    states = {v["version"]: v["state"] for v in record["versions"]}
    assert states == {"next": "draft", "v5.1": "effective", "v4": "deprecated", "v3": "deprecated"}
    v51 = next(v for v in record["versions"] if v["version"] == "v5.1")
    assert "scs-0100-syntax-check" in v51["required"] and v51["certifiable"] is True
    assert len(record["testcases"]) == 91


def test_scope_show_table_yaml_and_list() -> None:
    code, out, _ = run("scope", "show", "scs-compatible-kaas", "--date", "2024-05-01")
    assert code == 0 and "draft" in out and "SCS-compatible KaaS" in out
    code, out, _ = run("scope", "show", "scs-compatible-kaas", "--format", "yaml")
    assert code == 0 and yaml.safe_load(out)["versions"][0]["state"] == "effective"
    code, out, _ = run("scope", "list", "--format", "json")
    assert code == 0
    assert {r["alias"] for r in json.loads(out)} == {"scs-compatible-iaas", "scs-compatible-kaas"}


def test_scope_errors_exit_2_with_a_hint(tmp_path: Path) -> None:
    code, out, err = run("scope", "show", "no-such-scope")
    assert code == 2 and out == ""
    assert "no such scope" in err and "hint" in err
    code, _, err = run("scope", "show", "scs-compatible-iaas", "--date", "01.06.2026")
    assert code == 2 and "YYYY-MM-DD" in err
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nuuid: y\nurl: z\nversions:\n  - version: v1\n    include: [nope]\n")
    code, _, err = run("scope", "show", str(broken))
    assert code == 2
    assert str(broken) in err and "versions[0].include[0]" in err and "unknown module 'nope'" in err


def _commands() -> list[list[str]]:
    """Every command and group of `scs`, walked from the app itself: a new command is covered at once."""
    import typer.main

    found: list[list[str]] = []

    def walk(command: Any, path: list[str]) -> None:
        found.append(path)
        for name, sub in (getattr(command, "commands", None) or {}).items():  # groups have subcommands
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return found


COMMANDS = _commands()


def test_the_walk_finds_the_commands() -> None:
    assert {"check cleanup", "health run", "monitor account add", "iam domain-manager"} <= {
        " ".join(c) for c in COMMANDS
    }


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "scs")
def test_help_everywhere(command: list[str]) -> None:
    code, out, _ = run(*command, "--help")
    assert code == 0
    assert "Usage:" in out
    # a flag takes no value and a repeatable option says so: no Typer type labels such as <bool> or <list[str]>
    assert "<bool>" not in out and "<list[" not in out


def test_help_does_not_load_markdown_yet_markdown_still_renders() -> None:
    """`scs --help` leaves rich.markdown (markdown-it, ~100 ms) unloaded; code that builds a Markdown
    renderable afterwards still gets the real one."""
    program = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from scs_toolkit.cli import app\n"
        "assert CliRunner().invoke(app, ['check', '--help']).exit_code == 0\n"
        "print('markdown_it' in sys.modules)\n"
        "from rich.console import Console\n"
        "from rich.markdown import Markdown, MarkdownElement\n"
        "import io\n"
        "console = Console(file=io.StringIO(), width=40)\n"
        "console.print(Markdown('# Title\\n\\n* item'))\n"
        "import rich.markdown\n"
        "print(isinstance(Markdown('x'), rich.markdown.Markdown), MarkdownElement.__module__)\n"
        "print(console.file.getvalue())\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    loaded_by_help, real, rendered = done.stdout.split("\n", 2)
    assert loaded_by_help == "False"
    assert real == "True rich.markdown"
    assert "Title" in rendered and "• item" in rendered


def test_version() -> None:
    code, out, _ = run("--version")
    assert (code, out.strip()) == (0, f"scs-toolkit {__version__}")


def test_ci_runs_exactly_the_readme_commands() -> None:
    """The README's two commands and .ci/run must not drift apart."""
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    commands = [block.split("\n")[1] for block in readme.split("```sh")[1:3]]
    ci = (root / ".ci" / "run").read_text().splitlines()
    assert len(commands) == 2
    demo, tests = commands
    assert all("python3 -m venv .venv" in command for command in commands)
    assert tests in ci  # verbatim
    assert any(line.startswith(demo + " --once") for line in ci)  # verbatim plus --once: one round, then exit
