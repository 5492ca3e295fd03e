"""Editor queries over the live graph: definition, references, symbols, hover facts, call hierarchy.

Positions are 0-based lines and UTF-8 byte columns. A query about an unknown file or an out-of-range position
answers empty (or None); it never raises for bad input.
"""
from __future__ import annotations

import inspect
import re
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from tree_sitter import Node, Parser, Point, Tree

from analysis.completion_names import (
    MAX_NAMES, CursorText, NameCandidate, cursor_text, interpreter_description, matching, python_names,
    typing_scope,
)
from analysis.facts import (
    A_COL, A_END_COL, A_END_LINE, A_HINT, A_LINE, A_NAME, A_SCOPE, B_KIND, B_LINE, B_NAME, B_COL, C_CALLEE, C_COL,
    C_LINE, C_SCOPE,
    D_COL, D_END_COL, D_END_LINE, D_HEADER, D_KIND, D_LINE, D_NAME, D_NAME_COL, D_NAME_LINE, D_PARENT, IMPORT,
    DEF_KIND_NAMES, FileFacts,
)
from analysis.folding import Fold, folding_ranges
from analysis.graph import CALLS, CONTAINS, member_ids
from analysis.highlights import NameScopes, Occurrence, occurrences
from analysis.languages import new_parser
from analysis.pyextract import dotted_name
from analysis.pyresolve import Target
from analysis.rename import RenameRefused, rename_spans, rename_target
from analysis.signatures import Signature, call_site, signature_of
from analysis.types import HoverFacts, Location, Pos, Span, SymbolInfo

if TYPE_CHECKING:
    from analysis.workspace import Workspace

_IDENTIFIERS = frozenset({"identifier", "field_identifier", "property_identifier", "type_identifier"})
_SYMBOL_TYPES = frozenset({"CLASS", "FUNCTION", "ATTRIBUTE"})
_CANDIDATE_KINDS = {"CLASS": "class", "FUNCTION": "function"}
_MAX_SELECTION_RANGES = 64
_IMPORTS = frozenset({"import_statement", "import_from_statement"})
# Statements with statements inside (and ERROR, which may hold anything): an import may be further down.
_COMPOUND = frozenset({
    "function_definition", "class_definition", "decorated_definition", "if_statement", "for_statement",
    "while_statement", "try_statement", "with_statement", "match_statement", "ERROR",
})
_TREE_CACHE_SIZE = 32
_SCOPES_CACHE_SIZE = 4  # a highlight request per cursor move: the files being read


def _width(name: str) -> int:
    return len(name) if name.isascii() else len(name.encode("utf-8"))


def _name_span(line: int, col: int, name: str) -> Span:
    return Span(Pos(line, col), Pos(line, col + _width(name)))


def _inside(node: Node, ancestor: Node) -> bool:
    return ancestor.start_byte <= node.start_byte and node.end_byte <= ancestor.end_byte


class Navigator:
    """The queries of one workspace (it holds the workspace lock while they run)."""

    def __init__(self, workspace: Workspace) -> None:
        self.ws = workspace
        self._trees: OrderedDict[str, tuple[FileFacts, Tree, bytes]] = OrderedDict()
        self._parsers: dict[str, Parser] = {}
        self._symbol_table: tuple[int, list[tuple[str, str]]] | None = None
        self._scopes: OrderedDict[str, tuple[Tree, NameScopes]] = OrderedDict()  # per file, for its current tree

    # ---- files and trees --------------------------------------------------------------------------------------

    def _file(self, path: str) -> str | None:
        rel = self.ws.rel(path)
        return rel if rel is not None and rel in self.ws._facts else None

    def _tree(self, rel: str) -> tuple[Tree, bytes] | None:
        doc = self.ws._docs.get(rel)
        if doc is not None and doc.tree is not None:
            doc.reparse()
            return doc.tree, bytes(doc.data)
        facts = self.ws._facts.get(rel)
        if facts is None or facts.lang == "text":
            return None
        cached = self._trees.get(rel)
        if cached is not None and cached[0] is facts:
            self._trees.move_to_end(rel)
            return cached[1], cached[2]
        parser = self._parsers.get(facts.lang)
        if parser is None:
            parser = self._parsers[facts.lang] = new_parser(facts.lang)
        src = facts.text.encode("utf-8")
        tree = parser.parse(src)
        self._trees[rel] = (facts, tree, src)
        if len(self._trees) > _TREE_CACHE_SIZE:
            self._trees.popitem(last=False)
        return tree, src

    def _identifier_at(self, rel: str, pos: Pos) -> tuple[Node, Node, bytes] | None:
        """The identifier at `pos`, with the root of its tree and the tree's bytes."""
        if pos.line < 0 or pos.col < 0:
            return None
        found = self._tree(rel)
        if found is None:
            return None
        tree, src = found
        if pos.line > tree.root_node.end_point[0]:
            return None
        for col in (pos.col, pos.col - 1):
            if col < 0:
                continue
            node = tree.root_node.named_descendant_for_point_range(Point(pos.line, col), Point(pos.line, col))
            if node is not None and node.type in _IDENTIFIERS and node.start_point[0] == pos.line \
                    and node.start_point[1] <= pos.col <= node.end_point[1]:
                return tree.root_node, node, src
        return None

    # ---- targets ----------------------------------------------------------------------------------------------

    def _targets(self, rel: str, pos: Pos) -> list[Target]:
        found = self._identifier_at(rel, pos)
        if found is None:
            return []
        root, node, src = found
        if self.ws._facts[rel].lang == "python":
            return self._python_targets(rel, root, node, src)
        return self._generic_targets(rel, node, src)

    def _python_targets(self, rel: str, root: Node, node: Node, src: bytes) -> list[Target]:
        py = self.ws._py
        idx = py.index(rel)
        if idx is None:
            return []
        line, col = node.start_point
        name = src[node.start_byte:node.end_byte].decode("utf-8", "replace")
        parent = node.parent
        ptype = parent.type if parent is not None else ""
        if ptype in ("function_definition", "class_definition") and parent.child_by_field_name("name") == node:
            for i, d in enumerate(idx.facts.defs):
                if d[D_NAME_LINE] == line and d[D_NAME_COL] == col:
                    return [(rel, "d", i)]
            return []
        statement = _enclosing_import(root, node)
        if statement is not None:
            return self._import_targets(rel, statement, node, src)
        scope = idx.scope_at(line, col)
        if ptype == "attribute" and parent.child_by_field_name("attribute") == node:
            obj = parent.child_by_field_name("object")
            chain = dotted_name(src[obj.start_byte:obj.end_byte].decode("utf-8", "replace") + "." + name)
            return py.resolve_dotted(rel, scope, chain, (line, col)) if chain is not None else []
        if ptype == "keyword_argument" and parent.child_by_field_name("name") == node:
            return []
        return py.lookup(rel, scope, name, (line, col))

    def _import_targets(self, rel: str, statement: Node, node: Node, src: bytes) -> list[Target]:
        py = self.ws._py
        module_node = statement.child_by_field_name("module_name")
        if module_node is not None and _inside(node, module_node):
            text = src[module_node.start_byte:node.end_byte].decode("utf-8", "replace")
            stripped = text.lstrip(".")
            dotted = py.absolute_module(rel, len(text) - len(stripped), "".join(stripped.split()))
            return py._module_target(dotted) if dotted else []
        item = node
        while item.parent is not None and item.parent != statement:
            item = item.parent
        if item.type == "aliased_import":
            alias = item.child_by_field_name("alias")
            name_part = item.child_by_field_name("name")
            if statement.type == "import_statement" and name_part is not None and _inside(node, name_part):
                dotted = src[name_part.start_byte:node.end_byte].decode("utf-8", "replace")
                return py._module_target("".join(dotted.split()))
            at = alias.start_point if alias is not None else item.start_point
        elif statement.type == "import_statement":
            dotted = src[item.start_byte:node.end_byte].decode("utf-8", "replace")
            return py._module_target("".join(dotted.split()))
        else:
            at = item.start_point
        facts = self.ws._facts[rel]
        for i, b in enumerate(facts.binds):
            if b[B_KIND] == IMPORT and b[B_LINE] == at[0] and b[B_COL] == at[1]:
                return py.import_targets(rel, i)
        return []

    def _generic_targets(self, rel: str, node: Node, src: bytes) -> list[Target]:
        name = src[node.start_byte:node.end_byte].decode("utf-8", "replace")
        line, col = node.start_point
        facts = self.ws._facts[rel]
        for i, d in enumerate(facts.defs):
            if d[D_NAME_LINE] == line and d[D_NAME_COL] == col:
                return [(rel, "d", i)]
        return [(r, "d", i) for r, i in self.ws._gen.resolve_name(rel, name)]

    def _location(self, target: Target) -> Location | None:
        rel, kind, i = target
        if kind == "n":
            return None
        path = self.ws.abs_path(rel)
        if kind == "m":
            return Location(path, Span(Pos(0, 0), Pos(0, 0)))
        facts = self.ws._facts.get(rel)
        if facts is None:
            return None
        if kind == "d":
            d = facts.defs[i]
            return Location(path, _name_span(d[D_NAME_LINE], d[D_NAME_COL], d[D_NAME]))
        b = facts.binds[i]
        return Location(path, _name_span(b[B_LINE], b[B_COL], b[B_NAME]))

    def _node_of(self, target: Target) -> str | None:
        rel, kind, i = target
        if kind == "m":
            return rel
        if kind == "n":
            return None
        facts = self.ws._facts.get(rel)
        if facts is None:
            return None
        if facts.lang == "python":
            return self.ws._py.node_id(target)
        return member_ids(rel, facts)[0][i] if kind == "d" else None

    # ---- queries ----------------------------------------------------------------------------------------------

    def definition(self, path: str, pos: Pos) -> list[Location]:
        rel = self._file(path)
        if rel is None:
            return []
        locations = [self._location(t) for t in self._targets(rel, pos)]
        return list(dict.fromkeys(loc for loc in locations if loc is not None))

    def references(self, path: str, pos: Pos, include_declaration: bool = True) -> list[Location]:
        rel = self._file(path)
        if rel is None:
            return []
        targets = set(self._targets(rel, pos))
        if not targets:
            return []
        declarations = {loc for loc in (self._location(t) for t in targets) if loc is not None}
        names: set[str] = set()
        files: set[str] = set()
        for target_rel, kind, i in targets:
            facts = self.ws._facts.get(target_rel)
            if facts is None or kind == "n":
                continue
            if kind == "d":
                names.add(facts.defs[i][D_NAME])
            elif kind == "b":
                names.add(facts.binds[i][B_NAME])
            else:
                names.add(self.ws._module_of.get(target_rel, "").rsplit(".", 1)[-1])
            files.add(target_rel)
            files |= self.ws._reverse_deps().get(target_rel, set())
        found = self._identifier_at(rel, pos)
        if found is not None:
            _root, node, src = found
            names.add(src[node.start_byte:node.end_byte].decode("utf-8", "replace"))
        names.discard("")
        out: set[Location] = set()
        for candidate in sorted(files):
            out |= self._references_in(candidate, names, targets)
        if include_declaration:
            out |= declarations
        else:
            out -= declarations
        return sorted(out, key=lambda loc: (loc.path, loc.span.start, loc.span.end))

    def _references_in(self, rel: str, names: set[str], targets: set[Target]) -> set[Location]:
        facts = self.ws._facts.get(rel)
        if facts is None or facts.lang == "text" or not any(name in facts.text for name in names):
            return set()
        found = self._tree(rel)
        if found is None:
            return set()
        tree, src = found
        starts = [0] + [m.end() for m in re.finditer(rb"\n", src)]
        pattern = re.compile(rb"(?<![\w])(?:" + b"|".join(re.escape(n.encode()) for n in sorted(names)) + rb")(?![\w])")
        out: set[Location] = set()
        path = self.ws.abs_path(rel)
        for match in pattern.finditer(src):
            line = bisect_right(starts, match.start()) - 1
            col = match.start() - starts[line]
            node = tree.root_node.named_descendant_for_point_range(Point(line, col), Point(line, col))
            if node is None or node.type not in _IDENTIFIERS or node.start_byte != match.start():
                continue
            if facts.lang == "python":
                hits = self._python_targets(rel, tree.root_node, node, src)
            else:
                hits = self._generic_targets(rel, node, src)
            if targets.intersection(hits):
                out.add(Location(path, Span(Pos(line, col), Pos(line, col + match.end() - match.start()))))
        return out

    def document_symbols(self, path: str) -> list[SymbolInfo]:
        rel = self._file(path)
        if rel is None:
            return []
        facts = self.ws._facts[rel]
        if facts.lang == "text":
            return []
        def_ids, attr_ids = member_ids(rel, facts)
        abs_path = self.ws.abs_path(rel)
        infos: list[SymbolInfo] = []
        qualnames: list[str] = []
        top: list[SymbolInfo] = []
        for i, d in enumerate(facts.defs):
            parent = d[D_PARENT]
            qualnames.append(d[D_NAME] if parent < 0 else qualnames[parent] + "." + d[D_NAME])
            info = SymbolInfo(
                node_id=def_ids[i], name=d[D_NAME], kind=DEF_KIND_NAMES[d[D_KIND]], path=abs_path,
                span=Span(Pos(d[D_LINE], d[D_COL]), Pos(d[D_END_LINE], d[D_END_COL])),
                selection=_name_span(d[D_NAME_LINE], d[D_NAME_COL], d[D_NAME]), detail=d[D_HEADER],
                container=qualnames[parent] if parent >= 0 else "",
            )
            infos.append(info)
            (infos[parent].children if parent >= 0 else top).append(info)
        for k, a in enumerate(facts.attrs):
            scope = a[A_SCOPE]
            info = SymbolInfo(
                node_id=attr_ids[k], name=a[A_NAME], kind="ATTRIBUTE", path=abs_path,
                span=Span(Pos(a[A_LINE], a[A_COL]), Pos(a[A_END_LINE], a[A_END_COL])),
                selection=_name_span(a[A_LINE], a[A_COL], a[A_NAME]), detail=a[A_HINT],
                container=qualnames[scope] if scope >= 0 else "",
            )
            (infos[scope].children if scope >= 0 else top).append(info)
        for info in infos:
            info.children.sort(key=lambda s: s.span.start)
        top.sort(key=lambda s: s.span.start)
        return top

    def symbol(self, node_id: str) -> SymbolInfo | None:
        """The editor view of a graph node."""
        data: dict[str, Any] | None = self.ws.graph.nodes.get(node_id) if node_id in self.ws.graph else None
        if data is None:
            return None
        kind = data["type"]
        path = self.ws.abs_path(data["path"]) if data["path"] else str(self.ws.root)
        if kind in _SYMBOL_TYPES:
            qualname = data["qualname"]
            return SymbolInfo(
                node_id=node_id, name=data["name"], kind=kind, path=path,
                span=Span(Pos(data["start_line"] - 1, data["start_col"]), Pos(data["end_line"] - 1, data["end_col"])),
                selection=_name_span(data["name_line"] - 1, data["name_col"], data["name"]),
                detail=data.get("header") or data.get("attribute_type", ""),
                container=qualname.rsplit(".", 1)[0] if "." in qualname else "",
            )
        facts = self.ws._facts.get(node_id)
        lines = facts.line_count if facts is not None else 0
        return SymbolInfo(node_id=node_id, name=data["name"], kind=kind, path=path,
                          span=Span(Pos(0, 0), Pos(lines, 0)), selection=Span(Pos(0, 0), Pos(0, 0)),
                          detail=data.get("module", ""))

    def workspace_symbols(self, query: str, limit: int = 200) -> list[SymbolInfo]:
        table = self._symbols()
        needle = query.strip().lower()
        if limit <= 0:
            return []
        if not needle:
            ranked = [(0, len(name), name, node_id) for name, node_id in table[: limit]]
        else:
            subsequence = re.compile(".*?".join(re.escape(c) for c in needle))
            ranked = []
            for name, node_id in table:
                if needle not in name and subsequence.search(name) is None:
                    continue
                if name == needle:
                    rank = 0
                elif name.startswith(needle):
                    rank = 1
                elif needle in name:
                    rank = 2
                else:
                    rank = 3
                ranked.append((rank, len(name), name, node_id))
            ranked.sort()
        out = []
        for _rank, _length, _name, node_id in ranked[:limit]:
            info = self.symbol(node_id)
            if info is not None:
                out.append(info)
        return out

    def _symbols(self) -> list[tuple[str, str]]:
        if self._symbol_table is None or self._symbol_table[0] != self.ws.version:
            graph = self.ws.graph
            table = sorted(
                (data["name"].lower(), node_id) for node_id, data in graph.nodes(data=True)
                if data.get("type") in _SYMBOL_TYPES
            )
            self._symbol_table = (self.ws.version, table)
        return self._symbol_table[1]

    def symbol_at(self, path: str, pos: Pos) -> SymbolInfo | None:
        rel = self._file(path)
        return self._first_symbol(self._targets(rel, pos)) if rel is not None else None

    def _first_symbol(self, targets: list[Target]) -> SymbolInfo | None:
        """The graph symbol of the first target that is a graph node."""
        for target in targets:
            node_id = self._node_of(target)
            if node_id is not None:
                return self.symbol(node_id)
        return None

    def hover(self, path: str, pos: Pos) -> HoverFacts | None:
        info = self.symbol_at(path, pos)
        if info is None:
            return None
        data = self.ws.graph.nodes[info.node_id]
        graph = self.ws.graph
        callers = sum(1 for _u, _v, k in graph.in_edges(info.node_id, keys=True) if k == CALLS)
        callees = sum(1 for _u, _v, k in graph.out_edges(info.node_id, keys=True) if k == CALLS)
        if info.kind == "ATTRIBUTE":
            signature = data.get("text", "").split("\n", 1)[0]
        else:
            signature = data.get("header", "") or info.name
        bases: tuple[str, ...] = ()
        subclasses, overrides = 0, ""
        if info.kind == "CLASS":
            bases = tuple(graph.nodes[b.node_id]["qualname"] for b in self.related_classes(info.node_id, bases=True))
            subclasses = len(self.related_classes(info.node_id, bases=False))
        elif info.kind == "FUNCTION" and (owner := self._owner_class(info.node_id)) is not None:
            above = (self._member(c, info.name) for c in self._lineage(owner, bases=True))
            overridden = next((member for member in above if member is not None), None)
            overrides = graph.nodes[overridden]["qualname"] if overridden is not None else ""
        return HoverFacts(
            name=info.name, kind=info.kind, signature=signature,
            docstring=inspect.cleandoc(data.get("comment", "")) if data.get("comment") else "",
            defined_at=Location(info.path, info.selection), callers=callers, callees=callees, node_id=info.node_id,
            bases=bases, subclasses=subclasses, overrides=overrides,
        )

    # ---- call hierarchy ---------------------------------------------------------------------------------------

    def _call_sites(self, caller: str, callee: str) -> list[Span]:
        """Where `caller` (a def or file node) calls `callee`."""
        rel = caller.split("::", 1)[0]
        facts = self.ws._facts.get(rel)
        if facts is None:
            return []
        def_ids = member_ids(rel, facts)[0]
        scope = def_ids.index(caller) if caller != rel else -1
        callee_name = self.ws.graph.nodes[callee].get("name", "") if callee in self.ws.graph else ""
        spans: list[Span] = []
        for call in facts.calls:
            if call[C_SCOPE] != scope:
                continue
            if facts.lang == "python":
                if callee not in self.ws._py.call_ids(rel, scope, call[C_CALLEE], (call[C_LINE], call[C_COL])):
                    continue
                last = call[C_CALLEE].rsplit(".", 1)[-1]
            else:
                if call[C_CALLEE] != callee_name:
                    continue
                last = call[C_CALLEE]
            spans.append(_name_span(call[C_LINE], call[C_COL], last))
        return spans

    def incoming_calls(self, node_id: str) -> list[tuple[SymbolInfo, list[Span]]]:
        graph = self.ws.graph
        if node_id not in graph:
            return []
        out = []
        for caller in sorted({u for u, _v, k in graph.in_edges(node_id, keys=True) if k == CALLS}):
            info = self.symbol(caller)
            if info is not None:
                out.append((info, self._call_sites(caller, node_id)))
        return out

    def outgoing_calls(self, node_id: str) -> list[tuple[SymbolInfo, list[Span]]]:
        graph = self.ws.graph
        if node_id not in graph:
            return []
        out = []
        for callee in sorted({v for _u, v, k in graph.out_edges(node_id, keys=True) if k == CALLS}):
            info = self.symbol(callee)
            if info is not None:
                out.append((info, self._call_sites(node_id, callee)))
        return out

    # ---- type hierarchy ---------------------------------------------------------------------------------------

    def related_classes(self, node_id: str, bases: bool) -> list[SymbolInfo]:
        """The classes a class extends (`bases`) or that extend it, one level, from the `extends` edges."""
        graph = self.ws.graph
        if node_id not in graph or graph.nodes[node_id].get("type") != "CLASS":
            return []
        related = set(self._related_ids(node_id, bases)) - {node_id}
        return [info for other in sorted(related) if (info := self.symbol(other)) is not None]

    def _related_ids(self, class_id: str, bases: bool) -> Iterable[str]:
        """The workspace's tables of the `extends` edges, kept in step with the graph."""
        return self.ws._bases.get(class_id, ()) if bases else self.ws._subclasses(class_id)

    def implementations(self, path: str, pos: Pos) -> list[Location]:
        """For a class, its subclasses at any depth; for a method, the methods of that name in those subclasses.

        Nearest subclasses first (breadth first over `extends` edges, each class once, so cyclic bases end).
        """
        info = self.symbol_at(path, pos)
        if info is None:
            return []
        method = None
        owner = info.node_id
        if info.kind == "FUNCTION":
            method, owner = info.name, self._owner_class(info.node_id)
        elif info.kind != "CLASS":
            return []
        found = []
        for subclass in self._lineage(owner, bases=False) if owner is not None else []:
            target = subclass if method is None else self._member(subclass, method)
            if target is not None and (symbol := self.symbol(target)) is not None:
                found.append(Location(symbol.path, symbol.selection))
        return found

    # ---- selection ranges -------------------------------------------------------------------------------------

    def selection_ranges(self, path: str, positions: list[Pos]) -> list[list[Span]] | None:
        """For each position, the syntax nodes around it from the innermost out, each strictly larger than the last.

        Walked down with a tree cursor (`Node.parent` costs the depth on every call); at most
        `_MAX_SELECTION_RANGES`, the innermost and then the whole file, so that 3,000 nested parentheses do not
        make an answer too deep to encode.
        """
        rel = self._file(path)
        found = self._tree(rel) if rel is not None else None
        if found is None:
            return None
        root = found[0].root_node
        chains = []
        for pos in positions:
            point = Point(max(pos.line, 0), max(pos.col, 0))
            cursor = root.walk()
            outward = [Span(Pos(*root.start_point), Pos(*root.end_point))]
            while cursor.goto_first_child_for_point(point) is not None and tuple(cursor.node.start_point) <= point:
                span = Span(Pos(*cursor.node.start_point), Pos(*cursor.node.end_point))
                if span != outward[-1]:
                    outward.append(span)
            inward = outward[::-1]
            chains.append(inward if len(inward) <= _MAX_SELECTION_RANGES else
                          inward[: _MAX_SELECTION_RANGES - 1] + inward[-1:])
        return chains

    # ---- folding ranges ---------------------------------------------------------------------------------------

    def folding_ranges(self, path: str) -> list[Fold] | None:
        """The file's folds (see analysis.folding), from the open document's tree when it is open."""
        rel = self._file(path)
        found = self._tree(rel) if rel is not None else None
        if found is None:
            return None
        tree, src = found
        return folding_ranges(tree.root_node, src, self.ws._facts[rel].lang)

    # ---- document highlights and renames of locals ------------------------------------------------------------

    def highlights(self, path: str, pos: Pos) -> list[Occurrence] | None:
        """The occurrences of the Python name or attribute at `pos` in its file (see analysis.highlights)."""
        scopes = self._name_scopes(path)
        return occurrences(scopes, pos) if scopes is not None else None

    def declaration(self, path: str, pos: Pos) -> list[Location]:
        """Where the Python variable at `pos` is first bound in this file (its `import`, assignment, parameter or
        `def`), where go-to-definition follows imports to the definition itself; none for builtins and attributes."""
        scopes = self._name_scopes(path)
        found = occurrences(scopes, pos) if scopes is not None and scopes.name_at(pos) is not None else None
        first = next((occurrence for occurrence in found or [] if occurrence.write), None)
        return [Location(path, first.span)] if first is not None else []

    def _name_scopes(self, path: str) -> NameScopes | None:
        """The scope model of a Python file's current tree, built once per tree."""
        rel = self._file(path)
        found = self._tree(rel) if rel is not None and self.ws._facts[rel].lang == "python" else None
        if found is None:
            return None
        tree = found[0]
        cached = self._scopes.get(rel)
        if cached is None or cached[0] is not tree:
            cached = self._scopes[rel] = (tree, NameScopes(tree.root_node))
            if len(self._scopes) > _SCOPES_CACHE_SIZE:
                self._scopes.popitem(last=False)
        self._scopes.move_to_end(rel)
        return cached[1]

    def rename_target(self, path: str, pos: Pos) -> Span:
        """The local variable's name at `pos` (analysis.rename); raises RenameRefused."""
        scopes = self._name_scopes(path)
        if scopes is None:
            raise RenameRefused("renaming is offered for Python files")
        return rename_target(scopes, pos)

    def rename_spans(self, path: str, pos: Pos, new_name: str) -> list[Span]:
        scopes = self._name_scopes(path)
        if scopes is None:
            raise RenameRefused("renaming is offered for Python files")
        return rename_spans(scopes, pos, new_name)

    # ---- names to complete ------------------------------------------------------------------------------------

    def completion_names(self, path: str, pos: Pos) -> list[NameCandidate]:
        """The names to offer at `pos` after the AI suggestion (see analysis.completion_names)."""
        typing = self._typing_at(path, pos)
        if typing is None:
            return []
        rel, typed, scope = typing
        if scope is not None:
            return python_names(self.ws._py, rel, scope, (pos.line, pos.col), typed)
        if typed.chain is not None or not typed.word:
            return []
        symbols = self.workspace_symbols(typed.word, limit=MAX_NAMES)
        return matching(typed.word, [NameCandidate(symbol.name, _CANDIDATE_KINDS.get(symbol.kind, "variable"),
                                                   "workspace") for symbol in symbols])

    def describe_name(self, path: str, pos: Pos, name: str) -> tuple[str, str] | None:
        """(signature, docstring) of the name a completion at `pos` offered (Python): the definition the resolver
        finds for it there, else what the interpreter has for a builtin or a standard-library member."""
        typing = self._typing_at(path, pos)
        if typing is None or typing[2] is None:
            return None
        rel, typed, scope = typing
        py, here = self.ws._py, (pos.line, pos.col)
        targets = py.resolve_chain(rel, scope, [*typed.chain, name], here)[0] if typed.chain else \
            py.lookup(rel, scope, name, here)
        symbol = self._first_symbol(targets)
        if symbol is None:
            return interpreter_description(py, rel, scope, typed, name)
        data = self.ws.graph.nodes[symbol.node_id]
        signature = data.get("header", "") or data.get("text", "").split("\n", 1)[0] or name
        return signature, inspect.cleandoc(data.get("comment", "")) if data.get("comment") else ""

    def _typing_at(self, path: str, pos: Pos) -> tuple[str, CursorText, int | None] | None:
        """The file, what is typed before `pos`, and (Python) the def being typed in; None where nothing is offered
        (not a parsed file, past its end, inside a string or a comment)."""
        rel = self._file(path)
        found = self._tree(rel) if rel is not None else None
        offset = _byte_offset(found[1], pos) if found is not None else None
        if found is None or offset is None:
            return None
        tree, src = found
        typed = cursor_text(tree.root_node, src, src.rfind(b"\n", 0, offset) + 1, offset)
        if typed is None:
            return None
        if self.ws._facts[rel].lang != "python":
            return rel, typed, None
        idx = self.ws._py.index(rel)
        return (rel, typed, typing_scope(idx.facts.defs, src, pos)) if idx is not None else None

    # ---- signature help ---------------------------------------------------------------------------------------

    def signature_help(self, path: str, pos: Pos) -> Signature | None:
        """The signature of the call whose arguments the cursor is in (Python; callees the graph resolves)."""
        rel = self._file(path)
        found = self._tree(rel) if rel is not None and self.ws._facts[rel].lang == "python" else None
        if found is None:
            return None
        tree, src = found
        offset = _byte_offset(src, pos)
        site = call_site(tree.root_node, src, offset) if offset is not None else None
        if site is None:
            return None
        targets = self._targets(rel, site.callee)
        callee = self._first_symbol(targets)
        if callee is None or callee.kind == "ATTRIBUTE":  # a name bound by assignment: what does it stand for?
            callee = self._called_through_alias(targets)
        if callee is None:
            return None
        graph = self.ws.graph
        data = graph.nodes[callee.node_id]
        docstring = inspect.cleandoc(data.get("comment", "") or "")
        if callee.kind == "FUNCTION":
            bound = self._owner_class(callee.node_id) is not None
            return signature_of(data["header"], callee.name, docstring, site, bound=bound)
        if callee.kind != "CLASS":
            return None
        # As `inspect.signature`: the nearest class in the lineage that defines __new__ or __init__ (__new__ first).
        classes = [callee.node_id, *self._lineage(callee.node_id, bases=True)]
        init = next((member for c in classes if (member := self._member(c, "__new__") or self._member(c, "__init__"))),
                    None)
        if init is None:
            return Signature(f"{callee.name}()", (), None, docstring)
        docstring = docstring or inspect.cleandoc(graph.nodes[init].get("comment", "") or "")
        return signature_of(graph.nodes[init]["header"], callee.name, docstring, site, bound=True, constructor=True)

    def _called_through_alias(self, targets: list[Target]) -> SymbolInfo | None:
        """The function or class a name bound by assignment stands for (`eq = self.assertEqual`, then `eq(`)."""
        py = self.ws._py
        for kind, target_rel, index in py.values(targets):
            node_id = py.node_id((target_rel, "d", index)) if kind in ("func", "cls") else None
            if node_id is not None and (symbol := self.symbol(node_id)) is not None:
                return symbol
        return None

    def _owner_class(self, node_id: str) -> str | None:
        graph = self.ws.graph
        parents = [u for u, _v, k in graph.in_edges(node_id, keys=True) if k == CONTAINS]
        return parents[0] if parents and graph.nodes[parents[0]].get("type") == "CLASS" else None

    def _lineage(self, class_id: str, bases: bool) -> list[str]:
        """The classes above (`bases`) or below `class_id` at any depth, nearest first, each once."""
        seen, order, frontier = {class_id}, [], [class_id]
        while frontier:
            frontier = sorted({other for c in frontier for other in self._related_ids(c, bases)} - seen)
            seen.update(frontier)
            order.extend(frontier)
        return order

    def _member(self, class_id: str, name: str) -> str | None:
        """The method `name` defined in the body of `class_id` (the first, if it is defined twice)."""
        graph = self.ws.graph
        members = [
            v for _u, v, k in graph.out_edges(class_id, keys=True)
            if k == CONTAINS and graph.nodes[v].get("type") == "FUNCTION" and graph.nodes[v].get("name") == name
        ]
        return min(members, key=lambda member: graph.nodes[member]["start_line"], default=None)


def _enclosing_import(root: Node, node: Node) -> Node | None:
    """The import statement that holds `node`, if any.

    Found walking down from the root with a cursor to the statement at `node`, not up through `Node.parent`, which
    walks down from the root on every call: up a 20,000-deep `a.b.b...` chain that took seconds.
    """
    cursor = root.walk()
    parent_type = root.type
    while cursor.goto_first_child_for_byte(node.start_byte) is not None and cursor.node.start_byte <= node.start_byte:
        found = cursor.node
        if found.type in _IMPORTS:
            return found
        if parent_type in ("module", "block") and found.type not in _COMPOUND:
            return None  # a simple statement that is not an import
        parent_type = found.type
    return None


def _byte_offset(src: bytes, pos: Pos) -> int | None:
    """The byte offset of `pos` in `src`, or None past the last line."""
    start = 0
    for _ in range(pos.line):
        start = src.find(b"\n", start) + 1
        if start == 0:
            return None
    end = src.find(b"\n", start)
    return min(start + pos.col, len(src) if end < 0 else end)
