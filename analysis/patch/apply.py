"""Search/replace edits -> a validated patch (a unified diff plus the new file texts).

A patch is offered only if every edit applies cleanly (its SEARCH text occurs exactly once in the file as it is
after the previous edits), no edited file gains tree-sitter ERROR or MISSING nodes, and every path stays inside
the workspace root. `write_patch` is the only function here that touches the disk, and only the CLI's `--apply`
calls it.
"""
from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from analysis.languages import language_for_path
from analysis.patch.edits import SearchReplace
from analysis.patch.syntax import count_syntax_errors
from analysis.text_encoding import decode_source, file_encoding


class PatchError(ValueError):
    """The edits do not make a patch that may be offered; `problems` says why, one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)


@dataclass(frozen=True)
class FileChange:
    path: str  # relative to the root, '/' separators
    old: str | None  # None when the patch creates the file
    new: str


@dataclass(frozen=True)
class Patch:
    changes: tuple[FileChange, ...]

    @property
    def files(self) -> list[str]:
        return [change.path for change in self.changes]

    def diff(self) -> str:
        """The patch as a git-style unified diff (`a/` and `b/` prefixes, paths relative to the root)."""
        parts: list[str] = []
        for change in self.changes:
            old_name = "/dev/null" if change.old is None else f"a/{change.path}"
            lines = difflib.unified_diff(
                _lines(change.old or ""), _lines(change.new), fromfile=old_name, tofile=f"b/{change.path}"
            )
            parts.append(f"diff --git a/{change.path} b/{change.path}\n")
            if change.old is None:
                parts.append("new file mode 100644\n")
            parts.extend(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
        return "".join(parts)


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


FileReader = Callable[[str], "str | None"]


def disk_reader(root: Path) -> FileReader:
    """Read workspace files from disk (None for a missing file)."""

    def read(relative: str) -> str | None:
        path = root / relative
        if not path.is_file():
            return None
        return decode_source(path.read_bytes(), python=language_for_path(relative) == "python")[0]  # CRLF kept

    return read


def relative_inside(root: Path, path: str) -> str | None:
    """`path` (relative to `root` or absolute) as a '/'-separated path relative to the resolved root, or None
    when it leaves the root (`..`, an absolute path elsewhere, a symlink pointing out)."""
    root = root.resolve()
    candidate = Path(path.replace("\\", "/"))
    full = (candidate if candidate.is_absolute() else root / candidate).resolve()
    try:
        relative = full.relative_to(root)
    except ValueError:
        return None
    if not relative.parts or relative.parts[0] == ".git":
        return None
    return relative.as_posix()


def build_patch(root: Path, edits: Sequence[SearchReplace], read: FileReader | None = None) -> Patch:
    """Apply `edits` in memory and validate the result; raise PatchError listing every problem found."""
    read = read or disk_reader(root)
    problems: list[str] = []
    originals: dict[str, str | None] = {}
    texts: dict[str, str | None] = {}
    for number, edit in enumerate(edits, 1):
        relative = relative_inside(root, edit.path)
        if relative is None:
            problems.append(f"edit {number}: {edit.path} is outside the workspace")
            continue
        if relative not in texts:
            originals[relative] = texts[relative] = read(relative)
        current = texts[relative]
        if current is None:
            if edit.search.strip():
                problems.append(f"edit {number}: {relative} does not exist")
            else:
                texts[relative] = edit.replace  # an empty SEARCH creates the file
            continue
        updated, problem = _replace_once(current, edit)
        if problem:
            problems.append(f"edit {number}: {relative}: {problem}")
        else:
            texts[relative] = updated
    changes = []
    for relative, new in texts.items():
        old = originals[relative]
        if new is None or new == old:
            continue
        before = 0 if old is None else count_syntax_errors(relative, old)
        after = count_syntax_errors(relative, new)
        if after is not None and before is not None and after > before:
            problems.append(f"{relative}: the edit introduces syntax errors ({before} -> {after} ERROR/MISSING nodes)")
        changes.append(FileChange(relative, old, new))
    if not problems and not changes:
        problems.append("the edits change nothing")
    if problems:
        raise PatchError(problems)
    return Patch(tuple(changes))


def _replace_once(text: str, edit: SearchReplace) -> tuple[str, str | None]:
    """Replace the single occurrence of `edit.search`; on failure return the text and the reason."""
    newline = "\r\n" if "\r\n" in text else "\n"
    search = edit.search.replace("\r\n", "\n").replace("\n", newline)
    replace = edit.replace.replace("\r\n", "\n").replace("\n", newline)
    if not search.strip():
        return text, "empty SEARCH text for an existing file"
    count = text.count(search)
    if count == 1:
        return text.replace(search, replace, 1), None
    if count > 1:
        return text, f"SEARCH text occurs {count} times"
    start, end = _match_ignoring_trailing_space(text, search, newline)
    if start is None:
        return text, "SEARCH text not found"
    if search.endswith(newline) and not text[start:end].endswith(newline):
        replace = replace[: -len(newline)]
    return text[:start] + replace + text[end:], None


def _match_ignoring_trailing_space(text: str, search: str, newline: str) -> tuple[int | None, int]:
    """Where the lines of `search` occur once in `text` when trailing whitespace is ignored (models drop it)."""
    lines = text.split(newline)
    wanted = [line.rstrip() for line in search.split(newline)]
    if wanted and wanted[-1] == "":
        wanted.pop()
    stripped = [line.rstrip() for line in lines]
    hits = [i for i in range(len(lines) - len(wanted) + 1) if stripped[i : i + len(wanted)] == wanted]
    if len(hits) != 1:
        return None, 0
    first = hits[0]
    start = sum(len(line) + len(newline) for line in lines[:first])
    end = start + sum(len(line) + len(newline) for line in lines[first : first + len(wanted)])
    return start, min(end, len(text))


def write_patch(root: Path, patch: Patch) -> None:
    """Write the new texts (the CLI's `--apply`; the language server never calls this).

    Each file is written in the encoding it was read in (analysis.text_encoding). Nothing is written, and
    PatchError says why, if any file changed on disk since the patch was made, has bytes no encoding decodes
    (they would be lost), or cannot hold the new text in its encoding.
    """
    problems: list[str] = []
    writes: list[tuple[Path, bytes]] = []
    for change in patch.changes:
        relative = relative_inside(root, change.path)
        if relative is None:
            problems.append(f"{change.path} is outside the workspace")
            continue
        target = root / relative
        data = _encode(target, relative, change, problems)
        if data is not None:
            writes.append((target, data))
    if problems:
        raise PatchError(problems)
    for target, data in writes:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(target.name + ".rodimus-tmp")
        temporary.write_bytes(data)
        os.replace(temporary, target)


def _encode(target: Path, relative: str, change: FileChange, problems: list[str]) -> bytes | None:
    """The bytes to write for `change`, or None with the reason appended to `problems`."""
    if not target.is_file():
        if change.old is not None:
            problems.append(f"{relative} was removed after the patch was made")
            return None
        return change.new.encode("utf-8")
    if change.old is None:
        problems.append(f"{relative} was created after the patch was made")
        return None
    data = target.read_bytes()
    encoding = file_encoding(data, python=language_for_path(relative) == "python")
    if encoding is None:
        problems.append(f"{relative} is neither UTF-8 nor in an encoding it declares (writing it would lose bytes)")
        return None
    if data.decode(encoding) != change.old:
        problems.append(f"{relative} changed after the patch was made")
        return None
    try:
        return change.new.encode(encoding)
    except UnicodeEncodeError as error:
        problems.append(f"{relative}: its encoding ({encoding}) cannot hold {error.object[error.start:error.end]!r}")
        return None
