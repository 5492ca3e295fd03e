"""Extraction of the non-Python languages and of text files, on a small polyglot project (fixtures/polyglot)."""
from __future__ import annotations

from pathlib import Path

import pytest

from analysis import Workspace
from analysis.languages import LANGUAGES, TEXT_EXTENSIONS, language_for_path

FIXTURES = Path(__file__).with_name("fixtures")


@pytest.fixture(scope="module")
def polyglot(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    ws = Workspace(FIXTURES / "polyglot", cache_dir=tmp_path_factory.mktemp("cache"))
    ws.index(use_cache=False)
    return ws


def _typed(ws: Workspace, kind: str) -> set[str]:
    return {n for n, d in ws.graph.nodes(data=True) if d["type"] == kind}


def _edges(ws: Workspace, kind: str) -> set[tuple[str, str]]:
    return {(u, v) for u, v, k in ws.graph.edges(keys=True) if k == kind}


def test_every_extension_belongs_to_one_language() -> None:
    seen: dict[str, str] = {}
    for spec in LANGUAGES:
        for ext in spec.extensions:
            assert ext not in seen, f"{ext} is claimed by {seen[ext]} and {spec.name}"
            assert ext not in TEXT_EXTENSIONS
            seen[ext] = spec.name
            assert language_for_path(f"dir/file{ext}") == spec.name
    assert language_for_path("notes.md") == "text"
    assert language_for_path("image.png") is None


def test_classes_and_functions_of_each_language(polyglot: Workspace) -> None:
    classes, functions = _typed(polyglot, "CLASS"), _typed(polyglot, "FUNCTION")
    assert {"web/util.js::Greeter", "web/app.ts::Square", "web/app.ts::Shape", "svc/server.go::Server",
            "java/com/acme/Util.java::Util", "rs/src/shapes.rs::Circle", "native/main.cpp::Counter"} <= classes
    assert {"web/util.js::format", "web/util.js::Greeter.greet", "web/app.ts::main", "svc/helpers.go::Double",
            "svc/server.go::Start", "java/com/acme/Util.java::Util.add", "rs/src/shapes.rs::Circle.new",
            "native/math.c::square", "native/main.cpp::Counter.next"} <= functions
    util_add = polyglot.graph.nodes["java/com/acme/Util.java::Util.add"]
    assert util_add["header"] == "public static int add(int a, int b)"
    assert util_add["comment"] == "/** Adds. */"
    assert util_add["start_line"] == 5 and util_add["end_line"] == 7
    assert polyglot.graph.nodes["svc/helpers.go::Double"]["comment"] == "// Double doubles."


def test_imports_name_files_of_the_project(polyglot: Workspace) -> None:
    assert {("web/app.ts", "web/util.js"), ("java/com/acme/App.java", "java/com/acme/Util.java"),
            ("rs/src/lib.rs", "rs/src/shapes.rs"), ("native/math.c", "native/math.h"),
            ("native/main.cpp", "native/math.h")} <= _edges(polyglot, "imports")


def test_calls_resolve_by_name(polyglot: Workspace) -> None:
    calls = _edges(polyglot, "calls")
    assert {("web/util.js::Greeter.greet", "web/util.js::format"), ("web/app.ts::main", "web/util.js::format"),
            ("web/app.ts::main", "web/util.js::Greeter"), ("svc/server.go::Start", "svc/helpers.go::Double"),
            ("java/com/acme/App.java::App.run", "java/com/acme/Util.java::Util.add"),
            ("rs/src/lib.rs::total", "rs/src/shapes.rs::Circle.new"),
            ("native/main.cpp::main", "native/math.c::square"),
            ("native/main.cpp::main", "native/main.cpp::Counter.next")} <= calls


def test_text_files_are_textfile_nodes(polyglot: Workspace) -> None:
    text_files = _typed(polyglot, "TEXTFILE")
    assert text_files == {"docs/guide.md", "docs/notes.rst", "docs/conf.toml", "docs/conf.yaml", "docs/data.json",
                          "docs/notes.txt"}
    assert polyglot.graph.nodes["docs/guide.md"]["text"] == "# Docs\n"
    assert ("docs", "docs/guide.md") in _edges(polyglot, "contains")


def test_navigation_in_other_languages(polyglot: Workspace) -> None:
    from analysis.types import Pos

    app = str(FIXTURES / "polyglot" / "web" / "app.ts")
    [location] = polyglot.definition(app, Pos(15, 10))  # format(" x ")
    assert location.path == str(FIXTURES / "polyglot" / "web" / "util.js")
    assert location.span.start == Pos(1, 16)
    hover = polyglot.hover(app, Pos(15, 10))
    assert hover is not None and (hover.name, hover.signature) == ("format", "function format(name)")
    assert [s.name for s in polyglot.document_symbols(app)] == ["Shape", "Square", "main"]
