"""`scs demo`: show the toolkit working on its embedded defaults, no cloud account needed.

Until the simulated cloud lands this demonstrates the standards layer: which versions of the
bundled scopes are in force today, and the scs-0103 standard flavors decoded from their names.
"""

from __future__ import annotations

import datetime as dt

import typer
from rich.table import Table

from .. import flavor_names, standards
from ._output import stdout


def demo() -> None:
    """Run the embedded demo: scope states today and the standard flavors decoded."""
    today = dt.date.today()
    scopes = Table("scope", "version", "state today", "required testcases", title=f"Certificate scopes on {today}")
    for scope in standards.bundled_scopes():
        for status in scope.statuses(today):
            if status.listed:
                required = len(scope.version(status.version).required)
                scopes.add_row(scope.name, status.version, status.state.value, str(required))
    stdout.print(scopes)
    flavors = Table("standard flavor", "status", "decoded from its name", "extra specs match", title="scs-0103 flavors")
    matching = 0
    catalogue = standards.mandatory_flavors()
    for standard in catalogue:
        parsed = flavor_names.parse(standard.name)
        derived = tuple(sorted(flavor_names.extra_specs(parsed.flavor).items()))
        matching += derived == standard.extra_specs
        match = "[green]yes[/]" if derived == standard.extra_specs else "[red]no[/]"
        flavors.add_row(standard.name, standard.status, flavor_names.describe(parsed.flavor), match)
    stdout.print(flavors)
    stdout.print(
        f"{matching}/{len(catalogue)} standard flavors: extra specs derived from the name match the official list"
    )
    if matching != len(catalogue):
        raise typer.Exit(1)
