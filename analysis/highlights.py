"""The occurrences of a Python name in its file, by Python's scope rules (`textDocument/documentHighlight`; the
same scope model decides what analysis/rename.py may rename).

One pass over the parse tree builds the scopes (module, class, function, lambda, comprehension) with the names
each binds (assignment and `for` targets, parameters, `def`/`class`/`import` names, `as` targets, walrus targets,
`del`, `global`/`nonlocal` declarations) and records every name occurrence with the scope it is evaluated in. A
name then resolves as the interpreter resolves it: `global`/`nonlocal` first, then the innermost scope binding it,
where a function or comprehension does not see the names of a class around it; decorators, defaults, annotations,
base classes and a comprehension's first iterable belong to the enclosing scope. Names no scope binds (builtins)
resolve to the module.

Attributes: `self.x` / `cls.x` in the methods of a class and `C.x` are one attribute together with `x` bound in the
body of class `C`; any other `obj.x` is the same attribute as `obj.x` elsewhere when `obj` is the same variable
(same text and same resolved scope). Nothing else is joined: without types, `a.x` and `b.x` may be anything.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from tree_sitter import Node

from analysis.types import Pos, Span

Context = Literal["read", "bind"]

_COMPREHENSIONS = frozenset({"list_comprehension", "set_comprehension", "dictionary_comprehension",
                             "generator_expression"})
_READ_ONLY_PARTS = frozenset({"subscript", "call"})
_BY_NAME = frozenset({b"locals", b"vars", b"eval", b"exec"})  # calls that read variables by name
_SPLATS = frozenset({"list_splat_pattern", "dictionary_splat_pattern"})


@dataclass(frozen=True)
class Occurrence:
    span: Span
    write: bool  # binds the name (assignment target, parameter, definition, import, del), else reads it


@dataclass(eq=False)
class Scope:
    """A module, class, function (or lambda) or comprehension, and the names it binds."""

    kind: Literal["module", "class", "function", "comprehension"]
    parent: Scope | None
    node: Node | None = None  # the definition or comprehension (None for the module)
    bindings: set[str] = field(default_factory=set)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    first_parameter: str | None = None  # of a function: `self`/`cls` when the function is a method
    parameters: set[str] = field(default_factory=set)  # of a `def` (a lambda's are no one else's business)
    imported: set[str] = field(default_factory=set)  # names an import statement binds here
    by_name: bool = False  # the scope or one inside it calls locals(), vars(), eval() or exec()


@dataclass(frozen=True)
class NameUse:
    """One occurrence of a name, with the scope it is evaluated in."""

    node: Node
    scope: Scope
    write: bool


@dataclass(frozen=True)
class _Attribute:
    node: Node  # the attribute's name
    obj: Node
    scope: Scope
    write: bool


class NameScopes:
    """Scopes, name occurrences and attribute occurrences of one parsed file (build once per tree, query often)."""

    def __init__(self, root: Node) -> None:
        self.module = Scope("module", None)
        self.names: list[NameUse] = []
        self.attributes: list[_Attribute] = []
        self.class_of: dict[Scope, Scope] = {}  # a method's scope -> its class's scope
        self.class_named: dict[tuple[Scope, str], Scope] = {}  # (scope, name) of a class statement -> its body
        self._walk(root)

    # ---- resolution ---------------------------------------------------------------------------------------------

    def resolve(self, name: str, scope: Scope) -> Scope:
        """The scope whose variable `name` is when it is used in `scope`."""
        if name in scope.globals:
            return self.module
        if name not in scope.nonlocals and name in scope.bindings:
            return scope
        current = scope.parent
        while current is not None:
            if current.kind != "class":  # a nested function or comprehension does not see a class's names
                if name in current.globals:
                    return self.module
                if name in current.bindings:
                    return current
            current = current.parent
        return self.module

    def instance_class(self, obj: Node, scope: Scope) -> Scope | None:
        """The class whose instance (or class) `obj` is: a method's first parameter (`self`, `cls`) or the name a
        class statement binds."""
        if obj.type != "identifier":
            return None
        name = obj.text.decode("utf-8", "replace")
        owner = self.resolve(name, scope)
        if owner.kind == "function" and owner.first_parameter == name:
            return self.class_of.get(owner)
        return self.class_named.get((owner, name))

    def name_at(self, pos: Pos) -> NameUse | None:
        """The name occurrence at `pos` (its end included, where a cursor after a word sits)."""
        point = (pos.line, pos.col)
        return next((name for name in self.names if _covers(name.node, point)), None)

    # ---- the walk -----------------------------------------------------------------------------------------------

    def _walk(self, root: Node) -> None:
        stack: list[tuple[Node, Scope, Context]] = [(root, self.module, "read")]
        while stack:
            node, scope, context = stack.pop()
            stack.extend(reversed(self._visit(node, scope, context)))  # children in document order

    def _name(self, node: Node, scope: Scope, write: bool) -> None:
        if write:
            scope.bindings.add(node.text.decode("utf-8", "replace"))
        self.names.append(NameUse(node, scope, write))

    def _visit(self, node: Node, scope: Scope, context: Context) -> list[tuple[Node, Scope, Context]]:
        kind = node.type
        if kind == "identifier":
            self._name(node, scope, context == "bind")
            return []
        handler = _HANDLERS.get(kind)
        if handler is not None:
            return handler(self, node, scope, context)
        if kind in _COMPREHENSIONS:
            return self._comprehension(node, scope)
        if kind in _READ_ONLY_PARTS:
            callee = node.child_by_field_name("function") if kind == "call" else None
            if callee is not None and callee.text in _BY_NAME:
                for outer in _chain(scope):
                    outer.by_name = True
            return [(child, scope, "read") for child in node.children]
        return [(child, scope, context) for child in node.children]

    def _attribute(self, node: Node, scope: Scope, context: Context) -> list[tuple[Node, Scope, Context]]:
        obj, name = node.child_by_field_name("object"), node.child_by_field_name("attribute")
        if name is not None and obj is not None:
            self.attributes.append(_Attribute(name, obj, scope, context == "bind"))
        return [(obj, scope, "read")] if obj is not None else []

    def _function(self, node: Node, scope: Scope, context: Context) -> list[tuple[Node, Scope, Context]]:
        inner = Scope("function", scope, node)
        method = scope.kind == "class" and node.type == "function_definition" and not _is_static(node)
        found = []
        for index, child in enumerate(node.children):
            part = node.field_name_for_child(index)
            if part == "name" and node.type == "function_definition":
                self._name(child, scope, True)
            elif part == "parameters":
                found.extend(self._parameters(child, scope, inner))
            elif part == "body":
                found.append((child, inner, "read"))
            elif child.is_named:  # the return annotation: evaluated where the function is defined
                found.append((child, scope, "read"))
        if method and inner.first_parameter is not None:
            self.class_of[inner] = scope
        return found

    def _parameters(self, node: Node, outer: Scope, inner: Scope) -> list[tuple[Node, Scope, Context]]:
        """Parameter names bind in the function; their defaults and annotations are read where it is defined."""
        found: list[tuple[Node, Scope, Context]] = []
        for position, parameter in enumerate(node.named_children):
            names, holders = _parameter_names(parameter)
            if parameter.type != "identifier":
                found.extend((child, outer, "read") for child in parameter.named_children if child not in holders)
            for name in names:
                if position == 0 and parameter.type not in _SPLATS:
                    inner.first_parameter = name.text.decode("utf-8", "replace")
                if node.type == "parameters":
                    inner.parameters.add(name.text.decode("utf-8", "replace"))
                self._name(name, inner, True)
        return found

    def _class(self, node: Node, scope: Scope, context: Context) -> list[tuple[Node, Scope, Context]]:
        inner = Scope("class", scope, node)
        found = []
        for index, child in enumerate(node.children):
            part = node.field_name_for_child(index)
            if part == "name":
                self._name(child, scope, True)
                self.class_named[(scope, child.text.decode("utf-8", "replace"))] = inner
            elif part == "body":
                found.append((child, inner, "read"))
            elif child.is_named:
                found.append((child, scope, "read"))
        return found

    def _comprehension(self, node: Node, scope: Scope) -> list[tuple[Node, Scope, Context]]:
        inner = Scope("comprehension", scope, node)
        found: list[tuple[Node, Scope, Context]] = []
        first_clause = True
        for child in node.named_children:
            if child.type == "for_in_clause":
                left, right = child.child_by_field_name("left"), child.child_by_field_name("right")
                if left is not None:
                    found.append((left, inner, "bind"))
                if right is not None:  # the first iterable is evaluated outside the comprehension
                    found.append((right, scope if first_clause else inner, "read"))
                first_clause = False
            else:
                found.append((child, inner, "read"))
        return found

    def _assignment(self, node: Node, scope: Scope, context: Context) -> list[tuple[Node, Scope, Context]]:
        found = []
        for index, child in enumerate(node.children):
            part = node.field_name_for_child(index)
            if part == "left":
                found.append((child, scope, "bind"))
            elif child.is_named:
                found.append((child, scope, "read"))
        return found

    def _for(self, node: Node, scope: Scope, context: Context) -> list[tuple[Node, Scope, Context]]:
        return [(child, scope, "bind" if node.field_name_for_child(index) == "left" else "read")
                for index, child in enumerate(node.children) if child.is_named]

    def _as_pattern(self, node: Node, scope: Scope, context: Context) -> list[tuple[Node, Scope, Context]]:
        return [(child, scope, "bind" if child.type == "as_pattern_target" else context)
                for child in node.named_children]

    def _walrus(self, node: Node, scope: Scope, context: Context) -> list[tuple[Node, Scope, Context]]:
        target = scope
        while target.kind == "comprehension" and target.parent is not None:
            target = target.parent  # PEP 572: the target binds in the scope around the comprehension
        name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
        if name is not None:
            self._name(name, target, True)
        return [(value, scope, "read")] if value is not None else []

    def _import(self, node: Node, scope: Scope, context: Context) -> list[tuple[Node, Scope, Context]]:
        for index, child in enumerate(node.children):
            if node.field_name_for_child(index) != "name":
                continue
            if child.type == "aliased_import":
                bound = child.child_by_field_name("alias")
            elif child.type == "dotted_name" and child.named_children:
                bound = child.named_children[0]  # `import a.b` binds `a`
            else:
                continue
            if bound is not None:
                scope.imported.add(bound.text.decode("utf-8", "replace"))
                self._name(bound, scope, True)
        return []

    def _declaration(self, node: Node, scope: Scope, context: Context) -> list[tuple[Node, Scope, Context]]:
        declared = scope.globals if node.type == "global_statement" else scope.nonlocals
        for name in node.named_children:
            if name.type == "identifier":
                declared.add(name.text.decode("utf-8", "replace"))
                self.names.append(NameUse(name, scope, False))
        return []

    def _keyword_argument(self, node: Node, scope: Scope, context: Context) -> list[tuple[Node, Scope, Context]]:
        value = node.child_by_field_name("value")  # `name=` names a parameter of the callee, not a variable
        return [(value, scope, "read")] if value is not None else []

    def _dotted_name(self, node: Node, scope: Scope, context: Context) -> list[tuple[Node, Scope, Context]]:
        first = node.named_children[:1]  # `Color.RED` in a case pattern: only `Color` is a name
        return [(child, scope, context if len(node.named_children) == 1 else "read") for child in first]

    def _delete(self, node: Node, scope: Scope, context: Context) -> list[tuple[Node, Scope, Context]]:
        return [(child, scope, "bind") for child in node.named_children]

    def _keyword_pattern(self, node: Node, scope: Scope, context: Context) -> list[tuple[Node, Scope, Context]]:
        return [(child, scope, "bind") for child in node.named_children[1:]]  # `x=px`: `x` names a field

    def _capture(self, node: Node, scope: Scope, context: Context) -> list[tuple[Node, Scope, Context]]:
        """A case pattern: a bare name captures (binds); a dotted name or a class pattern's class is read."""
        return [(child, scope, "bind" if child.type == "dotted_name" else context) for child in node.named_children]

    def _class_pattern(self, node: Node, scope: Scope, context: Context) -> list[tuple[Node, Scope, Context]]:
        children = node.named_children
        return [(child, scope, "read" if index == 0 else "bind") for index, child in enumerate(children)]


_HANDLERS = {
    "attribute": NameScopes._attribute,
    "function_definition": NameScopes._function,
    "lambda": NameScopes._function,
    "class_definition": NameScopes._class,
    "assignment": NameScopes._assignment,
    "augmented_assignment": NameScopes._assignment,
    "for_statement": NameScopes._for,
    "as_pattern": NameScopes._as_pattern,
    "named_expression": NameScopes._walrus,
    "import_statement": NameScopes._import,
    "import_from_statement": NameScopes._import,
    "future_import_statement": lambda model, node, scope, context: [],
    "global_statement": NameScopes._declaration,
    "nonlocal_statement": NameScopes._declaration,
    "delete_statement": NameScopes._delete,
    "keyword_argument": NameScopes._keyword_argument,
    "dotted_name": NameScopes._dotted_name,
    "case_pattern": NameScopes._capture,
    "keyword_pattern": NameScopes._keyword_pattern,
    "class_pattern": NameScopes._class_pattern,
}


def _chain(scope: Scope | None) -> list[Scope]:
    """`scope` and the scopes around it, innermost first."""
    chain = []
    while scope is not None:
        chain.append(scope)
        scope = scope.parent
    return chain


def _parameter_names(parameter: Node) -> tuple[list[Node], list[Node]]:
    """The names a parameter binds, and the children that hold them (the rest are defaults and annotations)."""
    if parameter.type == "identifier":
        return [parameter], [parameter]
    if parameter.type in _SPLATS:
        names = [child for child in parameter.named_children if child.type == "identifier"]
        return names, names
    name = parameter.child_by_field_name("name")
    if name is not None:
        return [name], [name]
    names, holders = [], []
    for child in parameter.named_children:  # typed_parameter: `x: int`, `*args: int`
        if child.type == "identifier":
            names.append(child)
            holders.append(child)
        elif child.type in _SPLATS:
            names.extend(grand for grand in child.named_children if grand.type == "identifier")
            holders.append(child)
    return names, holders


def _is_static(function: Node) -> bool:
    """Whether a decorator makes the function a staticmethod (its first parameter is no instance)."""
    decorated = function.parent
    return decorated is not None and decorated.type == "decorated_definition" and any(
        child.type == "decorator" and child.text.strip() in (b"@staticmethod", b"@builtins.staticmethod")
        for child in decorated.children)


def occurrences(model: NameScopes, pos: Pos) -> list[Occurrence] | None:
    """The occurrences of the name or attribute at `pos` in document order; None when `pos` is on neither."""
    name = model.name_at(pos)
    if name is not None:
        found = same_variable(model, name)
    else:
        point = (pos.line, pos.col)
        attribute = next((a for a in model.attributes if _covers(a.node, point)), None)
        if attribute is None:
            return None
        found = _same_attribute(model, attribute.node.text, attribute.obj, attribute.scope)
    return as_occurrences(found)


def as_occurrences(found: list[tuple[Node, bool]]) -> list[Occurrence]:
    """Nodes (and whether each is a write) as occurrences in document order, each once."""
    unique = {(node.start_byte, node.end_byte): (node, write) for node, write in found}
    return [Occurrence(Span(Pos(*node.start_point), Pos(*node.end_point)), write)
            for _, (node, write) in sorted(unique.items())]


def _covers(node: Node, point: tuple[int, int]) -> bool:
    return tuple(node.start_point) <= point <= tuple(node.end_point)


def same_variable(model: NameScopes, target: NameUse) -> list[tuple[Node, bool]]:
    """The occurrences of the variable `target` names (for a class attribute, also `self.`/`cls.`/`C.` uses)."""
    text = target.node.text
    name = text.decode("utf-8", "replace")
    home = model.resolve(name, target.scope)
    found = [(other.node, other.write) for other in model.names
             if other.node.text == text and model.resolve(name, other.scope) is home]
    if home.kind == "class":  # a class attribute: also `self.name` / `cls.name` in its methods
        found.extend(_class_attribute_uses(model, text, home))
    return found


def _class_attribute_uses(model: NameScopes, text: bytes, owner: Scope) -> list[tuple[Node, bool]]:
    """`self.text`, `cls.text` and `C.text` where the object is (an instance of) the class whose body is `owner`."""
    return [(attribute.node, attribute.write) for attribute in model.attributes
            if attribute.node.text == text and model.instance_class(attribute.obj, attribute.scope) is owner]


def _same_attribute(model: NameScopes, text: bytes, obj: Node, scope: Scope) -> list[tuple[Node, bool]]:
    owner = model.instance_class(obj, scope)
    if owner is not None:
        found = [(name.node, name.write) for name in model.names
                 if name.node.text == text and name.scope is owner and name.write]
        return found + _class_attribute_uses(model, text, owner)
    root = obj
    while root.type == "attribute" and root.child_by_field_name("object") is not None:
        root = root.child_by_field_name("object")
    if root.type != "identifier":
        return [(attribute.node, attribute.write) for attribute in model.attributes
                if attribute.obj == obj]  # the one occurrence under the cursor
    root_name = root.text.decode("utf-8", "replace")
    home = model.resolve(root_name, scope)
    width, spelled = obj.end_byte - obj.start_byte, obj.text
    return [(attribute.node, attribute.write) for attribute in model.attributes
            if attribute.node.text == text and attribute.obj.end_byte - attribute.obj.start_byte == width
            and attribute.obj.text == spelled and model.resolve(root_name, attribute.scope) is home]
