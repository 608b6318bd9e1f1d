"""`scs flavor`: work with scs-0100 flavor names."""

from __future__ import annotations

import enum
from typing import Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from .. import flavor_names as fn
from ._output import FORMAT_OPTION, OutputFormat, emit, fail, stdout

app = typer.Typer(help="Parse, check, describe, convert and generate scs-0100 flavor names.", no_args_is_help=True)


class Version(enum.StrEnum):
    """Which version of scs-0100 to hold a name to."""

    v1 = "v1"
    v2 = "v2"
    v3 = "v3"


NAMES = typer.Argument(..., help="Flavor names, e.g. SCS-2V-4-20s.", show_default=False)
VERSION_OPTION = typer.Option(
    None,
    "--version",
    help="Hold names to one version of scs-0100. Default: as certification does (v3, v1 spelling tolerated).",
)


def _try_parse(name: str, version: Version | None) -> fn.ParsedName | fn.FlavorNameError:
    try:
        return fn.parse(name, version.value if version else None)
    except fn.FlavorNameError as error:
        return error


def _error_record(error: fn.FlavorNameError) -> dict[str, Any]:
    return {
        "name": error.name,
        "valid": False,
        "error": error.describe(),
        "component": error.component,
        "position": error.column,
    }


@app.command()
def parse(
    names: list[str] = NAMES, version: Optional[Version] = VERSION_OPTION, output: OutputFormat = FORMAT_OPTION
) -> None:
    """Show every property a flavor name states. Exit 1 if any name is invalid."""
    results = [_try_parse(name, version) for name in names]
    records = [_error_record(r) if isinstance(r, fn.FlavorNameError) else fn.as_dict(r) for r in results]

    def tables() -> Table:
        grid = Table.grid(padding=(0, 2))
        for result, record in zip(results, records, strict=False):
            grid.add_row(_parsed_table(record) if record["valid"] else _error_text(result))  # type: ignore[arg-type]
        return grid

    emit(records, output, tables)
    raise typer.Exit(0 if all(r["valid"] for r in records) else 1)


def _parsed_table(record: dict[str, Any]) -> Table:
    table = Table(title=escape(record["name"]), show_header=False, title_justify="left", title_style="bold")
    table.add_column("property", style="cyan")
    table.add_column("value")
    disk = record["disk"]
    rows = [
        (
            "cpus",
            f"{record['cpus']} x {record['cpu_type']} ({record['cpu_type_name']})"
            + (", insecure" if record["insecure"] else ""),
        ),
        (
            "ram",
            f"{record['ram_gib']} GiB"
            + "".join(f", {k}" for k in ("no ECC", "oversubscribed") if record[_RAM_KEYS[k]]),
        ),
        (
            "disk",
            "none (boot from volume)"
            if disk is None
            else f"{disk['count']} x {disk['size_gb'] or 'cloud-chosen'} GB {disk['type_name'] or 'unspecified type'}",
        ),
    ]
    if record["hypervisor"]:
        rows.append(("hypervisor", record["hypervisor"]))
    if record["hw_virt"]:
        rows.append(("hw virt", "yes"))
    if record["cpu_arch"]:
        arch = record["cpu_arch"]
        generation = "-" if arch["generation"] is None else arch["generation"]
        rows.append(("cpu", f"{arch['vendor_name']} generation {generation} {arch['frequency']}"))
    if record["gpu"]:
        gpu = record["gpu"]
        text = f"{gpu['kind']} {gpu['vendor_name']} {gpu['generation'] or ''}"
        rows.append(("gpu", f"{text} units={gpu['units']} vram={gpu['vram_gib']}"))
    if record["infiniband"]:
        rows.append(("infiniband", "yes"))
    rows += [
        ("canonical", record["canonical_name"]),
        ("v1 spelling", record["v1_name"]),
        ("short name", record["short_name"]),
        ("description", record["description"]),
    ]
    rows += [("warning", w) for w in record["warnings"]]
    for key, value in rows:
        table.add_row(key, escape(str(value)))
    return table


_RAM_KEYS = {"no ECC": "ram_no_ecc", "oversubscribed": "ram_oversubscribed"}


def _error_text(error: fn.FlavorNameError) -> str:
    pointer = escape(error.pointer())
    return f"[bold red]invalid[/] {pointer}\n  {escape(error.describe())}"


@app.command()
def check(
    names: list[str] = NAMES, version: Optional[Version] = VERSION_OPTION, output: OutputFormat = FORMAT_OPTION
) -> None:
    """Validate flavor names. Exit 0 when all are valid, 1 otherwise."""
    records: list[dict[str, Any]] = []
    for name in names:
        result = _try_parse(name, version)
        if isinstance(result, fn.FlavorNameError):
            records.append({"name": name, "valid": False, "error": result.describe(), "warnings": []})
        else:
            records.append({"name": name, "valid": True, "error": None, "warnings": list(result.warnings)})

    def table() -> Table:
        grid = Table(show_header=True, header_style="bold")
        grid.add_column("name")
        grid.add_column("valid")
        grid.add_column("why")
        for record in records:
            mark = "[green]yes[/]" if record["valid"] else "[red]no[/]"
            why = record["error"] or "; ".join(record["warnings"])
            grid.add_row(escape(record["name"]), mark, escape(why))
        return grid

    emit(records, output, table)
    raise typer.Exit(0 if all(r["valid"] for r in records) else 1)


@app.command()
def describe(names: list[str] = NAMES) -> None:
    """Say in plain English what flavor names promise."""
    ok = True
    for name in names:
        result = _try_parse(name, None)
        if isinstance(result, fn.FlavorNameError):
            ok = False
            stdout.print(f"{escape(name)}: [red]invalid[/]: {escape(result.describe())}")
        else:
            stdout.print(f"{escape(name)}: {escape(fn.describe(result.flavor))}")
    raise typer.Exit(0 if ok else 1)


@app.command()
def convert(
    names: list[str] = NAMES,
    to: Version = typer.Option(Version.v2, "--to", help="Target spelling: v1 (colons) or v2/v3 (dashes)."),
) -> None:
    """Convert names between v1 spelling (SCS-2V:4:20s) and v2/v3 spelling (SCS-2V-4-20s)."""
    ok = True
    for name in names:
        try:
            stdout.print(escape(fn.convert(name, to.value)), highlight=False)
        except fn.FlavorNameError as error:
            ok = False
            stdout.print(f"{escape(name)}: [red]invalid[/]: {escape(error.describe())}")
    raise typer.Exit(0 if ok else 1)


@app.command("extra-specs")
def extra_specs(names: list[str] = NAMES, output: OutputFormat = FORMAT_OPTION) -> None:
    """List the extra_specs (scs:cpu-type, scs:diskN-type, scs:name-vN) a flavor of this name should carry."""
    records: list[dict[str, Any]] = []
    for name in names:
        result = _try_parse(name, None)
        if isinstance(result, fn.FlavorNameError):
            records.append(_error_record(result))
        else:
            records.append({"name": name, "valid": True, "extra_specs": fn.extra_specs(result.flavor)})

    def table() -> Table:
        grid = Table("flavor", "extra spec", "value", header_style="bold")
        for record in records:
            if not record["valid"]:
                grid.add_row(escape(record["name"]), "[red]invalid[/]", escape(record["error"]))
                continue
            for key, value in record["extra_specs"].items():
                grid.add_row(escape(record["name"]), key, escape(value))
        return grid

    emit(records, output, table)
    raise typer.Exit(0 if all(r["valid"] for r in records) else 1)


class GpuKind(enum.StrEnum):
    passthrough = "passthrough"
    virtual = "virtual"


@app.command()
def generate(
    cpus: int = typer.Option(..., help="Number of vCPUs."),
    cpu_type: str = typer.Option(
        ..., "--cpu-type", help="L (crowded), V (shared), T (dedicated thread), C (dedicated core)."
    ),
    ram: float = typer.Option(..., help="RAM in GiB, a multiple of 0.5."),
    insecure: bool = typer.Option(False, help="No microcode/mitigation commitment (the 'i' flag)."),
    no_ecc: bool = typer.Option(False, "--no-ecc", help="RAM without ECC ('u')."),
    oversubscribed: bool = typer.Option(False, help="RAM oversubscribed ('o')."),
    disk: Optional[int] = typer.Option(None, help="Root disk size in GB; omit for no root disk."),
    disk_count: Optional[int] = typer.Option(None, "--disk-count", help="Number of disks (default 1)."),
    disk_type: Optional[str] = typer.Option(None, "--disk-type", help="n (network), h (HDD), s (SSD), p (NVMe)."),
    hypervisor: Optional[str] = typer.Option(None, help="kvm, xen, vmw, hyv, bms (bare metal), chy."),
    hw_virt: bool = typer.Option(False, "--hw-virt", help="Nested virtualization available."),
    cpu_vendor: Optional[str] = typer.Option(None, "--cpu-vendor", help="i (Intel), z (AMD), a (ARM), r (RISC-V)."),
    cpu_gen: Optional[int] = typer.Option(None, "--cpu-gen", help="CPU generation (needs --cpu-vendor)."),
    cpu_freq: int = typer.Option(0, "--cpu-freq", help="All-core frequency class 0-3 (h, hh, hhh)."),
    gpu_vendor: Optional[str] = typer.Option(None, "--gpu-vendor", help="N (Nvidia), A (AMD), I (Intel)."),
    gpu_kind: GpuKind = typer.Option(GpuKind.passthrough, "--gpu-kind", help="Pass-through or virtual GPU."),
    gpu_gen: Optional[str] = typer.Option(None, "--gpu-gen", help="GPU generation, e.g. a (Ampere), 3.1 (RDNA3)."),
    gpu_units: Optional[int] = typer.Option(None, "--gpu-units", help="SMs / CUs / EUs."),
    gpu_vram: Optional[int] = typer.Option(None, "--gpu-vram", help="VRAM in GiB (v3)."),
    infiniband: bool = typer.Option(False, "--ib", help="Infiniband."),
    version: Version = typer.Option(Version.v3, "--version", help="Spelling and rules of this scs-0100 version."),
    output: OutputFormat = FORMAT_OPTION,
) -> None:
    """Build the canonical flavor name from properties."""
    if (cpu_gen is not None or cpu_freq) and cpu_vendor is None:
        raise fail("--cpu-gen and --cpu-freq need --cpu-vendor", "add e.g. --cpu-vendor z")
    if (gpu_gen or gpu_units or gpu_vram) and gpu_vendor is None:
        raise fail("GPU options need --gpu-vendor", "add e.g. --gpu-vendor N")
    has_disk = disk is not None or disk_count is not None or disk_type is not None
    flavor = fn.FlavorName(
        cpus=cpus,
        cpu_type=cpu_type,  # type: ignore[arg-type]
        ram_gib=ram,
        insecure=insecure,
        ram_no_ecc=no_ecc,
        ram_oversubscribed=oversubscribed,
        disk=fn.Disk(disk_count or 1, disk, disk_type) if has_disk else None,  # type: ignore[arg-type]
        hypervisor=hypervisor,  # type: ignore[arg-type]
        hw_virt=hw_virt,
        arch=fn.CpuArch(cpu_vendor, cpu_gen, cpu_freq) if cpu_vendor else None,  # type: ignore[arg-type]
        gpu=fn.Gpu("G" if gpu_kind is GpuKind.passthrough else "g", gpu_vendor, gpu_gen, gpu_units, 0, gpu_vram)  # type: ignore[arg-type]
        if gpu_vendor
        else None,
        infiniband=infiniband,
    )
    try:
        name = fn.generate(flavor, version.value)
    except fn.FlavorNameError as error:
        raise fail(f"cannot build a {version.value} name: {error.describe()}", "check the option values") from None
    record = fn.as_dict(fn.parse(name, version.value))
    emit(record, output, lambda: f"{escape(name)}\n[dim]{escape(record['description'])}[/]")
