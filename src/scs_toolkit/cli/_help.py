"""How `--help` shows option values: a flag takes none, a repeatable option says so.

Typer (>= 0.20) prints a type for every option, `<bool>` for plain flags and `<list[str]>` for
repeatable ones, which reads as if `--insecure` wanted a value. People know `--insecure` and
`--cloud NAME ...` from every other tool; this keeps Typer's layout and fixes the labels.
"""

from __future__ import annotations

from typing import Any

from typer.core import TyperArgument, TyperOption

_original = TyperOption.display_type_rich
_original_argument = TyperArgument.display_type_rich


def _option_type(self: TyperOption, ctx: Any) -> str | None:
    if self.is_flag or self.count:
        return None
    if self.metavar:
        return self.metavar
    label = _original(self, ctx)
    if label and label.startswith("<list[") and label.endswith("]>"):
        return f"<{label[6:-2]}> ..."  # repeatable: --cloud a --cloud b
    return label


def _argument_type(self: TyperArgument, ctx: Any) -> str | None:
    label = _original_argument(self, ctx)
    if label and label.startswith("<list[") and label.endswith("]>"):
        return f"<{label[6:-2]}> ..."
    return label


def install() -> None:
    TyperOption.display_type_rich = _option_type  # type: ignore[method-assign]
    TyperArgument.display_type_rich = _argument_type  # type: ignore[method-assign,assignment]
