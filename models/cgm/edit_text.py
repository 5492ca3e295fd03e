"""The text of a one-line search/replace answer (the format analysis.patch.edits parses and
analysis/readers/chat_reader.py asks for): the edited line, grown with neighbouring lines until the SEARCH part
occurs exactly once in the file, so the edit applies where it was meant to."""

from __future__ import annotations

from collections.abc import Sequence

HEAD = "{path}\n<<<<<<< SEARCH\n"
DIVIDER = "=======\n"
TAIL = ">>>>>>> REPLACE\n"


def unique_span(lines: Sequence[str], line: int, first_allowed: int, last_allowed: int) -> tuple[int, int]:
    """1-based (first, last) lines around ``line`` whose text (each line with its "\\n") occurs once in the file
    made of ``lines``, grown alternately up and down within [first_allowed, last_allowed]; the whole allowed range
    when nothing shorter is unique."""
    text = "".join(item + "\n" for item in lines)
    first = last = line
    while True:
        search = "".join(item + "\n" for item in lines[first - 1:last])
        if text.count(search) == 1 or (first <= first_allowed and last >= last_allowed):
            return first, last
        if first > first_allowed and (last - line >= line - first or last >= last_allowed):
            first -= 1
        else:
            last += 1


def one_line_answer(path: str, lines: Sequence[str], span: tuple[int, int], line: int, new_line: str) -> str:
    """The search/replace block that replaces 1-based ``line`` of ``lines`` by ``new_line``, with ``span`` (from
    `unique_span`) as its SEARCH part."""
    first, last = span
    old = lines[first - 1:last]
    new = list(old)
    new[line - first] = new_line
    return (HEAD.format(path=path) + "".join(item + "\n" for item in old) + DIVIDER
            + "".join(item + "\n" for item in new) + TAIL)


def search_part(path: str, lines: Sequence[str], span: tuple[int, int]) -> str:
    """The answer's text up to and including the divider: what every edit of that span starts with."""
    first, last = span
    return HEAD.format(path=path) + "".join(item + "\n" for item in lines[first - 1:last]) + DIVIDER
