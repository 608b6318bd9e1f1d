"""The options that name an OpenStack cloud, as openstackclient spells them, for every command.

`--os-cloud NAME` (also `--cloud`, `-c`, and `OS_CLOUD`) names a clouds.yaml entry; without one,
the `OS_*` environment (OS_AUTH_URL, OS_USERNAME, OS_APPLICATION_CREDENTIAL_ID, OS_TOKEN, ...) is the
cloud, or the only entry of clouds.yaml. `--os-cacert`/`OS_CACERT` and `--insecure` set TLS trust.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

from ._output import fail

if TYPE_CHECKING:
    from ..collect import CloudSpec

CLOUD_HELP = "clouds.yaml entry (OS_CLOUD); without one the OS_* environment or the only clouds.yaml entry is used."
CLOUDS = typer.Option(
    [],
    "--os-cloud",
    "--cloud",
    "-c",
    envvar="OS_CLOUD",
    metavar="NAME",
    help=CLOUD_HELP + " Repeat for several clouds, checked side by side.",
    show_default=False,
)
CLOUD = typer.Option(None, "--os-cloud", "--cloud", "-c", envvar="OS_CLOUD", metavar="NAME", help=CLOUD_HELP)
INSECURE = typer.Option(False, "--insecure", help="Do not verify the API's TLS certificate (tests only).")
CACERT = typer.Option(
    None, "--os-cacert", envvar="OS_CACERT", metavar="FILE", help="CA bundle (PEM) to verify the API's certificate."
)


def cloud_specs(names: list[str] | None, insecure: bool = False, cacert: str | None = None) -> list[CloudSpec]:
    """One spec per named cloud (duplicates dropped), or the environment's cloud; checked now (exit 2)."""
    from ..collect import CloudError, CloudSpec, resolve

    specs = []
    for name in dict.fromkeys(names or [None]):  # type: ignore[list-item]
        spec = CloudSpec(name, insecure, cacert)
        try:
            region = resolve(spec)
        except CloudError as error:
            raise fail(error.message, error.hint) from None
        # without a name: the environment's cloud (`envvars`) or the only clouds.yaml entry, by its name
        specs.append(CloudSpec(str(region.name), insecure, cacert) if name is None else spec)
    return specs


def connect_or_fail(spec: CloudSpec, **options: Any) -> Any:
    """An authenticated connection, or exit 2 with the one-line reason and what to do."""
    from ..collect import CloudError, connect

    try:
        return connect(spec, **options)
    except CloudError as error:
        raise fail(error.message, error.hint) from None
