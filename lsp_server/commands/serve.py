"""`rodimus-lsp serve`: run the language server over stdio (the default) or TCP."""
from __future__ import annotations

import argparse

from lsp_server.errors import UsageError

HELP = "run the language server (stdio by default)"
EPILOG = """examples:
  rodimus-lsp serve
  rodimus-lsp serve --tcp --host 127.0.0.1 --port 2087
  RODIMUS_LSP_LOG=debug rodimus-lsp serve

Logs go to stderr and to the client's output channel (window/logMessage)."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    transport = parser.add_mutually_exclusive_group()
    transport.add_argument("--stdio", action="store_true", help="talk LSP on stdin/stdout (default)")
    transport.add_argument("--tcp", action="store_true", help="listen on a TCP port instead")
    parser.add_argument("--host", default="127.0.0.1", help="TCP address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=2087, help="TCP port to listen on (default: %(default)s)")
    parser.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        help="log level (default: $RODIMUS_LSP_LOG, else info)",
    )


def run(args: argparse.Namespace) -> int:
    if not args.tcp and (args.host != "127.0.0.1" or args.port != 2087):
        raise UsageError("--host and --port need --tcp")
    if not 0 < args.port < 65536:
        raise UsageError(f"--port must be from 1 to 65535, got {args.port}")
    from lsp_server.logs import configure_logging
    from lsp_server.server import build_server  # after the checks: a usage error needs no server stack

    try:
        configure_logging(args.log_level)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    server = build_server()
    if args.tcp:
        server.start_tcp(args.host, args.port)
    else:
        server.start_io()
    return 0
