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
from ._model import (
    CpuArch,
    Disk,
    DiskType,
    FlavorName,
    Gpu,
    Hypervisor,
    ParsedName,
    make_arch,
    make_disk,
    make_flavor,
    make_gpu,
    make_parsed,
)
from ._render import render
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


# The one-step path for canonically spelled names (no leading zeros, RAM as `4` or `3.5`, no `1x`,
# no generation 0: nothing the scanner would warn about); everything else goes to the scanner. The
# groups and their order mirror the scanner's patterns, so both read a name the same way (a test
# compares them on generated and mutated names). Every number is at most 15 digits: int() and float()
# then never fail or overflow, so the cpu, RAM and disk values admitted pass every value rule (longer
# numbers go to the scanner). Two patterns: most names have no extensions, and a cloud's names share
# a handful of spellings of them (`_bms_hwv_i3h`), each read and checked once (see `_EXTENSIONS`).

_NUMBER = r"[1-9]\d{0,14}"
#: The longest number the scanner reads: longer ones are refused as name errors (no flavor has them).
_MAX_DIGITS = 15


def _main_pattern(syntax: Syntax) -> re.Pattern[str]:
    """cpu, RAM and disk of a canonical name; the extensions, unread, in the last group (`tail`)."""
    inner = re.escape(_SEPARATORS[syntax][0])
    return re.compile(
        rf"SCS-({_NUMBER})([LVTC])(i?){inner}({_NUMBER}(?:\.5)?|0\.5)(u?)(o?)"
        rf"(?:{inner}(?:(?:([2-9]|[1-9]\d{{1,14}})x)?({_NUMBER})([nhsp]?)|([nhsp])))?"
        r"(?P<tail>.*)"
    )


def _extensions_pattern(syntax: Syntax) -> re.Pattern[str]:
    """The canonical extensions (the `tail` of `_main_pattern`); v1 names have no `chy` (the scanner
    rejects it there), so the v1 pattern leaves it out."""
    inner, ext = (re.escape(s) for s in _SEPARATORS[syntax])
    hypervisors = "|".join(sorted(t.HYPERVISORS if syntax == "v2" else t.hypervisors_for("v1")))
    return re.compile(
        rf"(?:{ext}(?P<hyp>{hypervisors}))?(?P<hwv>{ext}hwv)?"
        rf"(?:{ext}(?P<vendor>[izar])(?P<gen>{_NUMBER})?(?P<freq>h*))?"
        rf"(?:{ext}(?P<kind>[Gg])(?P<gvendor>[NAI])(?P<ggen>[a-gi-z]|\d+(?:\.\d+)?)?"
        rf"(?:{inner}(?P<units>{_NUMBER}))?(?P<ufreq>h*)(?:{inner}(?P<vram>{_NUMBER})(?P<vbw>h*))?)?"
        rf"(?P<ib>{ext}ib)?"
    )


_MAIN = {syntax: _main_pattern(syntax).fullmatch for syntax in _SEPARATORS}
_EXTENSION_PATTERNS = {syntax: _extensions_pattern(syntax).fullmatch for syntax in _SEPARATORS}

#: What a name's extensions say (hypervisor, hw virt, cpu architecture, GPU, infiniband) and the
#: oldest version they are valid in.
_Extensions = tuple[Hypervisor | None, bool, CpuArch | None, Gpu | None, bool, t.GrammarVersion]
_NO_EXTENSIONS: dict[Syntax, _Extensions] = {
    "v1": (None, False, None, None, False, "v1"),
    "v2": (None, False, None, None, False, "v2"),
}
#: The extensions already read, keyed on their spelling, the syntax and the version checked; False
#: for a spelling that is not canonical or that a rule rejects (the scanner then says what and where).
#: Reading and checking them is most of the work for a long name. Their values are immutable, so
#: results may share them. The verdict depends on the extensions alone: their rules do not look at
#: cpu, RAM or disk (a test holds `problems` to that). Emptied when full, so that a stream of
#: distinct spellings cannot grow it.
_EXTENSIONS: dict[tuple[str, Syntax, t.GrammarVersion], _Extensions | Literal[False]] = {}
_EXTENSIONS_MAX = 1024


def _canonical(name: str, syntax: Syntax, version: t.GrammarVersion) -> ParsedName | None:
    """What the scanner would return for a canonically spelled valid name, None for any other (then
    the scanner decides). `version` is the one checked (certification checks v3 in either spelling).

    This runs once per name of every listing, so it builds the result without the dataclass
    constructors and checks no rule for the cpu, RAM and disk values: the pattern admits none that a
    rule rejects.
    """
    match = _MAIN[syntax](name)
    if match is None:
        return None
    cpus, cpu_type, insecure, ram, no_ecc, over, count, size, dtype, type_only, tail = match.groups()
    if tail:
        key = (tail, syntax, version)
        extensions = _EXTENSIONS.get(key)  # one step: another thread may empty it meanwhile
        if extensions is None:
            if len(_EXTENSIONS) >= _EXTENSIONS_MAX:
                _EXTENSIONS.clear()
            extensions = _EXTENSIONS[key] = _read_extensions(tail, syntax, version)
        if extensions is False:
            return None
    else:
        extensions = _NO_EXTENSIONS[syntax]
    hypervisor, hw_virt, arch, gpu, infiniband, min_version = extensions
    if size is not None:
        disk = make_disk(int(count) if count else 1, int(size), dtype or None)  # type: ignore[arg-type]
    elif type_only is not None:
        disk = make_disk(1, None, type_only)  # type: ignore[arg-type]
    else:
        disk = None
    flavor = make_flavor(
        int(cpus),
        cpu_type,  # type: ignore[arg-type]  # the pattern admits only the Literal values of the model
        float(ram),
        insecure == "i",
        no_ecc == "u",
        over == "o",
        disk,
        hypervisor,
        hw_virt,
        arch,
        gpu,
        infiniband,
    )
    if syntax == "v1" and version != "v1":
        return make_parsed(name, flavor, "v1", min_version, (_tolerated(flavor),))
    return make_parsed(name, flavor, syntax, min_version, ())


def _read_extensions(tail: str, syntax: Syntax, version: t.GrammarVersion) -> _Extensions | Literal[False]:
    """The canonically spelled extensions `tail`, checked against `version`'s rules; False if not."""
    match = _EXTENSION_PATTERNS[syntax](tail)
    if match is None:
        return False
    groups: tuple[Any, ...] = match.groups()  # the pattern admits only the Literal values of the model
    (hypervisor, hwv, vendor, gen, freq, kind, gvendor, ggen, units, ufreq, vram, vbw, ib) = groups
    arch = make_arch(vendor, int(gen) if gen else None, len(freq)) if vendor else None
    gpu = (
        make_gpu(
            kind,
            gvendor,
            ggen,
            int(units) if units else None,
            len(ufreq),
            int(vram) if vram else None,
            len(vbw) if vbw else 0,
        )
        if kind
        else None
    )
    min_version: t.GrammarVersion = syntax
    if hypervisor or arch or gpu:  # hw virt and infiniband have no rules
        # Checked on a minimal flavor with these extensions: no rule rejects its cpu and RAM.
        flavor = make_flavor(1, "V", 1.0, False, False, False, None, hypervisor, False, arch, gpu, False)
        if problems(flavor, version):
            return False
        min_version = _min_version(flavor, syntax, version)
    return hypervisor, hwv is not None, arch, gpu, ib is not None, min_version


def parse(name: str, version: t.GrammarVersion | None = None) -> ParsedName:
    """Parse `name`; with no `version`, as certification does: v3 rules, v1 spelling tolerated.

    With a `version`, only that version's spelling and value tables are accepted.
    Raises `FlavorNameError` (or its subclass `NotAnScsNameError`) for invalid names.
    """
    # A v1 name has a ":" (between cpu and RAM at least), a v2 name has none.
    if ":" in name:
        if version is None or version == "v1":
            parsed = _canonical(name, "v1", version or "v3")
            if parsed is not None:
                return parsed
    elif version != "v1":
        parsed = _canonical(name, "v2", version or "v3")
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
    if ":" not in name:
        # No v1 reading: it would read the same characters as the v2 one up to the ':' between cpu
        # and RAM, and fail there at the latest; and its error would not be the one reported.
        return _parse(name, _SYNTAXES["v2"], "v3")
    try:
        return _parse(name, _SYNTAXES["v2"], "v3")
    except FlavorNameError:
        try:
            parsed = _parse(name, _SYNTAXES["v1"], "v3")
        except FlavorNameError as v1_error:
            # Report against the spelling the name evidently tried to use.
            raise v1_error from None
    warnings = (_tolerated(parsed.flavor), *parsed.warnings)
    return ParsedName(parsed.text, parsed.flavor, "v1", parsed.min_version, warnings)


def _tolerated(flavor: FlavorName) -> str:
    return f"v1 spelling is merely tolerated; the v2/v3 name is {render(flavor)}"


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

    def bounded(self, text: str, field: str) -> None:
        """A number no flavor has (and int()/float() would refuse or overflow on) is a name error."""
        if len(text.replace(".", "")) > _MAX_DIGITS:
            raise self.fail(
                field, f"{field} {text[:12]!r}... has more than {_MAX_DIGITS} digits", pos=self.pos - len(text)
            )

    def take(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        match = pattern.match(self.name, self.pos)
        if match:
            self.pos = match.end()
        return match

    def mark(self, field: str, match: re.Match[str], group: str | int = 0) -> None:
        self.columns[field] = match.start(group) if match.start(group) >= 0 else match.start()

    def number(self, text: str, field: str) -> int:
        self.bounded(text, field)
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
    scan.bounded(ram_text, "ram")
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
    return make_disk(count, size, cast(DiskType, dtype) if dtype else None)


def _extensions(scan: _Scanner) -> dict[str, object]:
    fields: dict[str, object] = {}
    syntax = scan.syntax
    next_index = 0
    name = scan.name
    while scan.pos < len(name):
        if name[scan.pos] != syntax.ext:
            raise scan.fail("name", f"unexpected text, {scan.found()}", _ordering_hint(scan))
        scan.pos += 1
        for index in range(next_index, len(_ORDER)):
            component, pattern = syntax.extensions[index]
            # Not `scan.take`: most patterns tried do not match, and three letters that are no
            # hypervisor are not taken (they are reported below).
            match = pattern.match(name, scan.pos)
            if match is not None and (component != "hypervisor" or match.group("hyp") in t.HYPERVISORS):
                scan.pos = match.end()
                fields.update(_extension_fields(scan, component, match))
                next_index = index + 1
                break
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


def _min_version(flavor: FlavorName, syntax: Syntax, valid_in: t.GrammarVersion | None = None) -> t.GrammarVersion:
    """The oldest version whose rules `flavor` passes in `syntax` (v3 if none, as for v1 syntax and a
    v3-only value); `valid_in` is a version already known to pass, whose rules need no second look."""
    candidates: tuple[t.GrammarVersion, ...] = ("v1",) if syntax == "v1" else ("v2", "v3")
    for version in candidates:
        if version == valid_in or not problems(flavor, version):
            return version
    return "v3"
