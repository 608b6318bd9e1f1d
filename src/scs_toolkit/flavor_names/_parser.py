"""Parse flavor-name strings of scs-0100 v1, v2 and v3 into `FlavorName` objects.

One left-to-right scanner serves both spellings: v1 separates the main parts with `:` and the
extensions with `-`, v2/v3 use `-` and `_`. The scanner records where every value was spelled,
so that a value rule broken later (say, an unknown CPU generation) still points at its characters.

Where the reference tool and the standard disagree, we follow the standard's grammar:
a GPU without processing units may be followed by further extensions (`SCS-2V-4_GNa_ib`), which
the reference rejects because it reads the generation greedily.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, cast

from . import _tables as t
from ._errors import FlavorNameError, NotAnScsNameError
from ._model import CpuArch, Disk, DiskType, FlavorName, Gpu, ParsedName
from ._validate import Problem, problems

Syntax = Literal["v1", "v2"]
PREFIX = "SCS-"

_SEPARATORS: dict[Syntax, tuple[str, str]] = {"v1": (":", "-"), "v2": ("-", "_")}
_ORDER = ("hypervisor", "hwv", "cpu architecture", "gpu", "infiniband")


@dataclass(frozen=True)
class _Syntax:
    """Compiled patterns of one spelling (inner separator `inner`, extension separator `ext`)."""

    name: Syntax
    inner: str
    ext: str
    disk: re.Pattern[str]
    extensions: tuple[tuple[str, re.Pattern[str]], ...]


def _compile(name: Syntax) -> _Syntax:
    inner, ext = (re.escape(s) for s in _SEPARATORS[name])
    end = rf"(?={ext}|$)"
    extensions = (
        ("hypervisor", re.compile(rf"(?P<hyp>[a-z]{{3}}){end}")),
        ("hwv", re.compile(rf"hwv{end}")),
        ("cpu architecture", re.compile(rf"(?P<vendor>[izar])(?P<gen>\d*)(?P<freq>h*){end}")),
        (
            "gpu",
            re.compile(
                rf"(?P<kind>[Gg])(?P<gvendor>[NAI])(?P<ggen>[a-gi-z]|\d+(?:\.\d+)?)?"
                rf"(?:{inner}(?P<units>\d+))?(?P<ufreq>h*)(?:{inner}(?P<vram>\d+)(?P<vbw>h*))?{end}"
            ),
        ),
        ("infiniband", re.compile(rf"ib{end}")),
    )
    disk = re.compile(rf"(?:(?P<count>\d*)x)?(?P<size>\d*)(?P<dtype>[nhsp]?){end}")
    return _Syntax(name, _SEPARATORS[name][0], _SEPARATORS[name][1], disk, extensions)


_SYNTAXES: dict[Syntax, _Syntax] = {"v1": _compile("v1"), "v2": _compile("v2")}
_DIGITS = re.compile(r"\d+")
_RAM = re.compile(r"\d+(?:\.\d+)?|\.\d+")


def is_scs_name(name: str) -> bool:
    """Whether `name` claims to be an SCS flavor name (and so must follow the grammar)."""
    return name.startswith(PREFIX)


#: Names spelled canonically in v2/v3 (no leading zeros, RAM as `4` or `3.5`, no `1x`, no generation
#: 0: nothing the scanner would warn about), matched in one step; everything else goes to the scanner.
#: The groups and their order mirror the scanner's patterns, so both read a name the same way (a test
#: compares them on generated and mutated names).
_CANONICAL = re.compile(
    r"SCS-(?P<cpus>[1-9]\d*)(?P<type>[LVTC])(?P<ins>i?)-(?P<ram>[1-9]\d*(?:\.5)?|0\.5)(?P<noecc>u?)(?P<over>o?)"
    r"(?:-(?:(?P<count>[2-9]|[1-9]\d+)x)?(?P<size>[1-9]\d*)(?P<dtype>[nhsp]?)|-(?P<typeonly>[nhsp]))?"
    rf"(?:_(?P<hyp>{'|'.join(t.HYPERVISORS)}))?(?P<hwv>_hwv)?"
    r"(?:_(?P<vendor>[izar])(?P<gen>[1-9]\d*)?(?P<freq>h*))?"
    r"(?:_(?P<kind>[Gg])(?P<gvendor>[NAI])(?P<ggen>[a-gi-z]|\d+(?:\.\d+)?)?"
    r"(?:-(?P<units>[1-9]\d*))?(?P<ufreq>h*)(?:-(?P<vram>[1-9]\d*)(?P<vbw>h*))?)?"
    r"(?P<ib>_ib)?"
)


def _canonical(name: str, version: t.GrammarVersion) -> ParsedName | None:
    """The ParsedName of a canonically spelled valid name, None for any other (the scanner decides)."""
    match = _CANONICAL.fullmatch(name)
    if match is None:
        return None
    groups: tuple[Any, ...] = match.groups()  # the pattern admits only the Literal values of the model
    (cpus, cpu_type, insecure, ram, no_ecc, over, count, size, dtype, type_only, hypervisor, hwv) = groups[:12]
    (vendor, gen, freq, kind, gvendor, ggen, units, ufreq, vram, vbw, ib) = groups[12:]
    dtype = dtype or type_only
    flavor = FlavorName(
        int(cpus),
        cpu_type,
        float(ram),
        insecure == "i",
        no_ecc == "u",
        over == "o",
        Disk(int(count) if count else 1, int(size) if size else None, dtype or None) if size or dtype else None,
        hypervisor,
        hwv is not None,
        CpuArch(vendor, int(gen) if gen else None, len(freq)) if vendor else None,
        Gpu(
            kind,
            gvendor,
            ggen,
            int(units) if units else None,
            len(ufreq),
            int(vram) if vram else None,
            len(vbw) if vbw else 0,
        )
        if kind
        else None,
        ib is not None,
    )
    if problems(flavor, version):
        return None  # the scanner says which rule, and where
    return ParsedName(name, flavor, "v2", _min_version(flavor, "v2"))


def parse(name: str, version: t.GrammarVersion | None = None) -> ParsedName:
    """Parse `name`; with no `version`, as certification does: v3 rules, v1 spelling tolerated.

    With a `version`, only that version's spelling and value tables are accepted.
    Raises `FlavorNameError` (or its subclass `NotAnScsNameError`) for invalid names.
    """
    if version != "v1":
        parsed = _canonical(name, version or "v3")
        if parsed is not None:
            return parsed
    return _scanned(name, version)


def _scanned(name: str, version: t.GrammarVersion | None = None) -> ParsedName:
    """`parse` by the scanner: every spelling, every warning, every error with its position."""
    if not is_scs_name(name):
        raise NotAnScsNameError(name)
    if version is not None:
        syntax: Syntax = "v1" if version == "v1" else "v2"
        return _parse(name, _SYNTAXES[syntax], version)
    try:
        return _parse(name, _SYNTAXES["v2"], "v3")
    except FlavorNameError as v2_error:
        try:
            parsed = _parse(name, _SYNTAXES["v1"], "v3")
        except FlavorNameError as v1_error:
            # Report against the spelling the name evidently tried to use.
            raise (v1_error if ":" in name else v2_error) from None
    from ._render import render  # local: _render imports the model only, but keep the graph acyclic

    tolerated = f"v1 spelling is merely tolerated; the v2/v3 name is {render(parsed.flavor)}"
    return ParsedName(parsed.text, parsed.flavor, "v1", parsed.min_version, (tolerated, *parsed.warnings))


class _Scanner:
    """Walks one name left to right, remembering where each value was spelled."""

    def __init__(self, name: str, syntax: _Syntax) -> None:
        self.name = name
        self.syntax = syntax
        self.pos = len(PREFIX)
        self.columns: dict[str, int] = {}
        self.warnings: list[str] = []

    def fail(self, component: str, message: str, hint: str | None = None, pos: int | None = None) -> FlavorNameError:
        return FlavorNameError(self.name, component, message, (self.pos if pos is None else pos) + 1, hint)

    def peek(self, length: int = 1) -> str:
        return self.name[self.pos : self.pos + length]

    def found(self) -> str:
        rest = self.name[self.pos :]
        return f"found {rest[:12]!r}" if rest else "found the end of the name"

    def take(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        match = pattern.match(self.name, self.pos)
        if match:
            self.pos = match.end()
        return match

    def mark(self, field: str, match: re.Match[str], group: str | int = 0) -> None:
        self.columns[field] = match.start(group) if match.start(group) >= 0 else match.start()

    def number(self, text: str, field: str) -> int:
        if len(text) > 1 and text.startswith("0"):
            self.warnings.append(f"{field} {text!r} has leading zeros; write {int(text)}")
        return int(text)


def _parse(name: str, syntax: _Syntax, version: t.GrammarVersion) -> ParsedName:
    scan = _Scanner(name, syntax)
    cpus, cpu_type, insecure, ram, no_ecc, oversub = _main(scan)
    disk = _disk(scan) if scan.peek() == syntax.inner else None
    if disk is None and scan.peek() and scan.peek() != syntax.ext:
        raise scan.fail(
            "name",
            f"expected {syntax.inner!r} and a disk, or {syntax.ext!r} and an extension, {scan.found()}",
            _ordering_hint(scan),
        )
    fields = _extensions(scan)
    flavor = FlavorName(
        cpus=cpus,
        cpu_type=cpu_type,  # type: ignore[arg-type]
        insecure=insecure,
        ram_gib=ram,
        ram_no_ecc=no_ecc,
        ram_oversubscribed=oversub,
        disk=disk,
        **fields,  # type: ignore[arg-type]
    )
    broken = problems(flavor, version)
    if syntax.name == "v1" and flavor.hypervisor == "chy":
        broken.insert(0, Problem("hypervisor", "hypervisor", "'chy' does not exist in v1 names (new in v3)"))
    if broken:
        first = broken[0]
        column = scan.columns.get(first.field)
        raise FlavorNameError(name, first.component, first.message, None if column is None else column + 1)
    return ParsedName(name, flavor, syntax.name, _min_version(flavor, syntax.name), tuple(scan.warnings))


def _main(scan: _Scanner) -> tuple[int, str, bool, float, bool, bool]:
    syntax = scan.syntax
    cpus_match = scan.take(_DIGITS)
    if cpus_match is None:
        raise scan.fail("cpu count", f"expected the number of vCPUs, {scan.found()}", "e.g. SCS-2V-4")
    scan.mark("cpus", cpus_match)
    cpus = scan.number(cpus_match.group(), "cpu count")
    cpu_type = scan.peek()
    if cpu_type not in t.CPU_TYPES:
        hint = None
        if cpu_type == "i" and scan.peek(2)[1:] in t.CPU_TYPES:
            hint = f"the insecure flag follows the type letter: write {cpus_match.group()}{scan.peek(2)[1]}i"
        elif cpu_type.upper() in t.CPU_TYPES and cpu_type:
            hint = f"type letters are upper case: {cpu_type.upper()}"
        raise scan.fail("cpu type", f"expected one of L, V, T, C after the cpu count, {scan.found()}", hint)
    scan.columns["cpu_type"] = scan.pos
    scan.pos += 1
    insecure = scan.peek() == "i"
    scan.pos += insecure
    if scan.peek() != syntax.inner:
        raise scan.fail("separator", f"expected {syntax.inner!r} between cpu and ram, {scan.found()}")
    scan.pos += 1
    ram_match = scan.take(_RAM)
    if ram_match is None:
        raise scan.fail("ram", f"expected the RAM size in GiB (e.g. 4 or 3.5), {scan.found()}")
    scan.mark("ram", ram_match)
    ram_text = ram_match.group()
    ram = float(ram_text)
    if ram_text != _ram_text(ram) and ram > 0 and ram * 2 == int(ram * 2):
        scan.warnings.append(f"ram {ram_text!r} is not written canonically; write {_ram_text(ram)}")
    no_ecc = scan.peek() == "u"
    scan.pos += no_ecc
    oversub = scan.peek() == "o"
    scan.pos += oversub
    if oversub and scan.peek() == "u":
        raise scan.fail("ram flags", "'u' (no ECC) must come before 'o' (oversubscribed)", "write 'uo'")
    return cpus, cpu_type, insecure, ram, no_ecc, oversub


def _ram_text(ram: float) -> str:
    return str(int(ram)) if ram == int(ram) else f"{ram:.1f}"


def _disk(scan: _Scanner) -> Disk:
    scan.pos += 1  # the inner separator
    start = scan.pos
    match = scan.take(scan.syntax.disk)
    if match is None:
        digits = _DIGITS.match(scan.name, start)
        stop = digits.end() if digits else start
        bad = scan.name[stop : stop + 1]
        if digits and bad == ".":
            raise scan.fail("disk size", "must be a whole number of GB", pos=stop)
        if bad.lower() in t.DISK_TYPES:
            raise scan.fail(
                "disk type", f"{bad!r} is not a disk type", f"types are lower case: {bad.lower()}", pos=stop
            )
        raise scan.fail(
            "disk", f"expected [count x][size in GB][type n|h|s|p], found {scan.name[stop : stop + 12]!r}", pos=stop
        )
    count_text, size_text, dtype = match.group("count"), match.group("size"), match.group("dtype")
    if count_text is not None:
        scan.mark("disk_count", match, "count")
    scan.mark("disk_size", match, "size")
    count = scan.number(count_text, "disk count") if count_text else 1
    if count_text and count == 1:
        scan.warnings.append("a disk count of 1 is implied; leave out '1x'")
    size = scan.number(size_text, "disk size") if size_text else None
    return Disk(count=count, size_gb=size, type=cast(DiskType, dtype) if dtype else None)


def _extensions(scan: _Scanner) -> dict[str, object]:
    fields: dict[str, object] = {}
    syntax = scan.syntax
    next_index = 0
    while scan.pos < len(scan.name):
        if scan.peek() != syntax.ext:
            raise scan.fail("name", f"unexpected text, {scan.found()}", _ordering_hint(scan))
        scan.pos += 1
        for index in range(next_index, len(_ORDER)):
            component, pattern = syntax.extensions[index]
            match = scan.take(pattern)
            if match is not None and (component != "hypervisor" or match.group("hyp") in t.HYPERVISORS):
                fields.update(_extension_fields(scan, component, match))
                next_index = index + 1
                break
            if match is not None:  # three letters that are no hypervisor: undo, report below
                scan.pos = match.start()
        else:
            scan.pos -= 1
            raise _unknown_extension(scan, next_index)
    return fields


def _extension_fields(scan: _Scanner, component: str, match: re.Match[str]) -> dict[str, object]:
    if component == "hypervisor":
        scan.mark("hypervisor", match)
        return {"hypervisor": match.group("hyp")}
    if component == "hwv":
        return {"hw_virt": True}
    if component == "infiniband":
        return {"infiniband": True}
    if component == "cpu architecture":
        scan.mark("cpu_vendor", match, "vendor")
        scan.mark("cpu_generation", match, "gen")
        scan.mark("cpu_frequency", match, "freq")
        gen = match.group("gen")
        if gen == "0":
            scan.warnings.append("cpu generation 0 is best left out")
        generation = scan.number(gen, "cpu generation") if gen else None
        return {"arch": CpuArch(match.group("vendor"), generation, len(match.group("freq")))}  # type: ignore[arg-type]
    for field, group in (
        ("gpu_generation", "ggen"),
        ("gpu_units", "units"),
        ("gpu_unit_frequency", "ufreq"),
        ("gpu_vram", "vram"),
        ("gpu_vram_bandwidth", "vbw"),
    ):
        scan.mark(field, match, group)
    units, vram = match.group("units"), match.group("vram")
    gpu = Gpu(
        kind=match.group("kind"),  # type: ignore[arg-type]
        vendor=match.group("gvendor"),  # type: ignore[arg-type]
        generation=match.group("ggen"),
        units=scan.number(units, "gpu units") if units else None,
        unit_frequency=len(match.group("ufreq")),
        vram_gib=scan.number(vram, "gpu vram") if vram else None,
        vram_bandwidth=len(match.group("vbw") or ""),
    )
    return {"gpu": gpu}


def _unknown_extension(scan: _Scanner, next_index: int) -> FlavorNameError:
    """Say why the text after a separator is no (further) extension: unknown, or out of order."""
    syntax = scan.syntax
    start = scan.pos
    text = scan.name[start + 1 :].split(syntax.ext, 1)[0]
    for index, (component, pattern) in enumerate(syntax.extensions):
        match = pattern.match(scan.name, start + 1)
        if match and (component != "hypervisor" or match.group("hyp") in t.HYPERVISORS) and index < next_index:
            return scan.fail(
                component,
                f"'{syntax.ext}{text}' is out of place",
                f"extensions go in the order {', '.join(_ORDER)}, each at most once",
            )
    expected = ", ".join(_ORDER[next_index:]) or "nothing (the name is complete)"
    if text[:3].isalpha() and len(text) == 3 and text.islower() and next_index == 0:
        hint = f"hypervisors are {', '.join(t.HYPERVISORS)}"
    elif text[:1] in ("G", "g") and next_index <= 3:
        hint = "a GPU is G or g, a vendor N, A or I, then an optional generation, e.g. GNa-64"
    else:
        hint = None
    return scan.fail("extension", f"unknown extension {text!r}; expected {expected}", hint)


def _ordering_hint(scan: _Scanner) -> str | None:
    rest = scan.name[scan.pos :]
    if scan.syntax.name == "v2" and ":" in rest:
        return "':' separates parts in v1 names only; v2/v3 names use '-' and '_'"
    return None


def _min_version(flavor: FlavorName, syntax: Syntax) -> t.GrammarVersion:
    candidates: tuple[t.GrammarVersion, ...] = ("v1",) if syntax == "v1" else ("v2", "v3")
    for version in candidates:
        if not problems(flavor, version):
            return version
    return "v3"
