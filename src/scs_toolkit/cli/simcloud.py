"""`scs simcloud`: run the simulated SCS cloud and point OpenStack clients at it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Optional

import typer
import yaml
from rich.markup import escape
from rich.table import Table

from ._output import FORMAT_OPTION, OutputFormat, emit, fail, stderr, stdout

app = typer.Typer(
    help="A simulated SCS cloud (OpenStack APIs over real HTTP) for demos and tests.", no_args_is_help=True
)

DEFAULT_CLOUDS_YAML = Path.home() / ".config" / "openstack" / "clouds.yaml"
DEFAULT_CLOUD_NAME = "simcloud"  # = simcloud.DEFAULT_CLOUD_NAME; the package is imported lazily (start-up time)


def _runtime_file() -> Path:
    """Where a running `serve` records its URL and profile, for `clouds-yaml` to find."""
    base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "scs-toolkit" / "simcloud.json"


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
    clouds_yaml: Path = typer.Option(DEFAULT_CLOUDS_YAML, "--clouds-yaml", help="clouds.yaml to add the entries to."),
    write_clouds_yaml: bool = typer.Option(
        True, "--write-clouds-yaml/--no-clouds-yaml", help="Add entries to clouds.yaml."
    ),
    cloud_name: str = typer.Option(DEFAULT_CLOUD_NAME, "--cloud-name", help="Name of the clouds.yaml entry."),
) -> None:
    """Serve the simulated cloud until Ctrl-C."""
    from .. import simcloud
    from .._serving import wait_for_stop_signal

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
    except OSError as error:
        raise fail(
            f"cannot listen on {host}:{port}: {error.strerror}", "choose another --port, or 0 for a free one"
        ) from None
    sim.start()
    runtime = _runtime_file()
    runtime.parent.mkdir(parents=True, exist_ok=True)
    runtime.write_text(json.dumps({"url": sim.url, "profile": str(profile), "pid": os.getpid()}), encoding="utf-8")
    stdout.print(f"simulated cloud [bold]{escape(sim.cloud.profile['name'])}[/] listening on [bold]{sim.url}[/]")
    if write_clouds_yaml:
        document = sim.clouds_yaml(cloud_name)
        simcloud.write_clouds_yaml(clouds_yaml, document)
        names = ", ".join(document["clouds"])
        stdout.print(f"clouds.yaml entries {escape(names)} written to {escape(str(clouds_yaml))}")
        stdout.print(f"try: openstack --os-cloud {escape(cloud_name)} flavor list")
    stdout.print(f"faults: {sim.url}/_sim/faults   stop: Ctrl-C")
    wait_for_stop_signal()
    stderr.print("stopping the simulated cloud")
    sim.stop()
    runtime.unlink(missing_ok=True)


@app.command("clouds-yaml")
def clouds_yaml_command(
    url: Optional[str] = typer.Option(None, help="URL of the running cloud (default: the one `serve` recorded)."),
    profile: Optional[str] = typer.Option(None, help="Profile the cloud runs (default: the one `serve` recorded)."),
    name: str = typer.Option(DEFAULT_CLOUD_NAME, "--name", help="Name of the clouds.yaml entry."),
    output: Path = typer.Option(
        DEFAULT_CLOUDS_YAML, "--output", "-o", help="clouds.yaml to write (merged); '-' prints it."
    ),
) -> None:
    """Write clouds.yaml entries for a simulated cloud so any OpenStack client can use it."""
    from .. import simcloud

    recorded: dict[str, Any] = {}
    runtime = _runtime_file()
    if runtime.exists():
        recorded = json.loads(runtime.read_text(encoding="utf-8"))
    url = url or recorded.get("url")
    if not url:
        raise fail("no running simulated cloud found", "start one with `scs simcloud serve`, or pass --url")
    try:
        loaded = simcloud.load_profile(profile or recorded.get("profile") or "compliant")
    except simcloud.ProfileError as error:
        raise fail(str(error)) from None
    document = simcloud.clouds_yaml(url.rstrip("/"), loaded, name)
    if str(output) == "-":
        stdout.print(yaml.safe_dump(document, sort_keys=False), highlight=False, markup=False)
        return
    simcloud.write_clouds_yaml(output, document)
    stdout.print(f"clouds.yaml entries {escape(', '.join(document['clouds']))} written to {escape(str(output))}")


@app.command()
def profiles(output: OutputFormat = FORMAT_OPTION) -> None:
    """List the bundled cloud profiles and the testcases each is expected to fail."""
    from .. import simcloud

    records: list[dict[str, Any]] = []
    for name in simcloud.bundled_profiles():
        loaded = simcloud.load_profile(name)
        failures = loaded.get("expected_failures") or {}
        records.append(
            {
                "name": name,
                "description": " ".join(str(loaded.get("description", "")).split()),
                "expected_failures": sorted(failures),
            }
        )

    def table() -> Table:
        grid = Table("profile", "description", "expected failures", header_style="bold", show_lines=True)
        for record in records:
            grid.add_row(record["name"], escape(record["description"]), "\n".join(record["expected_failures"]) or "-")
        return grid

    emit(records, output, table)
