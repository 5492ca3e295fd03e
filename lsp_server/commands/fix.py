"""`rodimus-lsp fix ROOT --issue FILE [--apply]`: the whole CGM pipeline; only `--apply` writes files."""
from __future__ import annotations

import argparse
import json
import sys

from lsp_server.commands._issue import (
    add_issue_arguments,
    localization_embedder,
    localization_index,
    read_issue,
    reader_config,
)

HELP = "localize an issue in ROOT and propose a patch (written only with --apply)"
EPILOG = """examples:
  rodimus-lsp fix . --issue issue.md
  rodimus-lsp fix . --issue issue.md --cgm-backend openai --cgm-endpoint http://localhost:8000/v1 --cgm-model cgm
  rodimus-lsp fix . --issue issue.md --cgm-backend openai --cgm-endpoint URL --cgm-model M --apply

--json prints {"patch", "files", "localization"} (+ "message" when there is no patch or something to note):
"patch" is a unified diff (null when there is none), "files" the paths it changes, "localization" what
`localize --json` prints. Without a reader (--cgm-backend) the localization is shown and no patch is made up.
A patch is offered only if it applies cleanly, adds no syntax errors and stays inside ROOT.
Exit status: 0 with a patch (or with the localization when no reader is configured), 1 when the reader failed
or its patch was rejected."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_issue_arguments(parser)
    parser.add_argument("--apply", action="store_true", help="write the validated patch into ROOT")


def run(args: argparse.Namespace) -> int:
    issue = read_issue(args.issue)
    config = reader_config(args)
    from analysis.patch.apply import PatchError, disk_reader, write_patch
    from analysis.patch.pipeline import fix_issue
    from analysis.readers.config import build_chat, build_reader, missing_reader_hint

    project, index = localization_index(args)
    embedder, vectors = localization_embedder(args, project)
    reader = build_reader(config)
    result = fix_issue(index, issue, reader, disk_reader(project.root), chat=build_chat(config),
                       embedder=embedder, definition_vectors=vectors,
                       missing_reader_message=missing_reader_hint(config))  # fmt: skip
    refused = None
    if args.apply and result.patch is not None:
        try:
            write_patch(project.root, result.patch)
        except PatchError as error:
            refused = "; ".join(error.problems)
    payload = result.to_json(args.k)
    if args.json:
        print(json.dumps(payload))
    else:
        _print_human(payload, applied=args.apply and result.patch is not None and refused is None)
    if result.patch is None and result.message:
        print(f"rodimus-lsp fix: {' '.join(result.message.split())}", file=sys.stderr)
    if refused is not None:
        print(f"rodimus-lsp fix: the patch was not applied: {refused}", file=sys.stderr)
        return 1
    return 0 if result.patch is not None or reader is None else 1


def _print_human(payload: dict, applied: bool) -> None:
    print("likely files:")
    for rank, item in enumerate(payload["localization"]["files"], 1):
        print(f"  {rank:2d}. {item['path']}  ({item['score']:.3f})")
    print("likely functions:")
    for rank, item in enumerate(payload["localization"]["functions"], 1):
        print(f"  {rank:2d}. {item['name']}  {item['path']}:{item['start_line']}-{item['end_line']}")
    if payload["patch"]:
        print("\npatch" + (" (applied):" if applied else " (not applied; rerun with --apply to write it):"))
        print(payload["patch"], end="")
