"""Search/replace edits: the format readers answer in, and its tolerant parser.

The prompt fixes this format (one block per change):

    path/to/file.py
    <<<<<<< SEARCH
    exact lines of the current file
    =======
    the lines that replace them
    >>>>>>> REPLACE

The parser accepts what chat models actually send around it: code fences, a file name in backticks or after
"File:" / "###", CRLF line ends, markers of 5 to 9 characters, and a truncated answer (an unterminated last block
is dropped and counted, never half-applied). An empty SEARCH part means "create this file".
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class SearchReplace:
    path: str  # as the model wrote it; made relative to the root and checked by analysis.patch.apply
    search: str
    replace: str


_HEAD = re.compile(r"^\s*<{5,9}\s*SEARCH\s*$")
_DIVIDER = re.compile(r"^\s*={5,9}\s*$")
_TAIL = re.compile(r"^\s*>{5,9}\s*REPLACE\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_PATH = re.compile(r"[\w./\\~-]*[\w-]\.[A-Za-z0-9]+")
_FILE_PREFIX = re.compile(r"^\s*(?:#+\s*|\*\*|(?:file(?:name)?|path)\s*:\s*)+", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedEdits:
    edits: tuple[SearchReplace, ...]
    dropped: int  # blocks without a file name or without their closing marker


def parse_edits(text: str) -> ParsedEdits:
    """All complete search/replace blocks of `text`, in order."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    edits: list[SearchReplace] = []
    dropped = 0
    path: str | None = None
    i = 0
    while i < len(lines):
        line = lines[i]
        if not _HEAD.match(line):
            candidate = _file_name(line)
            if candidate is not None:
                path = candidate
            i += 1
            continue
        search, i = _collect(lines, i + 1, _DIVIDER)
        if i >= len(lines):
            dropped += 1
            break
        replace, i = _collect(lines, i + 1, _TAIL)
        if i >= len(lines) or path is None:
            dropped += 1
            if i >= len(lines):
                break
        else:
            edits.append(SearchReplace(path=path, search=_join(search), replace=_join(replace)))
        i += 1
    return ParsedEdits(edits=tuple(edits), dropped=dropped)


def _collect(lines: list[str], start: int, end: re.Pattern[str]) -> tuple[list[str], int]:
    """Lines from `start` up to (not including) the first line matching `end`; returns them and that index."""
    i = start
    while i < len(lines) and not end.match(lines[i]):
        i += 1
    return lines[start:i], i


def _join(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


def _file_name(line: str) -> str | None:
    """The file path a line names, if the line is only a path (possibly decorated); None otherwise."""
    if _FENCE.match(line):
        rest = _FENCE.sub("", line).strip()
        line = rest if "/" in rest or "." in rest else ""
    candidate = _FILE_PREFIX.sub("", line).strip().strip("`*'\":").strip()
    return candidate if _PATH.fullmatch(candidate) else None
