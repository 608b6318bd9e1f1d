"""Read test vectors out of the markdown tables and example lists of the reference documents."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

_EXAMPLE = re.compile(r"SCS-[A-Za-z0-9_:.\\*-]+")


def table_rows(path: Path, heading: str) -> Iterator[dict[str, str]]:
    """Rows of the first table under the markdown heading that starts with `heading`, as dicts."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(
        i for i, line in enumerate(lines) if line.startswith("#") and line.lstrip("#").strip().startswith(heading)
    )
    header: list[str] | None = None
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if not line.startswith("|"):
            if header is not None:
                break
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if header is None:
            header = cells
        elif not set(line) <= set("|- "):
            yield dict(zip(header, cells, strict=False))


def unquote(cell: str) -> str:
    """`SCS-2V-4` -> SCS-2V-4; `'SCS-2V-4 '` (repr) -> 'SCS-2V-4 ' with its spaces."""
    text = cell.strip().strip("`")
    if text.startswith("'") and text.endswith("'"):
        return str(ast.literal_eval(text))
    return text


def example_names(path: Path) -> Iterator[tuple[str, bool, int]]:
    """(name, listed as valid, line number) for every flavor name written in a standard's text.

    Struck-through names (`~~...~~`) are the standard's examples of invalid names.
    """
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        struck = [m.span() for m in re.finditer(r"~~.*?~~", line)]
        for match in _EXAMPLE.finditer(line):
            name = match.group().replace("\\", "").replace("*", "").rstrip(".")
            if re.match(r"SCS-\d+([A-Za-z]|[-:]\d)", name):
                yield name, not any(a <= match.start() < b for a, b in struck), number
