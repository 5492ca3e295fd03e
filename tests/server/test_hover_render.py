"""Hover's Markdown from graph facts: CRLF text shown with "\\n" line breaks; class and override facts."""
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


def test_a_class_shows_its_bases_and_subclasses_and_a_method_what_it_overrides() -> None:
    where = Location("shapes.py", Span(Pos(4, 6), Pos(4, 13)))
    square = HoverFacts("Quadrat", "CLASS", "class Quadrat(Größe, Mixin):", "", where, callers=2, callees=0,
                        bases=("Größe", "Mixin"), subclasses=1)
    line = render_facts(square, "file:///p/shapes.py", "shapes.py").splitlines()[-1]
    assert line == "Defined in [shapes.py:5](file:///p/shapes.py#L5) · 2 callers · 0 callees · extends `Größe`, " \
                   "`Mixin` · 1 subclass"
    method = HoverFacts("doppelt", "FUNCTION", "def doppelt(self) -> int:", "", where, callers=0, callees=0,
                        overrides="Größe.doppelt")
    assert render_facts(method, "file:///p/shapes.py", "shapes.py").endswith("· overrides `Größe.doppelt`")
