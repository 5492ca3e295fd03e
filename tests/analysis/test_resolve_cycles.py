"""Name resolution on a package full of cycles: alias cycles, star-import cycles, class hierarchy cycles, deep
re-export chains and a cluster of `self.x = self.x.f()` assignments (the pattern that made indexing sympy run for
minutes: every binding of the attribute reads all the others, and answers below a cycle cut were recomputed on
every path, n! times). The index must finish, resolve what is resolvable, and give the same graph whichever way
it is reached."""
from __future__ import annotations

from pathlib import Path

import pytest

from analysis import Workspace
from analysis.types import Pos, TextEdit
from tests.analysis.test_incremental import assert_same_graph

CHAIN = 30  # modules in the re-export chain
CLUSTER = 40  # methods that reassign `self.value` from itself


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def cyclic_package() -> dict[str, str]:
    files = {
        "pkg/__init__.py": "from .a import *\nfrom .b import *\nfrom .chain29 import target as exported\n",
        # star imports in a ring, each module also naming what the others define
        "pkg/a.py": "from .b import *\nfrom .c import *\nfrom . import b as alias_b\n\n"
                    "def fa():\n    return fb() + fc() + missing_a() + alias_b.fb()\n",
        "pkg/b.py": "from .c import *\nfrom .a import *\n\ndef fb():\n    return fa() + missing_b()\n",
        "pkg/c.py": "from .a import *\nfrom .b import *\nfrom pkg import *\n\n"
                    "def fc():\n    return fa() + fb() + exported()\n",
        # aliases that name each other, across modules and within one
        "pkg/alias1.py": "from .alias2 import Y as X\nZ = X\nW = Z.attr.more\n\ndef use():\n    return X() + W()\n",
        "pkg/alias2.py": "from .alias1 import X as Y\nP = Q\nQ = P\n\ndef use():\n    return Y() + P.call()\n",
        # classes whose bases go round in a circle
        "pkg/hier.py": "from .hier2 import B\n\nclass A(B):\n    def run(self):\n        return self.go()\n",
        "pkg/hier2.py": "from .hier import A\n\nclass B(A):\n    def go(self):\n        return self.run()\n",
        "pkg/chain0.py": "def target():\n    return 1\n",
    }
    for i in range(1, CHAIN):
        files[f"pkg/chain{i}.py"] = (f"from .chain{i - 1} import target\nfrom .chain{i - 1} import *\n\n"
                                     f"def step{i}():\n    return target()\n")
    methods = "".join(f"    def m{i}(self):\n        self.value = self.value.refine{i}()\n"
                      f"        return self.value.refine{i}()\n\n" for i in range(CLUSTER))
    files["pkg/cluster.py"] = (
        "class Value:\n    def refine0(self):\n        return Value()\n\n\n"
        f"class Holder:\n    def __init__(self):\n        self.value = Value()\n\n{methods}"
    )
    return files


@pytest.fixture(scope="module")
def cyclic(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("cyclic") / "proj"
    _write(root, cyclic_package())
    ws = Workspace(root, cache_dir=tmp_path_factory.mktemp("cache"))
    ws.index(use_cache=False)
    return ws


def _calls(ws: Workspace) -> set[tuple[str, str]]:
    return {(u, v) for u, v, k in ws.graph.edges(keys=True) if k == "calls"}


def test_index_of_a_cyclic_package_resolves_what_it_can(cyclic: Workspace) -> None:
    calls = _calls(cyclic)
    # a deep re-export chain leads to the definition, through explicit and star imports
    for i in range(1, CHAIN):
        assert (f"pkg/chain{i}.py::step{i}", "pkg/chain0.py::target") in calls
    assert ("pkg/c.py::fc", "pkg/chain0.py::target") in calls  # `exported` through `from pkg import *`
    # names found through a ring of star imports
    assert {("pkg/a.py::fa", "pkg/b.py::fb"), ("pkg/a.py::fa", "pkg/c.py::fc"),
            ("pkg/b.py::fb", "pkg/a.py::fa")} <= calls
    # the self-attribute cluster: `self.value` is at least the `Value()` set in __init__
    assert ("pkg/cluster.py::Holder.m0", "pkg/cluster.py::Value.refine0") in calls
    # the class cycle leaves each class with its base and each method with the other class's method
    extends = {(u, v) for u, v, k in cyclic.graph.edges(keys=True) if k == "extends"}
    assert extends == {("pkg/hier.py::A", "pkg/hier2.py::B"), ("pkg/hier2.py::B", "pkg/hier.py::A")}
    assert {("pkg/hier.py::A.run", "pkg/hier2.py::B.go"), ("pkg/hier2.py::B.go", "pkg/hier.py::A.run")} <= calls


def test_cycles_cost_a_bounded_number_of_cuts(cyclic: Workspace) -> None:
    # Each question computes an answer at most once: the cuts grow with the size of the cycles, not with the
    # number of paths through them (40 bindings that read each other: 40! paths).
    assert cyclic._py.cycle_cuts < 10 * (CLUSTER + CHAIN) ** 2


def test_cyclic_graph_is_the_same_after_edits_and_from_scratch(cyclic: Workspace, tmp_path: Path) -> None:
    """Resolution below a cycle cut must not depend on the order of earlier questions: edits that re-resolve
    some files in another order than the full index give the same graph back."""
    root = tmp_path / "proj"
    files = cyclic_package()
    _write(root, files)
    ws = Workspace(root, cache_dir=tmp_path / "cache")
    ws.index(use_cache=False)
    for rel in ("pkg/cluster.py", "pkg/b.py", "pkg/alias2.py", "pkg/hier2.py"):
        path = str(root / rel)
        ws.open(path, files[rel])
        ws.change(path, [TextEdit(Pos(0, 0), Pos(0, 0), "import os\n")])
        ws.change(path, [TextEdit(Pos(0, 0), Pos(1, 0), "")])
        ws.close(path)
    assert_same_graph(ws.graph, cyclic.graph)
