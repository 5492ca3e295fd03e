"""What `localize` and `fix` share: the issue file, the reader (`cgm.*`) settings, the localization index."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lsp_server.commands._root import add_root_arguments, index_root
from lsp_server.errors import UsageError

HEAD_DIR = "embedder"  # models.embedder.HEAD_DIR, named here so that the check for a head needs no torch

if TYPE_CHECKING:
    from collections.abc import Hashable

    import numpy as np

    from analysis.localize import Embedder, LocalizationIndex
    from analysis.search import SearchIndex
    from analysis.readers.config import ReaderConfig
    from analysis.workspace import Workspace


def add_issue_arguments(parser: argparse.ArgumentParser) -> None:
    add_root_arguments(parser)
    parser.add_argument("--issue", required=True, metavar="FILE", help="text file with the issue ('-': stdin)")
    parser.add_argument("-k", type=int, default=10, metavar="K", help="how many files and functions to list")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--model", metavar="DIR",
                        help="model folder whose embedder/ search head adds embedding evidence (default: the starter)")
    cgm = parser.add_argument_group("CGM backend (the rewriter's LLM and the reader), as the cgm.* settings")
    cgm.add_argument("--cgm-backend", choices=("openai", "local"), help="backend kind (default: none)")
    cgm.add_argument("--cgm-endpoint", metavar="URL", help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1")
    cgm.add_argument("--cgm-model", metavar="NAME", help="model name sent to the endpoint")
    cgm.add_argument("--cgm-api-key-env", metavar="VAR", help="environment variable holding the API key")


def read_issue(value: str) -> str:
    if value == "-":
        text = sys.stdin.read()
    else:
        path = Path(value).expanduser()
        if not path.is_file():
            raise UsageError(f"--issue {value!r} is not a file")
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UsageError(f"--issue {value!r} is not UTF-8 text") from exc
    if not text.strip():
        raise UsageError("the issue text is empty")
    return text


def reader_config(args: argparse.Namespace) -> ReaderConfig:
    from analysis.readers.config import ReaderConfig

    if args.cgm_backend == "openai" and not args.cgm_endpoint:
        raise UsageError("--cgm-backend openai needs --cgm-endpoint")
    return ReaderConfig(args.cgm_backend, args.cgm_endpoint, args.cgm_model, args.cgm_api_key_env)


def localization_index(args: argparse.Namespace) -> tuple[Workspace, LocalizationIndex]:
    """Check the arguments, then index ROOT (warm from the graph cache) and build its localization index, with
    the token counts kept beside the graph cache (unless --no-cache)."""
    if args.k < 1:
        raise UsageError(f"-k must be >= 1, got {args.k}")
    if args.model is not None and not Path(args.model).expanduser().is_dir():
        raise UsageError(f"--model {args.model!r} is not a folder")
    from analysis.localize import LocalizationIndex
    from analysis.localize.tokenstore import STORE_FILE, TokenStore

    project, _ = index_root(args)
    store_path = project.cache_path.with_name(STORE_FILE)
    store = TokenStore() if args.no_cache else TokenStore.load(store_path)
    index = LocalizationIndex.build(project.graph, project.root, store)
    if store.dirty and not args.no_cache:
        store.save(store_path)
    return project, index


def localization_embedder(
    args: argparse.Namespace, project: Workspace
) -> tuple[Embedder | None, dict[Hashable, np.ndarray] | None]:
    """The search embedder of `--model` (default: the starter) and the definitions' vectors, taken from the search
    vectors kept beside the graph cache (what `rodimus-lsp search` keeps; units without one are embedded now and
    kept). Without a usable head: (None, None) and one line on stderr saying so, and localization uses BM25 and
    the graph alone."""
    from models.starter import default_model_dir

    folder = Path(args.model).expanduser() if args.model else default_model_dir()
    why = f"no search head in {folder / HEAD_DIR}"
    embedder = None
    if (folder / HEAD_DIR / "config.json").is_file():  # checked first: without a head, torch is never imported
        from lsp_server.features.search import open_embedder

        embedder, why = open_embedder(str(folder))
        why = why.rsplit(": ", 1)[0]  # open_embedder's reason, without its note about search
    if embedder is None:
        print(f"rodimus-lsp {args.command}: {why}: localization ranks with BM25 and the code graph", file=sys.stderr)
        return None, None
    from analysis.localize.search_vectors import definition_vectors
    from analysis.search import SearchIndex, VectorStore
    from lsp_server.commands.search import embed_and_keep
    from lsp_server.features.search import vectors_path

    store = None if args.no_cache else VectorStore.load(vectors_path(project), embedder.fingerprint)
    search = SearchIndex(project.root, embedder, vectors=store)
    search.refresh(project.graph)
    embed_and_keep(search, f"rodimus-lsp {args.command}", None if args.no_cache else vectors_path(project))
    return embedder, definition_vectors(search)
