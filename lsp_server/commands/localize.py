"""`rodimus-lsp localize ROOT --issue FILE`: where ROOT must change for an issue (rewriter -> retriever -> reranker)."""
from __future__ import annotations

import argparse
import json

from lsp_server.commands._issue import (
    add_issue_arguments,
    localization_embedder,
    localization_index,
    read_issue,
    reader_config,
)

HELP = "rank the files and functions of ROOT that an issue is about"
EPILOG = """examples:
  rodimus-lsp localize . --issue issue.md
  gh issue view 123 | rodimus-lsp localize . --issue - -k 5 --json

--json prints {"files": [{"path", "score"}], "functions": [{"path", "name", "start_line", "end_line", "score"}]}
(paths relative to ROOT, 1-based inclusive lines, function names qualified inside their file: Class.method).
With a search head in the model folder (--model, default the starter) embedding kNN and skeleton similarity
add evidence, with the vectors `rodimus-lsp search` keeps (the first run embeds the project); without one the
ranking uses BM25 and the code graph. With --cgm-backend openai the issue is also rewritten by that LLM; by
default the rewriter is deterministic."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_issue_arguments(parser)


def run(args: argparse.Namespace) -> int:
    issue = read_issue(args.issue)
    config = reader_config(args)
    from analysis.localize import localize
    from analysis.readers.config import build_chat

    project, index = localization_index(args)
    embedder, vectors = localization_embedder(args, project)
    result = localize(index, issue, embedder=embedder, definition_vectors=vectors, chat=build_chat(config))
    result = result.to_json(args.k)
    if args.json:
        print(json.dumps(result))
        return 0
    print("files:")
    for rank, item in enumerate(result["files"], 1):
        print(f"  {rank:2d}. {item['path']}  ({item['score']:.3f})")
    print("functions:")
    for rank, item in enumerate(result["functions"], 1):
        where = f"{item['path']}:{item['start_line']}-{item['end_line']}"
        print(f"  {rank:2d}. {item['name']}  {where}  ({item['score']:.3f})")
    return 0
