"""Compact per-file extraction results: what a file defines, binds, imports and calls.

A `FileFacts` is the unit the workers return, the cache stores and the graph is built from. It holds plain
lists and tuples of str/int only (picklable, msgpack-able, cheap to build), never tree-sitter or networkx objects.
Lines are 0-based, columns are 0-based UTF-8 byte offsets in their line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Definition kinds (a def record's D_KIND).
CLASS = 0
FUNCTION = 1
DEF_KIND_NAMES = ("CLASS", "FUNCTION")

# Definition record: a class or function.
D_KIND, D_NAME, D_PARENT, D_LINE, D_COL, D_END_LINE, D_END_COL, D_NAME_LINE, D_NAME_COL = range(9)
D_HEADER, D_DOC, D_DECORATORS, D_EXTRA = range(9, 13)
# D_PARENT is the index of the enclosing def, -1 for the file. D_DECORATORS: the decorators' names (dotted).
# D_EXTRA: the base-class expressions of a class (dotted text), () for a function. A def's text is not stored:
# it is the file text between (D_LINE, D_COL) and (D_END_LINE, D_END_COL), see `analysis.graph.TextIndex`.

# Binding kinds (a bind record's B_KIND): what introduced a name into a scope.
PARAM, ASSIGN, IMPORT, DEF, GLOBAL, NONLOCAL, OTHER, SELF_ATTR, STAR = range(9)

# Binding record: a name bound in a scope.
B_SCOPE, B_NAME, B_LINE, B_COL, B_KIND, B_HINT, B_END_LINE, B_END_COL, B_TEXT = range(9)
# B_SCOPE: def index (-1 = module). B_HINT by kind: DEF -> def index; IMPORT/STAR -> (level, module, name,
# head_only); ASSIGN/PARAM/SELF_ATTR -> "c:<dotted>" (value of a call), "n:<dotted>" (alias of a name),
# "t:<dotted>" (annotation) or "". B_END_*/B_TEXT: the whole statement, for module/class attributes only.

# Call record: a call site whose callee is a dotted name (`f`, `self.m`, `os.path.join`, `super().m`).
C_SCOPE, C_CALLEE, C_LINE, C_COL = range(4)
# C_LINE/C_COL: the position of the callee's last name.

# Attribute record (derived): a module or class attribute node.
A_SCOPE, A_NAME, A_BIND = range(3)

# Import record of the generic (non-Python) languages: the import string and where it is.
I_TARGET, I_LINE, I_COL = range(3)


@dataclass
class FileFacts:
    """Everything the graph and the resolvers need to know about one file's content."""

    lang: str  # language name, or "text" for a TEXTFILE
    text: str
    defs: list[tuple] = field(default_factory=list)
    binds: list[tuple] = field(default_factory=list)
    calls: list[tuple] = field(default_factory=list)
    attrs: list[tuple] = field(default_factory=list)
    imports: list[tuple] = field(default_factory=list)
    all_names: list[str] | None = None  # a literal module `__all__`, if any
    doc: str = ""  # module docstring
    line_count: int = 0

    def pack(self) -> list[Any]:
        return [self.lang, self.text, self.defs, self.binds, self.calls, self.attrs, self.imports,
                self.all_names, self.doc, self.line_count]

    @classmethod
    def unpack(cls, data: list[Any]) -> FileFacts:
        lang, text, defs, binds, calls, attrs, imports, all_names, doc, line_count = data
        return cls(lang, text, list(defs), list(binds), list(calls), list(attrs), list(imports),
                   list(all_names) if all_names is not None else None, doc, line_count)
