"""`rodimus-lsp graph ROOT -o OUT.json`: export the code graph in CGM's JSON format."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from lsp_server.commands._root import add_root_arguments, index_root
from lsp_server.errors import UsageError

HELP = "export the code graph of ROOT in CGM's JSON format"
EPILOG = """examples:
  rodimus-lsp graph . -o graph.json

The file holds {"nodes": [...], "edges": [{"edgeType", "source", "target"}]}, the format CGM's tools read.
--json prints {"output", "nodes", "edges"}: the file written and how many nodes and edges it holds."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root_arguments(parser)
    parser.add_argument("-o", "--output", required=True, metavar="OUT.json", help="the file to write")
    parser.add_argument("--json", action="store_true", help="print a summary as JSON")


def run(args: argparse.Namespace) -> int:
    out = Path(args.output).expanduser()
    if out.is_dir():
        raise UsageError(f"-o {args.output!r} is a folder, not a file")
    if not out.parent.is_dir():
        raise UsageError(f"-o {args.output!r}: folder {str(out.parent)!r} does not exist")
    project, _ = index_root(args)
    from analysis.export import write_cgm_json  # after the checks: a usage error needs no graph stack

    write_cgm_json(project.graph, project.root, out)
    nodes, edges = project.graph.number_of_nodes(), project.graph.number_of_edges()
    if args.json:
        print(json.dumps({"output": str(out), "nodes": nodes, "edges": edges}))
    else:
        print(f"wrote {out} ({nodes} nodes, {edges} edges)")
    return 0
