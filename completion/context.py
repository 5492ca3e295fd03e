"""CompletionContext: what the cursor sees, in bounded windows of text around it.

Built from the document's lines (0-based line, UTF-8 byte column, as the server's document store counts
them), never from the whole text: a request costs the same in a 10-line file and a 10,000-line one. The
windows feed the policy (single line or block), the stop rules, the postprocess filters and the
type-through cache; the model prompt itself comes from the document session's own text.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

PREFIX_LINES = 64
SUFFIX_LINES = 32
WINDOW_CHARS = 4096


class Trigger(enum.Enum):
    AUTOMATIC = "automatic"  # while typing: debounced
    INVOKED = "invoked"  # an explicit gesture: served at once


def byte_col_to_char(line: str, byte_col: int) -> int:
    """Code-point index in `line` of UTF-8 byte column `byte_col` (clamped, snapped to a character start)."""
    if line.isascii():
        return max(0, min(byte_col, len(line)))
    return len(line.encode("utf-8")[: max(byte_col, 0)].decode("utf-8", "ignore"))


@dataclass(frozen=True)
class CompletionContext:
    """Text around the cursor: `prefix` ends at the cursor, `suffix` starts there; both are bounded windows."""

    uri: str
    language_id: str
    line: int  # 0-based line of the cursor
    byte_col: int  # UTF-8 byte column of the cursor in that line
    prefix: str
    suffix: str
    trigger: Trigger = Trigger.INVOKED

    @property
    def line_prefix(self) -> str:
        return self.prefix[self.prefix.rfind("\n") + 1 :]

    @property
    def line_suffix(self) -> str:
        end = self.suffix.find("\n")
        return self.suffix if end < 0 else self.suffix[:end]

    @property
    def indent(self) -> str:
        """Leading whitespace of the cursor's line (up to the cursor)."""
        text = self.line_prefix
        return text[: len(text) - len(text.lstrip(" \t"))]

    @classmethod
    def around(
        cls,
        line_text: Callable[[int], str],
        line_count: int,
        line: int,
        byte_col: int,
        *,
        uri: str = "",
        language_id: str = "",
        trigger: Trigger = Trigger.INVOKED,
    ) -> CompletionContext:
        """The context at (line, byte_col); `line_text(i)` returns line i without its line break."""
        if not 0 <= line < line_count:
            raise ValueError(f"line {line} is outside the document's {line_count} lines")
        current = line_text(line)
        col = byte_col_to_char(current, byte_col)
        before = [line_text(i) for i in range(max(0, line - PREFIX_LINES), line)]
        after = [line_text(i) for i in range(line + 1, min(line_count, line + 1 + SUFFIX_LINES))]
        prefix = "\n".join([*before, current[:col]])[-WINDOW_CHARS:]
        suffix = "\n".join([current[col:], *after])[:WINDOW_CHARS]
        return cls(uri, language_id, line, len(current[:col].encode("utf-8")), prefix, suffix, trigger)

    @classmethod
    def in_text(
        cls, text: str, line: int, byte_col: int, *, uri: str = "", language_id: str = "",
        trigger: Trigger = Trigger.INVOKED,
    ) -> CompletionContext:
        """The context at (line, byte_col) of a whole text (the CLI and tests; the server uses `around`)."""
        lines = text.split("\n")
        return cls.around(lambda i: lines[i], len(lines), line, byte_col, uri=uri, language_id=language_id,
                          trigger=trigger)
