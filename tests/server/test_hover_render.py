"""Hover's Markdown from graph facts: a CRLF file's signature and docstring are shown with "\\n" line breaks."""
from __future__ import annotations

from analysis.types import HoverFacts, Location, Pos, Span
from lsp_server.features.hover import render_facts


def test_a_crlf_file_hovers_without_carriage_returns() -> None:
    where = Location("shapes.py", Span(Pos(4, 0), Pos(9, 0)))
    facts = HoverFacts("area", "FUNCTION", "def area(\r\n    w: int,\r\n    h: int,\r\n) -> int:",
                       "Area of a rectangle.\r\n\r\nBoth sides in metres.", where, callers=1, callees=0)
    markdown = render_facts(facts, "file:///p/shapes.py", "shapes.py")
    assert "\r" not in markdown
    assert "```python\ndef area(\n    w: int,\n    h: int,\n) -> int:\n```" in markdown
    assert "Area of a rectangle.\n\nBoth sides in metres." in markdown
