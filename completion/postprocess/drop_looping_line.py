"""A line that ends in the same few characters over and over is a model stuck in a loop (`self.b, self.b,
self.b, ...` until the token limit): drop it and what follows it.

Only a repetition that reaches the line's end counts, so a list that closes (`[0, 0, 0, 0, 0, 0, 0, 0, 0]`)
stays, and only a unit with a word character and either another character or three different ones (`path_` in
`test_issue_with_path_path_path_...`), so separators (`# -----`, `# _____`) and long literals
(`0xFFFFFFFFFFFFFFFF`, `1000000000000`, `0x5A5A5A5A5A5A5A5A`) stay.
"""
from __future__ import annotations

import re

from completion.context import CompletionContext
from completion.policy import Mode

MIN_REPEATS = 8  # a loop runs to the token limit: 64 tokens hold 20 copies of `self.b,`
MAX_UNIT = 40
LOOP_AT_END = re.compile(r"(.{2,%d}?)\1{%d,}$" % (MAX_UNIT, MIN_REPEATS - 1))


def ends_in_a_loop(line: str) -> bool:
    """Whether the line ends in MIN_REPEATS or more copies of a unit that is not a separator or a literal's."""
    tail = line.rstrip()[-MAX_UNIT * MIN_REPEATS :]  # holds the last copies of any such loop: bounded work
    found = LOOP_AT_END.search(tail)
    unit = found.group(1) if found is not None else ""
    return re.search(r"\w", unit) is not None and (re.search(r"\W", unit) is not None or len(set(unit)) >= 3)


def drop_looping_line(text: str, ctx: CompletionContext, mode: Mode) -> str:
    lines = text.split("\n")
    for index, line in enumerate(lines):
        if ends_in_a_loop(line):
            return "\n".join(lines[:index])
    return text
