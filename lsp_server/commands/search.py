"""`rodimus-lsp search ROOT QUERY`: semantic search over the code graph of ROOT (embedding + BM25, fused)."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from lsp_server.commands._root import add_root_arguments, index_root
from lsp_server.errors import UsageError

if TYPE_CHECKING:
    from analysis.search import SearchIndex

HELP = "semantic search over the functions, classes and files of ROOT"
EPILOG = """examples:
  rodimus-lsp search . "parse the header of an HTTP request"
  rodimus-lsp search ~/src/project "retry with exponential backoff" -k 5 --json

--json prints [{"path", "name", "kind", "start_line", "end_line", "score"}], best first (paths relative to ROOT,
1-based inclusive lines, names qualified inside their file: Class.method; kind FUNCTION, CLASS or FILE).
The first run embeds every unit (vectors are then kept beside the graph cache, so later runs embed only what
changed); without a search head in the model folder, ranking is BM25 alone. A QUERY that is a name
(write_config, Config.load, setup.py) lists the units of that name first, with score 1.0."""

PROGRESS_MIN_UNITS = 256


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_root_arguments(parser)
    parser.add_argument("query", metavar="QUERY", help="what to look for, in words or code")
    parser.add_argument("-k", type=int, default=10, metavar="K", help="how many results (default 10)")
    parser.add_argument("--model", metavar="DIR", help="model folder with an embedder/ head (default: the starter)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    if args.k < 1:
        raise UsageError(f"-k must be >= 1, got {args.k}")
    if not args.query.strip():
        raise UsageError("QUERY is empty")
    if args.model is not None and not Path(args.model).expanduser().is_dir():
        raise UsageError(f"--model {args.model!r} is not a folder")
    project, _ = index_root(args)
    from analysis.search import SearchIndex, VectorStore
    from lsp_server.features.search import open_embedder, vectors_path

    embedder, why = open_embedder(args.model)
    if why:
        print(f"rodimus-lsp search: {why}", file=sys.stderr)
    store = None
    if embedder is not None and not args.no_cache:
        store = VectorStore.load(vectors_path(project), embedder.fingerprint)
    index = SearchIndex(project.root, embedder, vectors=store)
    index.refresh(project.graph)
    keep = vectors_path(project) if embedder is not None and not args.no_cache else None
    embed_and_keep(index, "rodimus-lsp search", keep)
    hits = index.search(args.query, args.k)
    if args.json:
        print(json.dumps([hit.to_json() for hit in hits]))
        return 0
    if not hits:
        print(f"rodimus-lsp search: no match among the {len(index.units())} code units of {project.root}",
              file=sys.stderr)
    for rank, hit in enumerate(hits, 1):
        print(f"{rank:2d}. {hit.path}:{hit.start_line}-{hit.end_line}  {hit.kind.lower()} {hit.name}  ({hit.score:.3f})")
    return 0


def embed_and_keep(index: SearchIndex, who: str, path: Path | None) -> None:
    """Embed the units that have no vector yet and keep every vector at `path` (None: keep nothing).

    Interrupted (Ctrl-C), it still keeps the batches done: the first run over a large tree takes minutes on a
    CPU, and the next run goes on from where this one stopped."""
    try:
        _embed_with_progress(index, who)
    finally:
        if path is not None:
            index.save_vectors(path)


def _embed_with_progress(index: SearchIndex, who: str) -> None:
    """Embed the units that have no vector yet, with a progress line on stderr for long runs."""
    total = len(index.pending())
    if total < PROGRESS_MIN_UNITS:
        index.embed_pending()
        return
    started = time.perf_counter()
    print(f"{who}: embedding {total} code units (kept for the next runs)", file=sys.stderr)

    def report(done: int, count: int) -> None:
        if done == count or done % 1024 < 32:
            print(f"  {done}/{count} in {time.perf_counter() - started:.0f} s", file=sys.stderr)

    index.embed_pending(progress=report)
