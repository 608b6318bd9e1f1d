"""`scs simcloud`: run the simulated SCS cloud and point OpenStack clients at it."""

from __future__ import annotations

import json
import os
import shlex
import threading
from pathlib import Path
from typing import Any, Optional

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from .._paths import state_dir
from ._output import FORMAT_OPTION, OutputFormat, emit, fail, stderr, stdout

app = typer.Typer(
    help="A simulated SCS cloud (OpenStack APIs over real HTTP) for demos and tests.", no_args_is_help=True
)

DEFAULT_CLOUD_NAME = "simcloud"  # = simcloud.DEFAULT_CLOUD_NAME; the package is imported lazily (start-up time)


def _user_clouds_yaml() -> Path:
    """The clouds.yaml OpenStack clients read by default: only ever written when asked to."""
    return Path.home() / ".config" / "openstack" / "clouds.yaml"


def state_folder() -> Path:
    """The tool's own folder for a running `serve`: $XDG_STATE_HOME/scs-toolkit/simcloud."""
    return state_dir() / "simcloud"


def _runtime_file() -> Path:
    """Where a running `serve` records its URL and profile, for `clouds-yaml` to find."""
    return state_folder() / "simcloud.json"


def _loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


@app.command()
def serve(
    profile: str = typer.Option(
        "compliant", help="Bundled profile name (see `scs simcloud profiles`) or a profile file."
    ),
    host: str = typer.Option("127.0.0.1", help="Loopback address to listen on."),
    port: int = typer.Option(0, help="Port; 0 picks a free one."),
    state: Optional[Path] = typer.Option(
        None, "--state", help="Keep the cloud's state in this JSON file across restarts."
    ),
    latency: float = typer.Option(0.0, "--latency", help="Injected latency per API request, in ms."),
    jitter: float = typer.Option(0.0, "--jitter", help="Random extra latency up to this many ms."),
    error_rate: float = typer.Option(0.0, "--error-rate", help="Share of API requests answered with HTTP 500 (0..1)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed for ids and injected faults (reproducible runs)."),
    clouds_yaml: Optional[Path] = typer.Option(
        None,
        "--clouds-yaml",
        help="Also merge the entries into this clouds.yaml (e.g. ~/.config/openstack/clouds.yaml); "
        "by default only the tool's own one in $XDG_STATE_HOME/scs-toolkit/simcloud is written.",
    ),
    cloud_name: str = typer.Option(DEFAULT_CLOUD_NAME, "--cloud-name", help="Name of the clouds.yaml entry."),
) -> None:
    """Serve the simulated cloud until Ctrl-C; prints how to point OpenStack clients at it."""
    from .. import simcloud
    from .._serving import stop_on_signals

    if not _loopback(host):
        raise fail(
            f"refusing to listen on {host}: the simulated cloud only listens on loopback", "use 127.0.0.1 or ::1"
        )
    try:
        faults = simcloud.Faults(latency_ms=latency, jitter_ms=jitter, error_rate=error_rate)
    except ValueError as error:
        raise fail(str(error), "rates are between 0 and 1, times are not negative") from None
    options = simcloud.SimCloudOptions(
        profile=profile, host=host, port=port, state_file=state, seed=seed, faults=faults
    )
    try:
        sim = simcloud.SimCloud(options)
    except simcloud.ProfileError as error:
        raise fail(str(error), "list the bundled profiles with `scs simcloud profiles`") from None
    except simcloud.StateError as error:
        raise fail(str(error), "start without --state, or with a new file") from None
    except OSError as error:
        raise fail(
            f"cannot listen on {host}:{port}: {error.strerror}", "choose another --port, or 0 for a free one"
        ) from None
    document = sim.clouds_yaml(cloud_name)
    own = state_folder() / "clouds.yaml"
    try:
        if clouds_yaml is not None:
            simcloud.write_clouds_yaml(clouds_yaml, document)
        state_folder().mkdir(parents=True, exist_ok=True, mode=0o700)
        simcloud.write_clouds_yaml(own, {"clouds": document["clouds"]})
    except (OSError, ValueError) as error:
        raise fail(f"cannot write clouds.yaml: {error}", "check the path and its permissions") from None
    stopped = threading.Event()
    runtime = _runtime_file()
    with stop_on_signals(stopped):  # from here on, Ctrl-C stops cleanly (also while we print)
        sim.start()
        try:
            runtime.write_text(
                json.dumps({"url": sim.url, "profile": str(profile), "pid": os.getpid()}), encoding="utf-8"
            )
            names = ", ".join(document["clouds"])
            stdout.print(
                f"simulated cloud [bold]{escape(sim.cloud.profile['name'])}[/] listening on [bold]{sim.url}[/]",
                soft_wrap=True,
            )
            stdout.print(f"clouds.yaml entries {escape(names)}: {escape(str(own))}", highlight=False, soft_wrap=True)
            stdout.print(
                f"export OS_CLIENT_CONFIG_FILE={shlex.quote(str(own))}", highlight=False, markup=False, soft_wrap=True
            )
            stdout.print(f"try: openstack --os-cloud {escape(cloud_name)} flavor list", highlight=False, soft_wrap=True)
            if clouds_yaml is not None:
                stdout.print(
                    f"also merged into {escape(str(clouds_yaml))}; remove them with: "
                    f"scs simcloud clouds-yaml --remove --name {escape(cloud_name)} -o {escape(str(clouds_yaml))}",
                    highlight=False,
                    soft_wrap=True,
                )
            stdout.print(f"faults: {sim.url}/_sim/faults   stop: Ctrl-C", highlight=False, soft_wrap=True)
            stopped.wait()
        finally:
            stderr.print("stopping the simulated cloud")
            sim.stop()
            runtime.unlink(missing_ok=True)
            own.unlink(missing_ok=True)  # its entries point at a cloud that no longer runs


@app.command("clouds-yaml")
def clouds_yaml_command(
    url: Optional[str] = typer.Option(None, help="URL of the running cloud (default: the one `serve` recorded)."),
    profile: Optional[str] = typer.Option(None, help="Profile the cloud runs (default: the one `serve` recorded)."),
    name: str = typer.Option(DEFAULT_CLOUD_NAME, "--name", help="Name of the clouds.yaml entry."),
    output: Optional[Path] = typer.Option(
        None,
        "--output",
        "-o",
        help="clouds.yaml to write (merged; default ~/.config/openstack/clouds.yaml); '-' prints it.",
    ),
    remove: bool = typer.Option(
        False, "--remove", help="Remove the entries (NAME, NAME-<label>) instead of adding them."
    ),
) -> None:
    """Write (or remove) clouds.yaml entries for a simulated cloud so any OpenStack client can use it."""
    from .. import simcloud

    target = output if output is not None else _user_clouds_yaml()
    recorded: dict[str, Any] = {}
    runtime = _runtime_file()
    if runtime.exists():
        try:
            recorded = json.loads(runtime.read_text(encoding="utf-8"))
        except ValueError:
            recorded = {}
    try:
        loaded = simcloud.load_profile(profile or recorded.get("profile") or "compliant")
    except simcloud.ProfileError as error:
        raise fail(str(error)) from None
    if remove:
        if str(target) == "-":
            raise fail("--remove needs a file", "give the clouds.yaml with -o PATH")
        names = list(simcloud.clouds_yaml("http://unused", loaded, name)["clouds"])
        try:
            removed = simcloud.remove_clouds_yaml(target, names)
        except (OSError, ValueError) as error:
            raise fail(f"cannot update {target}: {error}") from None
        stdout.print(f"removed {escape(', '.join(removed) or 'nothing')} from {escape(str(target))}", highlight=False)
        return
    url = url or recorded.get("url")
    if not url:
        raise fail("no running simulated cloud found", "start one with `scs simcloud serve`, or pass --url")
    document = simcloud.clouds_yaml(url.rstrip("/"), loaded, name)
    if str(target) == "-":
        stdout.print(yaml.safe_dump(document, sort_keys=False), highlight=False, markup=False)
        return
    try:
        simcloud.write_clouds_yaml(target, document)
    except (OSError, ValueError) as error:
        raise fail(f"cannot write {target}: {error}") from None
    stdout.print(
        f"clouds.yaml entries {escape(', '.join(document['clouds']))} written to {escape(str(target))}", soft_wrap=True
    )
    stdout.print(
        f"remove them with: scs simcloud clouds-yaml --remove --name {escape(name)} -o {escape(str(target))}",
        soft_wrap=True,
    )


@app.command()
def profiles(output: OutputFormat = FORMAT_OPTION) -> None:
    """List the bundled cloud profiles, the testcases each must fail, and which scope versions judge them."""
    from .. import simcloud

    records: list[dict[str, Any]] = []
    for name in simcloud.bundled_profiles():
        loaded = simcloud.load_profile(name)
        failures = []
        for expected in simcloud.expected_failures(loaded):
            entry: dict[str, Any] = {
                "testcase": expected.testcase,
                "reason": expected.reason,
                "judged_by": [{"scope": j.scope, "version": j.version, "as": j.role} for j in expected.judged_by],
            }
            if not expected.judged_by:
                entry["run_with"] = f"scs check --tests {expected.testcase}"
            failures.append(entry)
        records.append(
            {
                "name": name,
                "description": " ".join(str(loaded.get("description", "")).split()),
                "expected_failures": failures,
            }
        )

    def judged(entry: dict[str, Any]) -> str:
        if not entry["judged_by"]:
            return f"in no version: run with `{entry['run_with']}`"
        roles: dict[str, list[str]] = {}
        for judgement in entry["judged_by"]:
            roles.setdefault(judgement["as"], []).append(judgement["version"])
        return "; ".join(f"{role} in {', '.join(versions)}" for role, versions in roles.items())

    def table() -> Table:
        grid = Table("profile", "expected failure", "judged by", header_style="bold")
        for record in records:
            about = f"[bold]{escape(record['name'])}[/]\n[dim]{escape(record['description'])}[/]"
            failures = record["expected_failures"] or [None]
            for index, failure in enumerate(failures):
                grid.add_row(
                    about if index == 0 else "",
                    escape(failure["testcase"]) if failure else "-",
                    escape(judged(failure)) if failure else "",
                    end_section=index == len(failures) - 1,
                )
        return grid

    emit(records, output, table)
