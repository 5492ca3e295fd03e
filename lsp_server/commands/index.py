"""`rodimus-lsp index ROOT`: build or refresh the code graph of ROOT (and its cache)."""
from __future__ import annotations

import argparse
import json

from lsp_server.commands._root import add_root_arguments, index_root

HELP = "build or refresh the code graph of ROOT"
EPILOG = """examples:
  rodimus-lsp index .
  rodimus-lsp index ~/src/project --json --no-cache

--json prints {"files", "nodes": {TYPE: n}, "edges": {TYPE: n}, "seconds", "cache": "hit"|"miss"|"partial"}."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args: argparse.Namespace) -> int:
    from lsp_server.reports import index_report_json, index_summary

    _, report = index_root(args)
    if args.json:
        print(json.dumps(index_report_json(report)))
        return 0
    print(index_summary(report))
    for title, counts in (("nodes", report.nodes), ("edges", report.edges)):
        print(f"  {title}: " + (", ".join(f"{kind} {n}" for kind, n in sorted(counts.items())) or "none"))
    return 0
