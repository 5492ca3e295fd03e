"""What the commands that take a ROOT folder share: checking it, and building its code graph."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from lsp_server.errors import UsageError

if TYPE_CHECKING:
    from analysis.types import IndexReport
    from analysis.workspace import Workspace


def add_root_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("root", metavar="ROOT", help="the project folder")
    parser.add_argument("--no-cache", action="store_true", help="ignore the cache and parse every file")
    parser.add_argument("--exclude", action="append", default=[], metavar="PATTERN",
                        help="gitignore-style pattern of paths to skip (repeatable)")  # fmt: skip
    parser.add_argument("--cache-dir", metavar="DIR", help="cache folder (default: outside ROOT, per user)")


def root_folder(value: str) -> Path:
    root = Path(value).expanduser()
    if not root.exists():
        raise UsageError(f"ROOT {value!r} does not exist")
    if not root.is_dir():
        raise UsageError(f"ROOT {value!r} is not a folder")
    return root.resolve()


def index_root(args: argparse.Namespace) -> tuple[Workspace, IndexReport]:
    """The indexed code graph of `args.root` (the cache is refreshed unless --no-cache)."""
    root = root_folder(args.root)
    if args.cache_dir is not None and Path(args.cache_dir).exists() and not Path(args.cache_dir).is_dir():
        raise UsageError(f"--cache-dir {args.cache_dir!r} is not a folder")
    from analysis.workspace import Workspace  # after the checks: a usage error needs no graph stack

    project = Workspace(root, exclude=tuple(args.exclude), cache_dir=args.cache_dir)
    return project, project.index(use_cache=not args.no_cache)
