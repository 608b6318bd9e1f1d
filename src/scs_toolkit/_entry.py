"""The `scs` console script: a Ctrl-C while the command is still loading ends quietly with 130.

Importing the CLI takes a noticeable moment (openstacksdk, pydantic); a KeyboardInterrupt raised
inside those imports would otherwise print a traceback of someone else's code.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from .cli import run
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    run()
