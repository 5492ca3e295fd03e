"""Per-language facts the completion policy needs, as data: grammar, block node types, block opener.

Grammars are the individual `tree-sitter-<lang>` wheels (declared in pyproject.toml), loaded on first use.
A language that is not listed still gets completions; its policy falls back to the text-only rules.
"""
from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass

import tree_sitter


@dataclass(frozen=True)
class LanguageFacts:
    name: str
    grammar_module: str
    grammar_function: str
    block_types: frozenset[str]
    opener: str  # the token that opens a block body: ":" (Python) or "{"
    indent_scoped: bool  # blocks end where the indentation drops (Python), not at a closing brace


_BRACE_BLOCKS = frozenset({
    "block", "statement_block", "compound_statement", "class_body", "declaration_list",
    "field_declaration_list", "enum_body", "interface_body", "constructor_body", "switch_block",
})


def _brace(name: str, module: str, function: str = "language") -> LanguageFacts:
    return LanguageFacts(name, module, function, _BRACE_BLOCKS, "{", indent_scoped=False)


LANGUAGES: dict[str, LanguageFacts] = {
    "python": LanguageFacts("python", "tree_sitter_python", "language", frozenset({"block"}), ":", True),
    "javascript": _brace("javascript", "tree_sitter_javascript"),
    "typescript": _brace("typescript", "tree_sitter_typescript", "language_typescript"),
    "typescriptreact": _brace("tsx", "tree_sitter_typescript", "language_tsx"),
    "go": _brace("go", "tree_sitter_go"),
    "java": _brace("java", "tree_sitter_java"),
    "rust": _brace("rust", "tree_sitter_rust"),
    "c": _brace("c", "tree_sitter_c"),
    "cpp": _brace("cpp", "tree_sitter_cpp"),
}
ALIASES = {"javascriptreact": "javascript", "jsx": "javascript", "tsx": "typescriptreact", "py": "python",
           "c++": "cpp", "h": "c", "hpp": "cpp"}
EXTENSIONS = {".py": "python", ".pyi": "python", ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript",
              ".jsx": "javascript", ".ts": "typescript", ".tsx": "typescriptreact", ".go": "go", ".java": "java",
              ".rs": "rust", ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp"}


def facts_for(language_id: str) -> LanguageFacts | None:
    """The facts for an LSP language id (or a common alias), None when the language is not listed."""
    key = language_id.lower()
    return LANGUAGES.get(ALIASES.get(key, key))


def language_for_path(path: str) -> str:
    """The LSP language id for a file name ("" when the extension is unknown)."""
    dot = path.rfind(".")
    return EXTENSIONS.get(path[dot:].lower(), "") if dot >= 0 else ""


_local = threading.local()


def parser_for(facts: LanguageFacts) -> tree_sitter.Parser:
    """A parser for the language, one per thread (tree-sitter parsers are not shared between threads)."""
    parsers: dict[str, tree_sitter.Parser] = _local.__dict__.setdefault("parsers", {})
    parser = parsers.get(facts.name)
    if parser is None:
        module = importlib.import_module(facts.grammar_module)
        language = tree_sitter.Language(getattr(module, facts.grammar_function)())
        parser = parsers[facts.name] = tree_sitter.Parser(language)
    return parser
