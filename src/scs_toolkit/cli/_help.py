"""How `--help` shows option values, and what showing help costs.

Typer (>= 0.20) prints a type for every option, `<bool>` for plain flags and `<list[str]>` for
repeatable ones, which reads as if `--insecure` wanted a value. People know `--insecure` and
`--cloud NAME ...` from every other tool; this keeps Typer's layout and fixes the labels.

Typer's help formatter imports `rich.markdown` for its "markdown" markup mode, which we never
use; that import pulls in markdown-it and compiles its regular expressions, about 100 ms of a
200 ms `scs --help`. Until something really builds a Markdown renderable, a stand-in module
answers for it.
"""

from __future__ import annotations

import importlib
import sys
import types
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


class _DeferredMarkdown:
    """rich.markdown.Markdown until the first one is built: then the real module loads."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        return _real_markdown_module().Markdown(*args, **kwargs)


def _real_markdown_module() -> types.ModuleType:
    if isinstance(sys.modules.get("rich.markdown"), _MarkdownStandIn):
        del sys.modules["rich.markdown"]
    return importlib.import_module("rich.markdown")


class _MarkdownStandIn(types.ModuleType):
    """`from rich.markdown import Markdown` gets the deferred class; any other name loads the real module."""

    Markdown = _DeferredMarkdown

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # the import system probes __path__, __spec__ ...: not a use
            raise AttributeError(name)
        return getattr(_real_markdown_module(), name)


def defer_rich_markdown() -> None:
    if "rich.markdown" not in sys.modules:
        sys.modules["rich.markdown"] = _MarkdownStandIn("rich.markdown")


def install() -> None:
    defer_rich_markdown()
    TyperOption.display_type_rich = _option_type  # type: ignore[method-assign]
    TyperArgument.display_type_rich = _argument_type  # type: ignore[method-assign,assignment]
