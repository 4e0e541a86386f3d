"""The ``ehrpriv`` command line.

Each subcommand lives beside the code it drives: a module that offers one defines
``register_cli(subparsers)``, adding its parser and setting ``func`` on it, and is
listed in :data:`COMMAND_MODULES`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Modules that add subcommands, in the order they appear in ``ehrpriv --help``.
COMMAND_MODULES = (
    "ehrpriv.synthea",
    "ehrpriv.exercises",
    "ehrpriv.grading.grader",
    "ehrpriv.colab",
)


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="ehrpriv",
        description="Course kit for privacy-preserving machine learning on EHR.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(name).register_cli(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, TypeError, KeyError, OSError) as error:
        message = error.args[0] if isinstance(error, KeyError) else error
        print(f"ehrpriv {args.command}: error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
