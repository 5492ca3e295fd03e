"""`rodimus-lsp`: the command line. One module per subcommand under `lsp_server/commands/`.

A command module provides `HELP` (one line), `add_arguments(parser)` and `run(args) -> int`, and keeps its
heavy imports (torch, the graph stack) inside `run`, so that `--help` and the other commands stay fast.
To add a command, add its module and one line to `COMMANDS`.

Errors are one line on stderr: exit 2 for bad usage or input (`UsageError`, argparse errors, missing
files), 1 for an internal failure; a traceback only with `--traceback`.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import NoReturn

from lsp_server import __version__
from lsp_server.errors import CliError, UsageError

PROG = "rodimus-lsp"

COMMANDS: dict[str, str] = {
    "serve": "lsp_server.commands.serve",
    "index": "lsp_server.commands.index",
    "graph": "lsp_server.commands.graph",
    "complete": "lsp_server.commands.complete",
    "search": "lsp_server.commands.search",
    "localize": "lsp_server.commands.localize",
    "fix": "lsp_server.commands.fix",
    "serve-model": "lsp_server.commands.serve_model",
    "train": "lsp_server.commands.train",
}

EPILOG = """examples:
  rodimus-lsp serve                      language server on stdin/stdout (what an editor starts)
  rodimus-lsp serve --tcp --port 2087    language server on a TCP port
  rodimus-lsp index . --json             build or refresh the code graph of the current folder
  rodimus-lsp graph . -o graph.json      export the code graph in CGM's JSON format
  rodimus-lsp complete app.py --line 3 --column 5 --json   one completion at line 3, column 5
  rodimus-lsp search . "read a config file" -k 5          semantic search over the code graph

Lines and columns are 1-based; paths in JSON are relative to ROOT with "/" separators."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit 2), not the usage text."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="A language server with a live code graph and repository-aware AI.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    parser.add_argument("--traceback", action="store_true", help="show the traceback of an internal failure")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    subparsers.required = True
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        sub = subparsers.add_parser(
            name, help=module.HELP, description=module.HELP, epilog=getattr(module, "EPILOG", None),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )  # fmt: skip
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = None
    try:
        args = parser.parse_args(argv)
        return int(args.run(args))
    except CliError as exc:
        _fail(f"{_where(args)}error: {exc}")
        return exc.exit_code
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError) as exc:
        _fail(f"{_where(args)}error: {exc.strerror or exc}: {exc.filename}")
        return UsageError.exit_code
    except KeyboardInterrupt:
        _fail(f"{_where(args)}interrupted")
        return 130
    except Exception as exc:
        if args is not None and args.traceback:
            raise
        _fail(f"{_where(args)}internal error: {type(exc).__name__}: {exc} (rerun with --traceback for details)")
        return CliError.exit_code


def _where(args: argparse.Namespace | None) -> str:
    command = getattr(args, "command", None)
    return f"{PROG} {command}: " if command else f"{PROG}: "


def _fail(line: str) -> None:
    print(" ".join(line.split()), file=sys.stderr)
