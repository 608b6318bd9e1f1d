"""`scs cluster`: create and delete KaaS test subjects with the official clusters file and plugins."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from ._output import FORMAT_OPTION, OutputFormat, emit, fail, stderr

app = typer.Typer(
    help="Provision KaaS test subjects (plugins static, kind, clusterapi) from a clusters file.", no_args_is_help=True
)

CLUSTERS_FILE = typer.Option(
    None,
    "--clusters-file",
    envvar="SCS_CLUSTERS_FILE",
    metavar="FILE",
    help="Clusters file in the official plugin format (default: ~/.config/scs/clusters.yaml).",
    show_default=False,
)
WORKDIR = typer.Option(
    None,
    "--dir",
    metavar="DIR",
    help="Where the plugin leaves kubeconfig.yaml (default: $XDG_STATE_HOME/scs-toolkit/clusters/SUBJECT).",
    show_default=False,
)


def _load(clusters_file: Path | None, subject: str) -> Any:
    from ..cluster import load_clusters
    from ..cluster._config import ClustersFileError

    try:
        return load_clusters(clusters_file).get(subject)
    except ClustersFileError as error:
        raise fail(str(error), "see `scs cluster --help` and docs for the clusters file format") from None


def _plugin(subject: str, clusters_file: Path | None, workdir: Path | None) -> Any:
    from .._paths import state_dir
    from ..cluster import plugin_for
    from ..cluster._config import ClustersFileError

    cluster = _load(clusters_file, subject)
    try:
        return plugin_for(
            cluster, workdir or state_dir() / "clusters" / subject, lambda line: stderr.print(escape(line))
        )
    except ClustersFileError as error:
        raise fail(str(error)) from None


def _run(action: Any) -> Any:
    from ..cluster import ClusterError
    from ..cluster._config import ClustersFileError

    try:
        return action()
    except ClustersFileError as error:
        raise fail(str(error), "fix the clusters file") from None
    except ClusterError as error:
        stderr.print(f"[bold red]error:[/] {escape(error.message)}", highlight=False)
        if error.hint:
            stderr.print(f"[dim]hint:[/] {escape(error.hint)}", highlight=False)
        raise typer.Exit(1) from None


@app.command()
def create(
    subject: str = typer.Argument(..., help="Cluster id in the clusters file (e.g. mycloud-1.37)."),
    clusters_file: Optional[Path] = CLUSTERS_FILE,
    workdir: Optional[Path] = WORKDIR,
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Create the cluster and write its kubeconfig; exit 0 when it is ready, 1 when provisioning failed, 2 usage."""
    plugin = _plugin(subject, clusters_file, workdir)
    kubeconfig = _run(plugin.create)
    record = {"subject": subject, "kind": plugin.kind, "kubeconfig": str(kubeconfig)}
    emit(
        record,
        output,
        lambda: f"{subject} ({plugin.kind}) is ready: scs check --kubeconfig {kubeconfig} --subject {subject}",
    )


@app.command()
def delete(
    subject: str = typer.Argument(..., help="Cluster id in the clusters file."),
    clusters_file: Optional[Path] = CLUSTERS_FILE,
    workdir: Optional[Path] = WORKDIR,
) -> None:
    """Delete the cluster (static: only the kubeconfig copy) and wait until it is gone."""
    plugin = _plugin(subject, clusters_file, workdir)
    _run(plugin.delete)
    stderr.print(f"{escape(subject)} deleted")


@app.command("list")
def list_clusters(clusters_file: Optional[Path] = CLUSTERS_FILE, output: OutputFormat = FORMAT_OPTION) -> None:
    """The clusters of the clusters file: id, plugin kind, cluster name."""
    from ..cluster import load_clusters
    from ..cluster._config import ClustersFileError

    try:
        clusters = load_clusters(clusters_file)
    except ClustersFileError as error:
        raise fail(str(error)) from None
    records = [{"id": c.id, "kind": c.kind, "name": c.name} for c in clusters.clusters.values()]

    def table() -> Table:
        view = Table("id", "kind", "name", title=escape(str(clusters.path)))
        for record in records:
            view.add_row(escape(record["id"]), record["kind"], escape(record["name"]))
        return view

    emit(records, output, table)
