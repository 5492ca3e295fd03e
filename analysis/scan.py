"""Which files of a workspace the graph covers, and how their bytes become text.

The scan honours every `.gitignore` under the root (nested ones apply below their directory), the `exclude`
glob patterns (gitignore syntax, relative to the root) and a few directories no project wants indexed. Files
the language table does not know are skipped without being opened; binary files (a NUL byte in the first 8 KiB)
and files over the size limit are skipped when read.
"""
from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from analysis.languages import language_for_path
from analysis.text_encoding import decode_source

logger = logging.getLogger(__name__)

ALWAYS_EXCLUDED = (".git/", ".hg/", ".svn/", "__pycache__/", ".venv/", "node_modules/", ".mypy_cache/",
                   ".pytest_cache/", ".tox/")
_BINARY_PROBE = 8192


@dataclass(frozen=True)
class SourceFile:
    """A file the scan selected: its root-relative POSIX path, language, size and modification time."""

    rel: str
    lang: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class SourceText:
    text: str
    data: bytes  # UTF-8 encoding of `text` (the bytes tree-sitter parses)
    digest: str  # of the file's bytes on disk


def _rebase(line: str, prefix: str) -> str | None:
    """A .gitignore line of directory `prefix` rewritten to apply from the root."""
    line = line.rstrip("\n").rstrip("\r")
    if not line.strip() or line.startswith("#"):
        return None
    if not prefix:
        return line
    negate = line.startswith("!")
    pattern = line[1:] if negate else line
    body = pattern.rstrip("/")
    if pattern.startswith("/"):
        rebased = prefix + pattern[1:]
    elif "/" in body:
        rebased = prefix + pattern
    else:
        rebased = prefix + "**/" + pattern
    return ("!" if negate else "") + rebased


class _Ignore:
    """The .gitignore rules seen so far plus the exclude patterns."""

    def __init__(self, exclude: Sequence[str]) -> None:
        self.exclude_patterns = tuple(exclude)
        self.lines: list[str] = []
        self.gitignore = pathspec.GitIgnoreSpec.from_lines([])
        self.exclude = pathspec.GitIgnoreSpec.from_lines([*ALWAYS_EXCLUDED, *exclude])

    def add_gitignore(self, path: Path, prefix: str) -> None:
        try:
            content = path.read_text(encoding="utf-8", errors="replace")
        except OSError as err:
            logger.warning("cannot read %s: %s", path, err)
            return
        rebased = [r for r in (_rebase(line, prefix) for line in content.splitlines()) if r is not None]
        if rebased:
            self.lines.extend(rebased)
            self.gitignore = pathspec.GitIgnoreSpec.from_lines(self.lines)

    def ignored(self, rel: str) -> bool:
        return self.exclude.match_file(rel) or (bool(self.lines) and self.gitignore.match_file(rel))


MAX_FILE_BYTES = 1_000_000  # larger files (minified bundles, generated tables) are left out of the graph


class Scanner:
    """The scan rules of one root; `scan` walks it, `language_of` judges one path against the same rules."""

    def __init__(self, root: Path, exclude: Sequence[str] = (), max_bytes: int = MAX_FILE_BYTES) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._ignore = _Ignore(exclude)  # holds the .gitignore rules once `scan` has read them

    def scan(self) -> dict[str, SourceFile]:
        """The files of the root the graph covers, by root-relative path (sorted)."""
        ignore = _Ignore(self._ignore.exclude_patterns)
        found: dict[str, SourceFile] = {}
        stack = [(str(self.root), "")]
        while stack:
            directory, prefix = stack.pop()
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError as err:
                logger.warning("cannot list %s: %s", directory, err)
                continue
            if any(e.name == ".gitignore" and e.is_file() for e in entries):
                ignore.add_gitignore(Path(directory) / ".gitignore", prefix)
            subdirs = []
            for entry in entries:
                rel = prefix + entry.name
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if not ignore.ignored(rel + "/"):
                            subdirs.append((entry.path, rel + "/"))
                        continue
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    lang = language_for_path(rel)
                    if lang is None or ignore.ignored(rel):
                        continue
                    stat = entry.stat(follow_symlinks=False)
                except OSError as err:
                    logger.warning("cannot stat %s: %s", entry.path, err)
                    continue
                if stat.st_size > self.max_bytes:
                    logger.info("skipping %s: %d bytes is over the %d byte limit", rel, stat.st_size, self.max_bytes)
                    continue
                found[rel] = SourceFile(rel, lang, stat.st_size, stat.st_mtime_ns)
            stack.extend(reversed(subdirs))
        self._ignore = ignore
        return dict(sorted(found.items()))

    def language_of(self, rel: str) -> str | None:
        """The language of a root-relative path if the scan rules cover it (its size is not checked here)."""
        lang = language_for_path(rel)
        if lang is None:
            return None
        parts = rel.split("/")
        for i in range(1, len(parts)):
            if self._ignore.ignored("/".join(parts[:i]) + "/"):
                return None
        return None if self._ignore.ignored(rel) else lang


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def decode(data: bytes, lang: str) -> SourceText | None:
    """Text of a file's bytes (see analysis.text_encoding); None for binary content. Never fatal."""
    if b"\0" in data[:_BINARY_PROBE]:
        return None
    text, encoding = decode_source(data, python=lang == "python")
    utf8 = data if encoding == "utf-8" else text.encode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
        utf8 = utf8[3:]
    return SourceText(text, utf8, digest(data))


def read_source(path: Path, lang: str) -> SourceText | None:
    try:
        data = path.read_bytes()
    except OSError as err:
        logger.warning("cannot read %s: %s", path, err)
        return None
    return decode(data, lang)
