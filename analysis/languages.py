"""The language table: which files are code in which grammar, and which are plain text.

Per-language facts live here and in `queries/<name>.scm` as data; the extractors read them and never branch on
a language name themselves (Python alone has its own extractor, because its graph is first-class).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tree_sitter import Language, Parser, Query

QUERY_DIR = Path(__file__).with_name("queries")


@dataclass(frozen=True)
class LanguageSpec:
    """One programming language: its grammar, the files it owns and how its imports name files."""

    name: str
    extensions: tuple[str, ...]
    grammar_module: str
    grammar_function: str = "language"
    # How an import string becomes candidate repository paths, see `analysis.imports`.
    import_style: str = "none"
    # Suffixes tried for an import that names a file without its extension.
    import_suffixes: tuple[str, ...] = ()
    # Syntax node types of import statements, folded together as a run (`analysis.folding`).
    import_nodes: frozenset[str] = frozenset()


LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec(
        "python", (".py", ".pyi"), "tree_sitter_python", import_style="python",
        import_nodes=frozenset({"import_statement", "import_from_statement", "future_import_statement"}),
    ),
    LanguageSpec(
        "javascript", (".js", ".mjs", ".cjs", ".jsx"), "tree_sitter_javascript",
        import_style="relative", import_suffixes=("", ".js", ".mjs", ".jsx", ".ts", "/index.js"),
        import_nodes=frozenset({"import_statement"}),
    ),
    LanguageSpec(
        "typescript", (".ts", ".mts", ".cts"), "tree_sitter_typescript", "language_typescript",
        import_style="relative", import_suffixes=("", ".ts", ".tsx", ".d.ts", ".js", "/index.ts"),
        import_nodes=frozenset({"import_statement"}),
    ),
    LanguageSpec(
        "tsx", (".tsx",), "tree_sitter_typescript", "language_tsx",
        import_style="relative", import_suffixes=("", ".tsx", ".ts", ".js", "/index.tsx", "/index.ts"),
        import_nodes=frozenset({"import_statement"}),
    ),
    LanguageSpec(
        "go", (".go",), "tree_sitter_go", import_style="directory", import_nodes=frozenset({"import_declaration"}),
    ),
    LanguageSpec(
        "java", (".java",), "tree_sitter_java", import_style="dotted", import_suffixes=(".java",),
        import_nodes=frozenset({"import_declaration"}),
    ),
    LanguageSpec(
        "rust", (".rs",), "tree_sitter_rust", import_style="rust", import_suffixes=(".rs", "/mod.rs"),
        import_nodes=frozenset({"use_declaration", "extern_crate_declaration"}),
    ),
    LanguageSpec(
        "c", (".c", ".h"), "tree_sitter_c", import_style="include", import_nodes=frozenset({"preproc_include"}),
    ),
    LanguageSpec(
        "cpp", (".cc", ".cpp", ".cxx", ".c++", ".hpp", ".hh", ".hxx", ".h++", ".ipp"), "tree_sitter_cpp",
        import_style="include", import_nodes=frozenset({"preproc_include"}),
    ),
)

# Files that become TEXTFILE nodes: their text is kept, nothing is parsed.
TEXT_EXTENSIONS: frozenset[str] = frozenset(
    {".md", ".markdown", ".rst", ".txt", ".toml", ".yaml", ".yml", ".json", ".cfg", ".ini"}
)
TEXT_FILENAMES: frozenset[str] = frozenset({"README", "LICENSE", "CHANGELOG", "NEWS", "AUTHORS", "Makefile"})

_BY_EXTENSION: dict[str, LanguageSpec] = {ext: spec for spec in LANGUAGES for ext in spec.extensions}
BY_NAME: dict[str, LanguageSpec] = {spec.name: spec for spec in LANGUAGES}


def language_for_path(path: str) -> str | None:
    """The language name of a source file, "text" for a TEXTFILE, None for files the graph ignores."""
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    ext = name[dot:].lower() if dot > 0 else ""
    spec = _BY_EXTENSION.get(ext)
    if spec is not None:
        return spec.name
    if ext in TEXT_EXTENSIONS or name in TEXT_FILENAMES:
        return "text"
    return None


@cache
def grammar(name: str) -> Language:
    spec = BY_NAME[name]
    module = importlib.import_module(spec.grammar_module)
    return Language(getattr(module, spec.grammar_function)())


@cache
def query(name: str) -> Query:
    """The compiled extraction query of a language (`queries/<name>.scm`)."""
    return Query(grammar(name), (QUERY_DIR / f"{name}.scm").read_text(encoding="utf-8"))


def new_parser(name: str) -> Parser:
    """A fresh parser: parsers are not thread-safe, so each owner (document, worker) keeps its own."""
    return Parser(grammar(name))
