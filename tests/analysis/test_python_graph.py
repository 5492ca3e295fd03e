"""The Python part of the graph on a small package (fixtures/pyres): nodes, attributes and resolved edges."""
from __future__ import annotations

from pathlib import Path

import pytest

from analysis import Workspace

FIXTURES = Path(__file__).with_name("fixtures")


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace(FIXTURES / "pyres", cache_dir=tmp_path_factory.mktemp("cache"))
    ws.index(use_cache=False)
    return ws


def _edges(ws: Workspace, kind: str) -> set[tuple[str, str]]:
    return {(u, v) for u, v, k in ws.graph.edges(keys=True) if k == kind}


def test_hierarchy_of_contains(shop: Workspace) -> None:
    contains = _edges(shop, "contains")
    assert {(".", "shop"), (".", "app.py"), ("shop", "shop/catalog.py"), ("shop/catalog.py", "shop/catalog.py::Item"),
            ("shop/catalog.py::Item", "shop/catalog.py::Item.label"), ("shop/catalog.py::make",
                                                                      "shop/catalog.py::make.clean"),
            ("shop/catalog.py::Item", "shop/catalog.py::Item.name"), ("shop/catalog.py", "shop/catalog.py::LOG")
            } <= contains
    assert shop.graph.nodes["."]["type"] == "REPO"
    assert shop.graph.nodes["shop"] == {"type": "PACKAGE", "name": "shop", "path": "shop"}


def test_node_attributes(shop: Workspace) -> None:
    nodes = shop.graph.nodes
    catalog = nodes["shop/catalog.py"]
    assert (catalog["type"], catalog["module"], catalog["lang"]) == ("FILE", "shop.catalog", "python")
    item = nodes["shop/catalog.py::Item"]
    assert item["header"] == "class Item:"
    assert item["comment"] == "An item for sale."
    assert (item["start_line"], item["end_line"], item["bases"]) == (8, 24, [])
    assert item["text"].startswith("class Item:\n") and item["text"].endswith("return cls(name, 0.0)")
    free = nodes["shop/catalog.py::Item.free"]
    assert (free["start_line"], free["name_line"], free["qualname"]) == (22, 23, "Item.free")
    assert free["text"].startswith("@classmethod\n")
    assert nodes["shop/catalog.py::Book"]["bases"] == ["Item"]
    assert nodes["shop/catalog.py::make"]["header"] == "def make(name) -> Item:"
    assert nodes["shop/catalog.py::DEFAULT_PRICE"]["attribute_type"] == "float"
    assert nodes["shop/catalog.py::Item.price"]["text"] == "self.price = price"
    assert nodes["shop/pricing.py::Cart.owner"]["attribute_type"] == "make"


def test_inheritance(shop: Workspace) -> None:
    assert _edges(shop, "extends") == {("shop/catalog.py::Book", "shop/catalog.py::Item")}


def test_imports_follow_aliases_relative_imports_and_packages(shop: Workspace) -> None:
    imports = _edges(shop, "imports")
    assert {("shop/__init__.py", "shop/catalog.py::Item"),  # from .catalog import Item as Product
            ("shop/__init__.py", "shop/pricing.py"),  # from .pricing import *
            ("app.py", "shop/__init__.py"),  # import shop
            ("app.py", "shop/catalog.py"),  # import shop.catalog as cat
            ("app.py", "shop/catalog.py::Item"),  # from shop import Product (re-exported alias)
            ("app.py", "shop/pricing.py::Cart"),  # from shop import Cart (through the star import)
            ("shop/pricing.py", "shop/catalog.py::make")} <= imports


def test_calls(shop: Workspace) -> None:
    calls = _edges(shop, "calls")
    expected = {
        ("shop/catalog.py::Item.label", "shop/catalog.py::Item.format_name"),  # self.method
        ("shop/catalog.py::Item.label", "shop/catalog.py::Book.format_name"),  # ... and its override
        ("shop/catalog.py::Book.format_name", "shop/catalog.py::Item.format_name"),  # super()
        ("shop/catalog.py::make", "shop/catalog.py::make.clean"),  # local function
        ("shop/catalog.py::make", "shop/catalog.py::Item"),  # class instantiation
        ("shop/pricing.py::Cart.add", "shop/catalog.py::Item.label"),  # parameter annotation
        ("shop/pricing.py::Cart.owner_label", "shop/catalog.py::Item.label"),  # attribute set from a call
        ("app.py::main", "shop/pricing.py::Cart.add"),  # local variable set from a constructor
        ("app.py::main", "shop/pricing.py::discount"),  # module attribute through a star import
        ("app.py::main", "shop/catalog.py::Item.label"),  # return annotation of cat.make
        ("app.py::main", "shop/catalog.py::Item.free"),  # classmethod through an aliased re-export
    }
    assert expected <= calls
    assert not any(target.endswith("_private") for _source, target in calls)
