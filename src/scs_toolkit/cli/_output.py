"""One way for every command to print results: a Rich table for people, JSON or YAML for programs."""

from __future__ import annotations

import datetime as dt
import enum
import json
import sys
from collections.abc import Callable
from typing import Any

import typer
import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table


class OutputFormat(enum.StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


FORMAT_OPTION = typer.Option(
    OutputFormat.table, "--format", "-f", help="Output format: table for people, json or yaml for programs."
)

#: Results go to stdout; diagnostics to stderr, so that `--format json | jq` always works.
#: When piped, Rich would assume 80 columns and wrap tables mid-word; give it room instead.
_PIPE_WIDTH = 160
stdout = Console(width=None if sys.stdout.isatty() else _PIPE_WIDTH)
stderr = Console(stderr=True, width=None if sys.stderr.isatty() else _PIPE_WIDTH)


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"cannot serialize {type(value).__name__}")


def emit(data: Any, output: OutputFormat, table: Callable[[], Table | str]) -> None:
    """Print `data` as JSON/YAML, or the Rich renderable that `table` builds for people."""
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps(data, indent=2, default=_plain) + "\n")
    elif output is OutputFormat.yaml:
        plain = json.loads(json.dumps(data, default=_plain))
        sys.stdout.write(yaml.safe_dump(plain, sort_keys=False, allow_unicode=True))
    else:
        stdout.print(table())


def fail(message: str, hint: str | None = None, code: int = 2) -> typer.Exit:
    """Print an error (and what to do about it) to stderr; returns the Exit to raise."""
    # soft_wrap: never break a message inside a path or a command the user may copy
    stderr.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    if hint:
        stderr.print(f"[dim]hint:[/] {escape(hint)}", highlight=False, soft_wrap=True)
    return typer.Exit(code)
