"""The server's own store of open documents: text kept as a list of lines, edits applied in place.

pygls' `TextDocument` rebuilds the whole text on every change (about 0.7 ms per keystroke on a 250 KB
file). Here a change replaces only the lines it touches, and the client's range is converted once, on the
text before the edit, into the (line, UTF-8 byte column) positions that `analysis/` works in. Each change is
then published to `DocumentStore.listeners` as `analysis.types.TextEdit`s applied in order: the server
forwards them to the code graph, and the completion package subscribes the same way.

Lines are split on "\\n" only, as tree-sitter counts rows; a "\\r" before it stays part of the line's text
but is never counted as a column (`Lines.content`), so CRLF files behave as in the editor.

A document larger than `max_bytes` in UTF-8 (the limit the graph's scan applies to files on disk) is kept but held
back from the listeners: they see it closed while it is that large, and opened again, with its whole text, once
edits bring it under. A 7 MB minified bundle opened in the editor otherwise held the graph's lock for 8 s while
other files' requests waited, and set the completion model catching up on some 2 million tokens.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote

from lsprotocol import types

from analysis.scan import MAX_FILE_BYTES
from analysis.types import Pos, TextEdit
from lsp_server.positions import Encoding, char_to_byte, client_col_to_char

logger = logging.getLogger(__name__)


def split_lines(text: str) -> list[str]:
    """`text` cut after each "\\n"; the last element (possibly empty) has no line break."""
    parts = text.split("\n")
    return [part + "\n" for part in parts[:-1]] + [parts[-1]]


def valid_text(text: str) -> str:
    """`text` with lone surrogates (which JSON allows but UTF-8 cannot encode) replaced by "?"."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


def uri_key(uri: str) -> str:
    """The key a document is stored under: clients differ in which characters they percent-encode."""
    return unquote(uri)


class Lines:
    """A text as a list of lines, each with its "\\n" except the last, edited by replacing lines."""

    __slots__ = ("_lines", "_text", "nbytes")

    def __init__(self, text: str) -> None:
        self._lines = split_lines(text)
        self._text: str | None = text
        self.nbytes = len(text.encode("utf-8"))  # kept up to date by `splice`

    def __len__(self) -> int:
        return len(self._lines)

    def content(self, line: int) -> str:
        """Line `line` without its line break (and without the "\\r" of a CRLF)."""
        text = self._lines[line]
        if text.endswith("\n"):
            text = text[:-1]
        if text.endswith("\r"):
            text = text[:-1]
        return text

    def line_break(self, line: int) -> str:
        """The break ending `line` ("\\r\\n" or "\\n"); for the last line, which has none, the one before it's."""
        if line == len(self._lines) - 1:
            line -= 1
        return "\r\n" if line >= 0 and self._lines[line].endswith("\r\n") else "\n"

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "".join(self._lines)
        return self._text

    def end(self) -> tuple[int, int]:
        """(line, code point) of the end of the text."""
        last = len(self._lines) - 1
        return last, len(self._lines[last])

    def byte_pos(self, line: int, char: int) -> Pos:
        return Pos(line, char_to_byte(self._lines[line], char))

    def splice(self, start: tuple[int, int], end: tuple[int, int], new_text: str) -> None:
        """Replace the text between two valid (line, code point) positions, `start <= end`."""
        (start_line, start_char), (end_line, end_char) = start, end
        merged = self._lines[start_line][:start_char] + new_text + self._lines[end_line][end_char:]
        replacement = split_lines(merged)
        if end_line < len(self._lines) - 1:
            replacement.pop()  # the replaced last line ended with "\n": no new line after it
        replaced = self._lines[start_line : end_line + 1]
        self.nbytes += sum(len(line.encode("utf-8")) for line in replacement)
        self.nbytes -= sum(len(line.encode("utf-8")) for line in replaced)
        self._lines[start_line : end_line + 1] = replacement
        self._text = None

    def snapshot(self) -> Lines:
        """A copy that later edits of this one do not change (shares the line strings)."""
        copy = Lines.__new__(Lines)
        copy._lines = list(self._lines)
        copy._text = self._text
        copy.nbytes = self.nbytes
        return copy


@dataclass
class Document:
    """An open document: its text and what the client said about it."""

    uri: str
    path: str | None  # filesystem path for file: URIs, None for other schemes
    language_id: str
    version: int
    lines: Lines
    held_back: bool = False  # over the store's `max_bytes`: the listeners see it closed

    @property
    def text(self) -> str:
        return self.lines.text


@dataclass(frozen=True)
class DocumentEvent:
    """What happened to a document; `edits` (for "change") are in the order they were applied."""

    kind: Literal["open", "change", "close"]
    document: Document
    edits: tuple[TextEdit, ...] = ()


Listener = Callable[[DocumentEvent], None]


@dataclass
class DocumentStore:
    """Open documents by URI. Call from the event loop only; listeners run there, synchronously."""

    listeners: list[Listener] = field(default_factory=list)
    max_bytes: int = MAX_FILE_BYTES
    _documents: dict[str, Document] = field(default_factory=dict)

    def get(self, uri: str) -> Document | None:
        return self._documents.get(uri_key(uri))

    def by_path(self, path: str) -> Document | None:
        for document in list(self._documents.values()):  # a copy: worker threads call this too
            if document.path == path:
                return document
        return None

    def __iter__(self) -> Iterator[Document]:
        return iter(list(self._documents.values()))

    def analysed(self) -> Iterator[Document]:
        """The documents the listeners know as open (none held back for its size)."""
        return (document for document in self if not document.held_back)

    def open(self, uri: str, path: str | None, language_id: str, version: int, text: str) -> Document:
        document = Document(uri, path, language_id, version, Lines(valid_text(text)))
        self._documents[uri_key(uri)] = document
        if self._too_large(document):
            document.held_back = True
        else:
            self._publish(DocumentEvent("open", document))
        return document

    def change(
        self,
        uri: str,
        version: int,
        changes: Sequence[types.TextDocumentContentChangeEvent],
        encoding: Encoding,
    ) -> Document | None:
        """Apply `changes` in order; positions are in client units of `encoding`."""
        document = self.get(uri)
        if document is None:
            logger.warning("didChange for %s, which is not open: ignored", uri)
            return None
        edits = [self._apply(document.lines, change, encoding) for change in changes]
        document.version = version
        too_large = self._too_large(document)
        if not document.held_back and not too_large:
            self._publish(DocumentEvent("change", document, tuple(edits)))
        elif too_large != document.held_back:
            document.held_back = too_large
            self._publish(DocumentEvent("close" if too_large else "open", document))
        return document

    def close(self, uri: str) -> Document | None:
        document = self._documents.pop(uri_key(uri), None)
        if document is not None and not document.held_back:
            self._publish(DocumentEvent("close", document))
        return document

    def _too_large(self, document: Document) -> bool:
        """Whether `document` is over the limit; logged when it crosses it either way."""
        too_large = document.lines.nbytes > self.max_bytes
        if too_large and not document.held_back:
            logger.info("%s is %d bytes, over the %d byte limit: no code graph or completions for it while it is "
                        "this large", document.uri, document.lines.nbytes, self.max_bytes)
        elif document.held_back and not too_large:
            logger.info("%s is back under the %d byte limit: analysed again", document.uri, self.max_bytes)
        return too_large

    @staticmethod
    def _apply(lines: Lines, change: types.TextDocumentContentChangeEvent, encoding: Encoding) -> TextEdit:
        new_text = valid_text(change.text)
        if isinstance(change, types.TextDocumentContentChangeWholeDocument):
            start, end = (0, 0), lines.end()
        else:
            start = _to_char_pos(lines, change.range.start, encoding)
            end = _to_char_pos(lines, change.range.end, encoding)
            start, end = min(start, end), max(start, end)
        edit = TextEdit(lines.byte_pos(*start), lines.byte_pos(*end), new_text)
        lines.splice(start, end, new_text)
        return edit

    def _publish(self, event: DocumentEvent) -> None:
        for listener in self.listeners:
            try:
                listener(event)
            except Exception:
                logger.exception("document listener %r failed on %s of %s", listener, event.kind, event.document.uri)


def _to_char_pos(lines: Lines, position: types.Position, encoding: Encoding) -> tuple[int, int]:
    if position.line >= len(lines):
        return lines.end()
    return position.line, client_col_to_char(lines.content(position.line), position.character, encoding)
