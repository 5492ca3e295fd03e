"""Signature help's two halves: finding the call around the cursor from tokens, and a header's parameters."""
from __future__ import annotations

from pathlib import Path

import pytest

from analysis import Workspace
from analysis.languages import new_parser
from analysis.signatures import CallSite, call_site, signature_of
from analysis.types import Pos


def site_at(marked: str) -> tuple[str, int, str | None] | None:
    """call_site at the "|" of `marked`, as (the callee's name, argument index, keyword)."""
    cursor = marked.index("|")
    text = marked.replace("|", "").encode("utf-8")
    found = call_site(new_parser("python").parse(text).root_node, text, len(marked[:cursor].encode("utf-8")))
    if found is None:
        return None
    line = text.split(b"\n")[found.callee.line]
    name = line[found.callee.col:].split(b"(", 1)[0].decode()
    return name, found.argument, found.keyword


@pytest.mark.parametrize(
    ("marked", "expected"),
    [
        ("x = f(|)\n", ("f", 0, None)),
        ("x = f(1, |)\n", ("f", 1, None)),
        ("def g():\n    x = f(1, |\n    return x\n", ("f", 1, None)),  # no ")" yet: ERROR nodes, same tokens
        ("x = f(\n    a,\n    b=1,\n    |\n)\n", ("f", 2, None)),
        ("x = obj.meth(key=|", ("meth", 0, "key")),
        ("x = obj.meth(key=[1, 2|", ("meth", 0, "key")),  # inside a list inside the argument
        ("x = f(a, g(b), |", ("f", 2, None)),
        ("x = f(a, (1, 2|", ("f", 1, None)),
        ("x = f(g(1)(2), |)", ("f", 1, None)),
        ("f(x for x in y|)", ("f", 0, None)),
        ("f(lambda x: x, |)", ("f", 1, None)),
        ("x = f(a, 'b, c', |)", ("f", 2, None)),  # commas in a string do not count
        ("x = f(a,  # b, c\n      |)", ("f", 1, None)),  # nor in a comment
        ("x = f(a)|\n", None),
        ("x = f(a) # (|\n", None),
        ("x = f('a, (|')\n", None),  # in a string
        ("print(1)\nx = 2|\n", None),
        ("def h(a, |\n", None),  # parameters of a def are not a call
        ("class C(A, |\n", None),
        ("x = [f(1), |]", None),
        ("x = f(1)\ndef g():\n    return |", None),
    ],
)
def test_call_site(marked: str, expected: tuple[str, int, str | None] | None) -> None:
    assert site_at(marked) == expected


def active_text(header: str, site: CallSite, **kinds: bool) -> tuple[str, str | None]:
    signature = signature_of(header, "f", "", site, bound=kinds.get("bound", False),
                             constructor=kinds.get("constructor", False))  # fmt: skip
    assert signature is not None
    if signature.active is None:
        return signature.label, None
    start, end = signature.parameters[signature.active]
    return signature.label, signature.label[start:end]


HEADER = "def f(a, b: int = 2, /, c=3, *args: str, d, e: float = 1.0, **kwargs) -> list[int]:"


@pytest.mark.parametrize(
    ("argument", "keyword", "active"),
    [
        (0, None, "a"),
        (1, None, "b: int = 2"),
        (2, None, "c=3"),
        (3, None, "*args: str"),
        (9, None, "*args: str"),  # every further positional argument goes to *args
        (0, "e", "e: float = 1.0"),
        (0, "zzz", "**kwargs"),  # an unknown keyword goes to **kwargs
    ],
)
def test_the_active_parameter(argument: int, keyword: str | None, active: str) -> None:
    label, found = active_text(HEADER, CallSite(Pos(0, 0), argument, keyword))
    assert label == "f(a, b: int = 2, /, c=3, *args: str, d, e: float = 1.0, **kwargs) -> list[int]"
    assert found == active


def test_self_is_dropped_from_methods_and_a_constructor_shows_no_return_type() -> None:
    header = "def __init__(\n        self,\n        wert: int,\n    ) -> None:"
    constructor = active_text(header, CallSite(Pos(0, 0), 0, None), bound=True, constructor=True)
    assert constructor == ("f(wert: int)", "wert: int")
    assert active_text("def m(self) -> int:", CallSite(Pos(0, 0), 0, None), bound=True) == ("f() -> int", None)
    assert active_text("def g(x):", CallSite(Pos(0, 0), 1, None)) == ("f(x)", None)  # no parameter takes it


def test_parameters_after_a_bare_star_take_keywords_only() -> None:
    assert active_text("def g(a, *, b):", CallSite(Pos(0, 0), 1, None)) == ("f(a, *, b)", None)
    assert active_text("def g(a, *, b):", CallSite(Pos(0, 0), 1, "b")) == ("f(a, *, b)", "b")


def test_a_class_call_takes_the_nearest_new_or_init_in_its_lineage(tmp_path: Path) -> None:
    (tmp_path / "shapes.py").write_text(
        "class Base:\n    def __init__(self, x, y=0):\n        pass\n\n"
        "class Child(Base):\n    pass\n\n"
        "class Made:\n    def __new__(cls, size):\n        pass\n    def __init__(self, *args):\n        pass\n\n"
        "a = Child(1, )\nb = Made()\n"
    )
    ws = Workspace(tmp_path, cache_dir=tmp_path / ".cache")
    ws.index(use_cache=False)
    path = str(tmp_path / "shapes.py")
    child = ws.signature_help(path, Pos(13, len("a = Child(1, ")))
    made = ws.signature_help(path, Pos(14, len("b = Made(")))
    assert child is not None and child.label == "Child(x, y=0)" and child.active == 1  # inherited __init__
    assert made is not None and made.label == "Made(size)"  # __new__ before __init__, as inspect.signature


def test_a_call_two_thousand_levels_deep_is_found() -> None:
    text = "def f():\n    return " + "g(" * 2000 + ")" * 2000 + "\n"
    marked = text.replace("g(" * 2000, "g(" * 1500 + "|" + "g(" * 500)
    assert site_at(marked) == ("g", 0, None)


def test_a_name_bound_to_a_function_or_class_shows_what_it_stands_for(tmp_path: Path) -> None:
    (tmp_path / "lib.py").write_text(
        "class Fraction:\n    def __init__(self, num, den=1):\n        pass\n\ndef helper(a, b):\n    pass\n\n"
        "class T:\n    def check(self, x, y):\n        pass\n"
        "    def run(self):\n        eq = self.check\n        eq(1, )\n"
    )
    (tmp_path / "main.py").write_text("import lib\nfrom lib import helper as h\nF = lib.Fraction\nh2 = h\nF(1, )\n"
                                      "h2(1, )\nx = 3\nx(1)\n")
    ws = Workspace(tmp_path, cache_dir=tmp_path / ".cache")
    ws.index(use_cache=False)
    main, lib = str(tmp_path / "main.py"), str(tmp_path / "lib.py")
    found = [ws.signature_help(main, Pos(4, 5)), ws.signature_help(main, Pos(5, 6)),
             ws.signature_help(lib, Pos(12, 14))]
    assert [(s.label, s.active) if s else None for s in found] == [
        ("Fraction(num, den=1)", 1), ("helper(a, b)", 1), ("check(x, y)", 1),  # module alias, import alias, bound
    ]
    assert ws.signature_help(main, Pos(7, 2)) is None  # an int is not callable as far as the graph knows
