"""Compact per-file extraction results: what a file defines, binds, imports and calls.

A `FileFacts` is the unit the workers return, the cache stores and the graph is built from. It holds plain
lists and tuples of str/int only (msgpack-able, cheap to build), never tree-sitter or networkx objects.
Lines are 0-based, columns are 0-based UTF-8 byte offsets in their line.

The part only name resolution reads (bindings, calls, imports, `__all__`, how many bindings are observable, see
`pyextract.exported_first`) travels as its own msgpack blob and is decoded on first use: loading a warm cache
builds the graph from text, defs and attributes alone.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgpack

# Definition kinds (a def record's D_KIND).
CLASS = 0
FUNCTION = 1
DEF_KIND_NAMES = ("CLASS", "FUNCTION")

# Definition record: a class or function.
D_KIND, D_NAME, D_PARENT, D_LINE, D_COL, D_END_LINE, D_END_COL, D_NAME_LINE, D_NAME_COL = range(9)
D_HEADER, D_DOC, D_DECORATORS, D_EXTRA, D_START_BYTE, D_END_BYTE = range(9, 15)
# D_PARENT is the index of the enclosing def, -1 for the file. D_DECORATORS: the decorators' names (dotted).
# D_EXTRA: the base-class expressions of a class (dotted text), () for a function. A def's text is not stored:
# it is the file text between the UTF-8 offsets D_START_BYTE and D_END_BYTE.

# Binding kinds (a bind record's B_KIND): what introduced a name into a scope. RETURN is not a name: it records
# what a function returns (name "<return>"), for functions without a return annotation.
PARAM, ASSIGN, IMPORT, DEF, GLOBAL, NONLOCAL, OTHER, SELF_ATTR, STAR, RETURN = range(10)
RETURN_NAME = "<return>"
SELF = "<self>"  # first name of a RETURN hint chain that starts at the method's own instance

# Binding record: a name bound in a scope.
B_SCOPE, B_NAME, B_LINE, B_COL, B_KIND, B_HINT, B_END_LINE, B_END_COL, B_TEXT = range(9)
# B_SCOPE: def index (-1 = module). B_HINT by kind: DEF -> def index; IMPORT/STAR -> (level, module, name,
# head_only); ASSIGN/PARAM/SELF_ATTR/OTHER/RETURN -> "c:<dotted>" (value of a call), "n:<dotted>" (alias of a
# name), "t:<dotted>" (annotation) or "". B_END_*/B_TEXT: the whole statement, for module/class attributes only.

# Call record: a call site whose callee is a dotted name (`f`, `self.m`, `os.path.join`, `super().m`).
C_SCOPE, C_CALLEE, C_LINE, C_COL = range(4)
# C_LINE/C_COL: the position of the callee's last name.

# Attribute record: a module or class attribute node (its first binding, copied so the graph needs no binds).
A_SCOPE, A_NAME, A_BIND, A_LINE, A_COL, A_END_LINE, A_END_COL, A_TEXT, A_HINT = range(9)

# Import record of the generic (non-Python) languages: the import string and where it is.
I_TARGET, I_LINE, I_COL = range(3)


class FileFacts:
    """Everything the graph and the resolvers need to know about one file's content. Sequences of records are
    lists when extracted and tuples when loaded."""

    __slots__ = ("lang", "text", "defs", "attrs", "doc", "line_count", "_binds", "_calls", "_imports",
                 "_all_names", "_blob", "derived")

    def __init__(self, lang: str, text: str, defs: Sequence[tuple] = (), binds: Sequence[tuple] = (),
                 calls: Sequence[tuple] = (), attrs: Sequence[tuple] = (), imports: Sequence[tuple] = (),
                 all_names: Sequence[str] | None = None, doc: str = "", line_count: int = 0) -> None:
        self.lang = lang  # language name, or "text" for a TEXTFILE
        self.text = text
        self.defs = defs
        self.attrs = attrs
        self.doc = doc  # module docstring
        self.line_count = line_count
        self._binds = binds
        self._calls = calls
        self._imports = imports
        self._all_names = all_names  # a literal module `__all__`, if any
        self._blob: bytes | None = None  # the resolution part, still encoded
        self.derived: dict[str, Any] = {}  # values computed from these facts once (signature, ...)

    def _decode(self) -> None:
        blob, self._blob = self._blob, None
        if blob is not None:
            self._binds, self._calls, self._imports, self._all_names, observable = msgpack.unpackb(
                blob, raw=False, use_list=False)
            if observable is not None:
                self.derived["observable"] = observable

    @property
    def binds(self) -> Sequence[tuple]:
        if self._blob is not None:
            self._decode()
        return self._binds

    @property
    def calls(self) -> Sequence[tuple]:
        if self._blob is not None:
            self._decode()
        return self._calls

    @property
    def imports(self) -> Sequence[tuple]:
        if self._blob is not None:
            self._decode()
        return self._imports

    @property
    def all_names(self) -> Sequence[str] | None:
        if self._blob is not None:
            self._decode()
        return self._all_names

    def pack(self) -> list[Any]:
        """A msgpack-able form; the resolution part is nested as its own encoded blob."""
        blob = self._blob
        if blob is None:
            blob = msgpack.packb([self._binds, self._calls, self._imports, self._all_names,
                                  self.derived.get("observable")], use_bin_type=True)
        return [self.lang, self.text, self.defs, self.attrs, self.doc, self.line_count, blob]

    @classmethod
    def unpack(cls, data: Sequence[Any]) -> FileFacts:
        lang, text, defs, attrs, doc, line_count, blob = data
        facts = cls(lang, text, defs, attrs=attrs, doc=doc, line_count=line_count)
        facts._blob = blob
        return facts

    def content(self) -> tuple:
        """All of the facts as nested tuples: equal for equal content, however the records were built."""
        return _freeze((self.lang, self.text, self.defs, self.attrs, self.doc, self.line_count, self.binds,
                        self.calls, self.imports, self.all_names))


def _freeze(value: Any) -> Any:
    return tuple(_freeze(v) for v in value) if isinstance(value, (list, tuple)) else value
