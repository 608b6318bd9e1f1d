"""`scs iam`: identity checks that need special accounts (scs-0302 domain managers)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ._output import FORMAT_OPTION, OutputFormat, emit, fail, stdout

app = typer.Typer(help="IAM checks (scs-0302 domain manager).", no_args_is_help=True)


@app.command("domain-manager")
def domain_manager(
    cloud: str = typer.Option(..., "--cloud", help="clouds.yaml entry whose auth_url to use."),
    config: Path = typer.Option(
        ..., "--config", help="Two domains and their managers (domain-manager-test.yaml format)."
    ),
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Check that a domain manager administers exactly its own domain. Exit 0 pass, 1 fail, 2 no verdict."""
    import openstack
    from keystoneauth1 import exceptions as ksa_exceptions
    from openstack import exceptions

    from ..checks import iam

    try:
        managers = iam.load_config(config)
        region = openstack.config.OpenStackConfig().get_one(cloud=cloud)
    except iam.ConfigError as error:
        raise fail(str(error), "see shared/data/iam/domain-manager-test.yaml for the format") from None
    except exceptions.ConfigException as error:
        raise fail(f"no usable clouds.yaml entry {cloud!r}: {error}") from None
    auth_url = region.config["auth"]["auth_url"]
    try:
        connections = [iam.connect_manager(auth_url, m, region.verify) for m in managers]
        for connection in connections:
            connection.session.get_token()
        outcome = iam.decide(connections[0], connections[1], managers)
    except (exceptions.SDKException, ksa_exceptions.ClientException) as error:
        raise fail(
            f"cannot log in as the domain managers: {error}", "check the usernames, passwords and domains"
        ) from None
    record = {
        "testcase": "domain-manager-check",
        "result": outcome.status.value,
        "reason": outcome.reason,
        "findings": [{"subject": f.subject, "message": f.message} for f in outcome.findings],
    }
    emit(
        record,
        output,
        lambda: (
            f"domain-manager-check: {outcome.status.value} - {escape(outcome.reason)}"
            + "".join(f"\n  {escape(f.message)}" for f in outcome.findings)
        ),
    )
    if outcome.status.value == "FAIL" and output is OutputFormat.table:
        stdout.print(f"fix: {escape(outcome.remediation or '')}")
    raise typer.Exit({"PASS": 0, "FAIL": 1}.get(outcome.status.value, 2))
