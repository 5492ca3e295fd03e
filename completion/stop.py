"""StopRule: where generated text must end, checked after every token (as tabby's `StopCondition`).

A line completion ends at its newline, or before a closing bracket that the text after the cursor already
has (the editor auto-closed it). A block ends where a line drops to the opener's indentation (Python) or
where a brace closes the enclosing block, and after `max_lines` lines either way.
"""
from __future__ import annotations

from dataclasses import dataclass

from completion.policy import Mode

OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {v: k for k, v in OPENERS.items()}


def first_unbalanced_closer(text: str) -> int | None:
    """Index of the first closing bracket in `text` that closes one opened before the text, if any."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in OPENERS:
            depth += 1
        elif ch in CLOSERS:
            depth -= 1
            if depth < 0:
                return i
    return None


@dataclass(frozen=True)
class StopRule:
    mode: Mode
    suffix: str  # text after the cursor (a bounded window)
    block_indent: str = ""
    indent_scoped: bool = True
    max_lines: int = 12

    def cut(self, text: str) -> int | None:
        """How much of the generated `text` to keep if generation must stop now; None to go on."""
        if self.mode is Mode.BLOCK:
            return self._cut_block(text)
        return self._cut_line(text)

    def _cut_line(self, text: str) -> int | None:
        newline = text.find("\n")
        line = text if newline < 0 else text[:newline]
        closer = first_unbalanced_closer(line)
        line_suffix = self.suffix.split("\n", 1)[0].lstrip()
        if closer is not None and line_suffix.startswith(line[closer]):
            return closer
        return None if newline < 0 else newline

    def _cut_block(self, text: str) -> int | None:
        newlines = [i for i, ch in enumerate(text) if ch == "\n"]
        if len(newlines) >= self.max_lines:
            return newlines[self.max_lines - 1]
        if self.indent_scoped:
            return self._cut_dedent(text, newlines)
        return self._cut_brace(text)

    def _cut_dedent(self, text: str, newlines: list[int]) -> int | None:
        """Stop before the first line (after the cursor's) indented no deeper than the block's opener."""
        limit = len(self.block_indent)
        for k, start in enumerate(newlines):
            end = newlines[k + 1] if k + 1 < len(newlines) else len(text)
            line = text[start + 1 : end]
            if line.strip() and len(line) - len(line.lstrip(" \t")) <= limit:
                return start
        return None

    def _cut_brace(self, text: str) -> int | None:
        """Stop at the brace that closes the enclosing block: before its line if the suffix already has it."""
        closer = first_unbalanced_closer(text)
        if closer is None:
            return None
        if self.suffix.lstrip().startswith(text[closer]):
            line_start = text.rfind("\n", 0, closer)
            return line_start if line_start >= 0 else closer
        return closer + 1
