"""`scs simk8s`: run the simulated Kubernetes API server and point kubectl at it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from .._paths import state_dir
from ._output import FORMAT_OPTION, OutputFormat, emit, fail, stderr, stdout

app = typer.Typer(
    help="A simulated Kubernetes cluster (API server over real HTTPS) for demos and tests.", no_args_is_help=True
)


def _default_kubeconfig() -> Path:
    """Not ~/.kube/config: a simulated cluster must not replace the user's contexts unless asked."""
    return state_dir() / "simk8s" / "kubeconfig"


def _loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


@app.command()
def serve(
    profile: str = typer.Option(
        "compliant", help="Bundled profile name (see `scs simk8s profiles`) or a profile file."
    ),
    host: str = typer.Option("127.0.0.1", help="Loopback address to listen on."),
    port: int = typer.Option(0, help="Port; 0 picks a free one."),
    kubeconfig: Optional[Path] = typer.Option(
        None,
        "--kubeconfig",
        help="kubeconfig file to write the cluster, its users and contexts into (merged; default: "
        "$XDG_STATE_HOME/scs-toolkit/simk8s/kubeconfig, never ~/.kube/config unless you name it).",
    ),
    user: str = typer.Option("admin", "--user", help="Profile user whose context becomes the current one."),
    state: Optional[Path] = typer.Option(
        None, "--state", help="Keep the cluster's objects in this JSON file across restarts."
    ),
    latency: float = typer.Option(0.0, "--latency", help="Injected latency per API request, in ms."),
    jitter: float = typer.Option(0.0, "--jitter", help="Random extra latency up to this many ms."),
    error_rate: float = typer.Option(0.0, "--error-rate", help="Share of API requests answered with HTTP 500 (0..1)."),
    seed: Optional[int] = typer.Option(None, "--seed", help="Seed for uids and injected faults (reproducible runs)."),
) -> None:
    """Serve the simulated cluster over HTTPS until Ctrl-C; writes a kubeconfig for kubectl."""
    from .. import simk8s
    from .._serving import stop_on_signals

    if not _loopback(host):
        raise fail(
            f"refusing to listen on {host}: the simulated cluster only listens on loopback", "use 127.0.0.1 or ::1"
        )
    try:
        faults = simk8s.Faults(latency_ms=latency, jitter_ms=jitter, error_rate=error_rate)
    except ValueError as error:
        raise fail(str(error), "rates are between 0 and 1, times are not negative") from None
    options = simk8s.SimK8sOptions(profile=profile, host=host, port=port, state_file=state, seed=seed, faults=faults)
    try:
        sim = simk8s.SimK8s(options)
    except simk8s.ProfileError as error:
        raise fail(str(error), "list the bundled profiles with `scs simk8s profiles`") from None
    except ValueError as error:
        raise fail(str(error), "remove or fix the --state file") from None
    except OSError as error:
        raise fail(
            f"cannot listen on {host}:{port}: {error.strerror}", "choose another --port, or 0 for a free one"
        ) from None
    if user not in sim.users:
        raise fail(f"profile {sim.profile['name']} has no user {user!r}", f"users: {', '.join(sim.users)}")
    target = kubeconfig or _default_kubeconfig()
    try:
        sim.kubeconfig(target, user)
    except (OSError, ValueError) as error:
        raise fail(f"cannot write the kubeconfig {target}: {error}", "pass another --kubeconfig path") from None
    with stop_on_signals(threading.Event()) as stopped:  # from here on, Ctrl-C/SIGTERM stop cleanly
        sim.start()
        version = sim.profile["version"]["gitVersion"]
        stdout.print(
            f"simulated Kubernetes cluster [bold]{escape(sim.profile['name'])}[/] ({escape(version)}) "
            f"listening on [bold]{sim.url}[/]"
        )
        contexts = escape(", ".join(_contexts(sim, user)))
        stdout.print(f"kubeconfig written to {escape(str(target))} (contexts: {contexts})")
        stdout.print(f"try: KUBECONFIG={escape(str(target))} kubectl get nodes")
        stdout.print(f"faults: curl -k {sim.url}/_sim/faults   stop: Ctrl-C")
        stopped.wait()
    stderr.print("stopping the simulated cluster")
    sim.stop()


def _contexts(sim: Any, user: str) -> list[str]:
    return [c["name"] for c in sim.kubeconfig_document(user)["contexts"]]


@app.command()
def profiles(output: OutputFormat = FORMAT_OPTION) -> None:
    """List the bundled cluster profiles and the testcases each is expected to fail."""
    from .. import simk8s

    records: list[dict[str, Any]] = []
    for name in simk8s.bundled_profiles():
        loaded = simk8s.load_profile(name)
        records.append(
            {
                "name": name,
                "description": " ".join(str(loaded.get("description", "")).split()),
                "version": loaded["version"]["gitVersion"],
                "expected_failures": sorted(loaded.get("expected_failures") or {}),
                "expected_aborts": sorted(loaded.get("expected_aborts") or {}),
            }
        )

    def table() -> Table:
        grid = Table("profile", "version", "description", "expected failures", header_style="bold", show_lines=True)
        for record in records:
            grid.add_row(
                record["name"],
                record["version"],
                escape(record["description"]),
                "\n".join(record["expected_failures"]) or "-",
            )
        return grid

    emit(records, output, table)
