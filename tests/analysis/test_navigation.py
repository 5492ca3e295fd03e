"""Editor queries over the graph (fixtures/pyres): definition, references, symbols, hover, call hierarchy."""
from __future__ import annotations

from pathlib import Path

import pytest

from analysis import Workspace
from analysis.types import Pos

FIXTURES = Path(__file__).with_name("fixtures")
ROOT = FIXTURES / "pyres"
APP = str(ROOT / "app.py")
CATALOG = str(ROOT / "shop" / "catalog.py")
PRICING = str(ROOT / "shop" / "pricing.py")


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace(ROOT, cache_dir=tmp_path_factory.mktemp("cache"))
    ws.index(use_cache=False)
    return ws


def _where(ws: Workspace, path: str, line: int, col: int) -> list[tuple[str, int, int]]:
    return [(Path(loc.path).relative_to(ROOT).as_posix(), loc.span.start.line, loc.span.start.col)
            for loc in ws.definition(path, Pos(line, col))]


@pytest.mark.parametrize(("path", "line", "col", "expected"), [
    (APP, 2, 19, [("shop/catalog.py", 7, 6)]),  # Product in `from shop import Product` -> class Item
    (APP, 9, 13, [("app.py", 8, 4)]),  # book -> local assignment
    (APP, 9, 9, [("shop/pricing.py", 18, 8)]),  # cart.add -> Cart.add
    (APP, 10, 9, [("shop/pricing.py", 5, 4)]),  # shop.discount -> through the star import
    (APP, 11, 16, [("shop/catalog.py", 32, 4)]),  # cat.make (aliased module import)
    (APP, 0, 8, [("shop/__init__.py", 0, 0)]),  # import shop -> the package
    (APP, 1, 13, [("shop/catalog.py", 0, 0)]),  # shop.catalog in an import -> the module
    (PRICING, 6, 12, [("shop/pricing.py", 5, 13)]),  # price -> parameter
    (CATALOG, 19, 21, [("shop/catalog.py", 12, 13)]),  # self.name -> attribute assigned in __init__
    (CATALOG, 35, 16, [("shop/catalog.py", 33, 8)]),  # clean -> nested function
    (CATALOG, 11, 35, [("shop/catalog.py", 4, 0)]),  # DEFAULT_PRICE -> module attribute
    (CATALOG, 28, 24, [("shop/catalog.py", 18, 8)]),  # super().format_name -> base class method
    (CATALOG, 15, 8, [("shop/catalog.py", 15, 8)]),  # a definition's own name
])
def test_definition(shop: Workspace, path: str, line: int, col: int, expected: list) -> None:
    assert _where(shop, path, line, col) == expected


def test_definition_of_nothing_is_empty(shop: Workspace) -> None:
    assert shop.definition(APP, Pos(9, 40)) == []  # past the end of the line
    assert shop.definition(APP, Pos(400, 0)) == []
    assert shop.definition(APP, Pos(-1, 0)) == []
    assert shop.definition(str(ROOT / "missing.py"), Pos(0, 0)) == []
    assert shop.definition("/elsewhere/app.py", Pos(0, 0)) == []
    assert shop.hover(APP, Pos(400, 3)) is None
    assert shop.symbol_at(str(ROOT / "missing.py"), Pos(0, 0)) is None
    assert shop.document_symbols(str(ROOT / "missing.py")) == []
    assert shop.incoming_calls("no such node") == []


def test_references(shop: Workspace) -> None:
    found = {(Path(loc.path).relative_to(ROOT).as_posix(), loc.span.start.line, loc.span.start.col)
             for loc in shop.references(CATALOG, Pos(15, 9))}  # Item.label
    assert found == {("shop/catalog.py", 15, 8), ("shop/pricing.py", 20, 20), ("shop/pricing.py", 26, 26),
                     ("app.py", 12, 9)}
    without = shop.references(CATALOG, Pos(15, 9), include_declaration=False)
    assert len(without) == 3


def test_document_symbols(shop: Workspace) -> None:
    symbols = shop.document_symbols(CATALOG)
    assert [s.name for s in symbols] == ["LOG", "DEFAULT_PRICE", "Item", "Book", "make"]
    item = symbols[2]
    assert (item.kind, item.detail, item.node_id) == ("CLASS", "class Item:", "shop/catalog.py::Item")
    assert [c.name for c in item.children] == ["currency", "__init__", "name", "price", "label", "format_name",
                                               "free"]
    assert item.span.start == Pos(7, 0) and item.selection.start == Pos(7, 6)
    assert item.children[1].container == "Item"


def test_workspace_symbols_rank_exact_then_prefix_then_fuzzy(shop: Workspace) -> None:
    names = [s.name for s in shop.workspace_symbols("format_name")]
    assert names[:2] == ["format_name", "format_name"]
    assert [s.name for s in shop.workspace_symbols("fmtnm")] == ["format_name", "format_name"]
    assert [s.name for s in shop.workspace_symbols("ca")][:1] == ["Cart"]
    assert len(shop.workspace_symbols("a", limit=3)) == 3


def test_hover_and_symbol_at(shop: Workspace) -> None:
    facts = shop.hover(APP, Pos(14, 12))  # discount(...)
    assert facts is not None
    assert (facts.name, facts.kind, facts.signature) == ("discount", "FUNCTION", "def discount(price, rate=0.1):")
    assert facts.callers == 2 and facts.callees == 0
    assert facts.defined_at.path == PRICING and facts.defined_at.span.start == Pos(5, 4)
    item = shop.hover(CATALOG, Pos(7, 7))
    assert item is not None and item.docstring == "An item for sale."
    symbol = shop.symbol_at(APP, Pos(8, 12))  # Book(...)
    assert symbol is not None and symbol.node_id == "shop/catalog.py::Book"


def test_call_hierarchy(shop: Workspace) -> None:
    incoming = {(info.node_id, tuple((s.start.line, s.start.col) for s in spans))
                for info, spans in shop.incoming_calls("shop/catalog.py::Item.label")}
    assert incoming == {("shop/pricing.py::Cart.add", ((20, 20),)), ("shop/pricing.py::Cart.owner_label", ((26, 26),)),
                        ("app.py::main", ((12, 9),))}
    outgoing = {info.node_id for info, _spans in shop.outgoing_calls("shop/catalog.py::Item.label")}
    assert outgoing == {"shop/catalog.py::Item.format_name", "shop/catalog.py::Book.format_name"}


def test_imports_inside_functions_try_and_if_blocks_resolve_and_a_long_chain_answers(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "mod.py").write_text("def thing():\n    pass\n")
    (tmp_path / "main.py").write_text(
        "def f():\n    try:\n        from pkg.mod import thing\n    except ImportError:\n        pass\n"
        "if True:\n    import pkg.mod as m\n"
        "a = 1\ny = a" + ".b" * 20000 + "\n"
    )
    ws = Workspace(tmp_path, cache_dir=tmp_path / ".cache")
    ws.index(use_cache=False)
    main = str(tmp_path / "main.py")
    assert [(Path(loc.path).name, loc.span.start.line) for loc in ws.definition(main, Pos(2, 28))] == [("mod.py", 0)]
    assert [Path(loc.path).name for loc in ws.definition(main, Pos(6, 15))] == ["mod.py"]  # pkg.mod in the import
    assert [loc.span.start.line for loc in ws.definition(main, Pos(8, 4))] == [7]  # `a`, under 20,000 attributes
