"""`scs iam`: identity checks that need special accounts (scs-0302 domain managers)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.markup import escape

from ._cloud import CACERT, CLOUD, INSECURE, cloud_specs
from ._output import FORMAT_OPTION, OutputFormat, emit, fail, stdout

app = typer.Typer(help="IAM checks (scs-0302 domain manager).", no_args_is_help=True)


EXAMPLE_CONFIG = """\
# scs iam domain-manager --config FILE: two domains, each with a user that holds the `manager` role
# on its domain (scs-0302). The check creates and removes scs-test-dm-... users, projects and groups.
domains:
  - name: "scs-test-domain-a"
    manager:
      username: "scs-test-domain-a-manager"
      password: "change me"
    member_role: "member"        # the role a manager may assign (default: member)
  - name: "scs-test-domain-b"
    manager:
      username: "scs-test-domain-b-manager"
      password: "change me"
    member_role: "member"
"""


def _print_example(value: bool) -> None:
    if value:
        sys.stdout.write(EXAMPLE_CONFIG)
        raise typer.Exit()


@app.command("domain-manager")
def domain_manager(
    cloud: Optional[str] = CLOUD,
    insecure: bool = INSECURE,
    cacert: Optional[str] = CACERT,
    config: Optional[Path] = typer.Option(
        None, "--config", help="Two domains and their managers (see --example-config for the format)."
    ),
    example_config: bool = typer.Option(
        False, "--example-config", callback=_print_example, is_eager=True, help="Print an example --config and exit."
    ),
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Check that a domain manager administers exactly its own domain (scs-0302). Exit 0 pass, 1 fail, 2 no verdict.

    The cloud entry gives the auth URL and TLS settings; the managers log in with the credentials in --config."""
    from keystoneauth1 import exceptions as ksa_exceptions
    from openstack import exceptions

    from ..checks import iam
    from ..collect import CloudError, login_error, resolve

    if config is None:
        raise fail("--config FILE is required", "print an example with `scs iam domain-manager --example-config`")
    try:
        managers = iam.load_config(config)
    except iam.ConfigError as error:
        raise fail(str(error), "print an example with `scs iam domain-manager --example-config`") from None
    [spec] = cloud_specs([cloud] if cloud else None, insecure, cacert)
    try:
        region = resolve(spec)
    except CloudError as error:
        raise fail(error.message, error.hint) from None
    auth_url = region.config["auth"]["auth_url"]
    connections = []
    for manager in managers:
        connection = iam.connect_manager(auth_url, manager, region.verify)
        try:
            connection.session.get_token()
        except (exceptions.SDKException, ksa_exceptions.ClientException) as error:
            problem = login_error(error, f"{spec.label} (as {manager.username})", auth_url)
            raise fail(problem.message, "check the managers' user names, passwords and domains in --config") from None
        connections.append(connection)
    outcome = iam.decide(connections[0], connections[1], managers)
    record = {
        "testcase": "domain-manager-check",
        "result": outcome.status.value,
        "reason": outcome.reason,
        "findings": [{"subject": f.subject, "message": f.message} for f in outcome.findings],
        "left_behind": list(outcome.leftovers),
    }
    emit(
        record,
        output,
        lambda: (
            f"domain-manager-check: {outcome.status.value} - {escape(outcome.reason)}"
            + "".join(f"\n  {escape(f.message)}" for f in outcome.findings)
            + "".join(f"\n  [bold red]left behind:[/] {escape(item)}" for item in outcome.leftovers)
        ),
    )
    if outcome.status.value == "FAIL" and output is OutputFormat.table:
        stdout.print(f"fix: {escape(outcome.remediation or '')}")
    raise typer.Exit({"PASS": 0, "FAIL": 1}.get(outcome.status.value, 2))
