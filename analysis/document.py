"""An open document: its bytes, a line index, its tree, kept in step with every edit.

`apply` splices the UTF-8 bytes in place, updates the line-start index (only the lines after the edit shift) and
tells the tree about the edit; `reparse` then lets tree-sitter reuse everything the edits did not touch, and the
chunked extractor re-extracts only the chunks whose text changed.

Tree-sitter's error recovery after an incremental reparse can differ from a fresh parse of the same text (an
unclosed triple-quoted string, then a `(` elsewhere in the file: the incremental tree keeps statements that a
fresh parse wraps in an ERROR node), so the facts, and the code graph, would differ from a fresh build while the
error lasts. `settle` re-parses such a tree from scratch; the server calls it once a document's edits pause
(features/sync.py), so each keystroke stays incremental.
"""
from __future__ import annotations

from bisect import bisect_right

from tree_sitter import Tree

from analysis.extract import extract_generic
from analysis.facts import FileFacts
from analysis.languages import new_parser
from analysis.pyextract import ChunkedPythonExtractor
from analysis.types import Pos, TextEdit


def _line_starts(data: bytes | bytearray, base: int = 0) -> list[int]:
    starts = []
    i = data.find(b"\n")
    while i >= 0:
        starts.append(base + i + 1)
        i = data.find(b"\n", i + 1)
    return starts


class Document:
    """Text and tree of one file, buffer or disk."""

    def __init__(self, lang: str, text: str) -> None:
        self.lang = lang
        self.data = bytearray(text.encode("utf-8"))
        self.line_starts = [0, *_line_starts(self.data)]
        self._text: str | None = text
        self._parser = new_parser(lang) if lang != "text" else None
        self._extractor = ChunkedPythonExtractor() if lang == "python" else None
        self.tree: Tree | None = self._parser.parse(self.data) if self._parser is not None else None
        self._dirty = False
        self._settled = True  # no edit since the tree was parsed from scratch
        self._touched: tuple[int, int] | None = None  # bytes the edits since the last `facts` replaced, at most

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = self.data.decode("utf-8", "replace")
        return self._text

    def offset(self, pos: Pos) -> int:
        """Byte offset of a position, clamped into the text (past the end of a line -> its end)."""
        starts = self.line_starts
        if pos.line < 0:
            return 0
        if pos.line >= len(starts):
            return len(self.data)
        start = starts[pos.line]
        end = starts[pos.line + 1] - 1 if pos.line + 1 < len(starts) else len(self.data)
        return start + min(max(pos.col, 0), end - start)

    def point(self, offset: int) -> tuple[int, int]:
        line = bisect_right(self.line_starts, offset) - 1
        return line, offset - self.line_starts[line]

    def line_text(self, line: int) -> bytes:
        starts = self.line_starts
        if not 0 <= line < len(starts):
            return b""
        end = starts[line + 1] - 1 if line + 1 < len(starts) else len(self.data)
        return bytes(self.data[starts[line]:end])

    def apply(self, edit: TextEdit) -> None:
        """Splice one edit into the bytes, the line index and the tree (call `reparse` after the batch)."""
        start = self.offset(edit.start)
        end = max(start, self.offset(edit.end))
        start_point, old_end_point = self.point(start), self.point(end)
        new = edit.new_text.encode("utf-8")
        self.data[start:end] = new
        delta = len(new) - (end - start)
        starts = self.line_starts
        first = bisect_right(starts, start)  # lines that start after the edit's start
        last = bisect_right(starts, end)
        starts[first:] = [*_line_starts(new, start), *map(delta.__add__, starts[last:])] if delta else [
            *_line_starts(new, start), *starts[last:]]
        new_end = start + len(new)
        self._text = None
        touched = self._touched
        if touched is not None:  # carry the earlier edits' span over this one
            def moved(offset: int) -> int:
                return offset if offset <= start else (offset + delta if offset >= end else new_end)

            touched = (min(moved(touched[0]), start), max(moved(touched[1]), new_end))
        self._touched = touched or (start, new_end)
        if self.tree is not None:
            self.tree.edit(
                start_byte=start, old_end_byte=end, new_end_byte=new_end, start_point=start_point,
                old_end_point=old_end_point, new_end_point=self.point(new_end),
            )
            self._dirty = True
            self._settled = False

    def reparse(self) -> None:
        if self._parser is not None and self._dirty:
            self.tree = self._parser.parse(self.data, self.tree)
            self._dirty = False

    def settle(self) -> bool:
        """Re-parse from scratch a tree that edits left with syntax errors, so that it is the tree a fresh parse
        of the text gives; True if it did (the facts must then be read again), False when there was no need."""
        self.reparse()
        if self.tree is None or self._settled or not self.tree.root_node.has_error:
            return False
        assert self._parser is not None
        self.tree = self._parser.parse(self.data)
        self._settled = True
        return True

    @property
    def changed_scopes(self) -> set[int] | None:
        """The scopes whose calls the last `facts` call re-extracted (None: all of them)."""
        return self._extractor.changed_scopes if self._extractor is not None else None

    def facts(self) -> FileFacts:
        """The document's facts (re-extracting only what changed since the last call)."""
        self.reparse()
        if self.tree is None:
            return FileFacts(lang="text", text=self.text, line_count=len(self.line_starts))
        src = bytes(self.data)
        if self._extractor is not None:
            facts = self._extractor.extract(self.tree, src)
            # the bytes (of the new text) the edits since the last call replaced: the text of a def outside them
            # is unchanged, wherever it moved (see `LocalEdit`)
            facts.derived["touched"] = self._touched
        else:
            facts = extract_generic(self.lang, self.tree, src)
        self._touched = None
        facts.text = self.text
        return facts
