"""Source text -> `FileFacts` for every language: Python through `pyextract`, the others through their query.

The generic query of a language (`queries/<lang>.scm`) tags `@definition.class` / `@definition.function` nodes
with their `@name` and optional `@body` (the header is the text before the body), `@reference.call` nodes with
the callee's `@name`, and `@import.path` nodes with what an import names. Nothing here branches on a language.
"""
from __future__ import annotations

from bisect import bisect_right

from tree_sitter import Node, Parser, QueryCursor, Tree

from analysis.facts import CLASS, FUNCTION, FileFacts
from analysis.languages import new_parser, query
from analysis.pyextract import extract_python
from analysis.scan import SourceText

_DEF_CAPTURES = (("definition.class", CLASS), ("definition.function", FUNCTION))


def _comment_above(node: Node, src: bytes) -> str:
    """The comment lines right above a definition (its doc comment, in languages that have them)."""
    lines: list[str] = []
    expected_row = node.start_point[0] - 1
    sibling = node.prev_sibling
    while sibling is not None and "comment" in sibling.type and sibling.end_point[0] == expected_row:
        lines.append(src[sibling.start_byte:sibling.end_byte].decode("utf-8", "replace"))
        expected_row = sibling.start_point[0] - 1
        sibling = sibling.prev_sibling
    return "\n".join(reversed(lines))


def import_string(text: str) -> str:
    return text.strip().strip("\"'`<>").strip()


def extract_generic(lang: str, tree: Tree, src: bytes) -> FileFacts:
    """Files, classes, functions, imports and calls of a file in one of the non-Python languages."""
    found: dict[tuple[int, int], tuple[Node, int, Node, Node | None]] = {}
    call_names: list[Node] = []
    imports: list[tuple] = []
    for _pattern, caps in QueryCursor(query(lang)).matches(tree.root_node):
        for capture, kind in _DEF_CAPTURES:
            nodes = caps.get(capture)
            if nodes and caps.get("name"):
                node = nodes[0]
                body = caps.get("body")
                found.setdefault((node.start_byte, -node.end_byte), (node, kind, caps["name"][0],
                                                                     body[0] if body else None))
                break
        else:
            if caps.get("reference.call") and caps.get("name"):
                call_names.append(caps["name"][0])
            elif caps.get("import.path"):
                node = caps["import.path"][0]
                target = import_string(src[node.start_byte:node.end_byte].decode("utf-8", "replace"))
                if target:
                    pos = node.start_point
                    imports.append((target, pos[0], pos[1]))
    ordered = [found[key] for key in sorted(found)]
    starts = [n.start_byte for n, *_ in ordered]
    ends = [n.end_byte for n, *_ in ordered]
    parents: list[int] = []
    stack: list[int] = []
    defs: list[tuple] = []
    for i, (node, kind, name_node, body) in enumerate(ordered):
        while stack and ends[stack[-1]] <= starts[i]:
            stack.pop()
        parent = stack[-1] if stack else -1
        parents.append(parent)
        stack.append(i)
        name = src[name_node.start_byte:name_node.end_byte].decode("utf-8", "replace").rsplit("::", 1)[-1]
        header_end = body.start_byte if body is not None else node.end_byte
        start, end, name_pos = node.start_point, node.end_point, name_node.start_point
        defs.append((
            kind, name, parent, start[0], start[1], end[0], end[1], name_pos[0], name_pos[1],
            src[node.start_byte:header_end].decode("utf-8", "replace").strip(), _comment_above(node, src), (), (),
            node.start_byte, node.end_byte,
        ))

    def scope_at(byte: int) -> int:
        i = bisect_right(starts, byte) - 1
        while i >= 0 and ends[i] <= byte:
            i = parents[i]
        return i

    calls = sorted(
        (scope_at(n.start_byte), src[n.start_byte:n.end_byte].decode("utf-8", "replace"), n.start_point[0],
         n.start_point[1])
        for n in call_names
    )
    calls.sort(key=lambda c: (c[2], c[3]))
    imports.sort(key=lambda i: (i[1], i[2]))
    return FileFacts(lang=lang, text="", defs=defs, calls=calls, imports=imports,
                     line_count=tree.root_node.end_point[0] + 1)


def extract_tree(lang: str, tree: Tree, src: bytes) -> FileFacts:
    return extract_python(tree, src) if lang == "python" else extract_generic(lang, tree, src)


_PARSERS: dict[str, Parser] = {}


def extract_source(lang: str, source: SourceText) -> FileFacts:
    """Facts of a file's text, parsed from scratch (callers serialise: the parsers are shared)."""
    if lang == "text":
        return FileFacts(lang="text", text=source.text, line_count=source.text.count("\n") + 1)
    parser = _PARSERS.get(lang)
    if parser is None:
        parser = _PARSERS[lang] = new_parser(lang)
    facts = extract_tree(lang, parser.parse(source.data), source.data)
    facts.text = source.text
    return facts
