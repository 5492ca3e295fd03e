"""Navigation beyond go-to-definition, on the Python standard library: type hierarchy, implementations, signatures.

Usage:
    python bench/navigation.py [--json bench/out/navigation.json] [--samples 300] [--jedi-sites 200] [--seed 0]

Measures, on the graph of the running interpreter's stdlib (without site-packages):
  1. supertypes (the `extends` edges) against the interpreter: a child process imports every stdlib module outside
     the tests, the GUI and the demos, and for each top-level class it defines reads `__bases__`. A base's
     file is where a method of its body was compiled (a `__module__` may name a module that only re-exports it),
     else the file whose source holds its class statement. Compared: classes whose source statement lists bases
     and whose bases all have Python source; a class agrees when our supertypes are exactly its bases.
     Classes with a builtin or C base, or with bases only a decorator or metaclass gives, are counted aside.
  2. latency through the Workspace API (what the server's handlers call, before the conversion to LSP units):
     `implementations` at the name of sampled classes and methods, `supertypes` + `subtypes` of sampled classes.
  3. signature help against jedi's `Script.get_signatures`, with the cursor just after the "(" of sampled call
     sites whose callee jedi resolves into the stdlib's source (`goto`); jedi may answer from typeshed's stubs,
     whose parameter names can differ from the source's, so a site agrees when the callee's name and the active
     parameter's index agree with one of jedi's signatures; the parameter count is reported beside. Our latency
     at the same sites.
  4. deep nesting (generated files: 3,000 nested parentheses, 2,000 nested calls, a 20,000-long attribute chain):
     the worst time of go-to-definition's lookup (`symbol_at`), signature help and selection ranges at positions
     spread over each file. Walking up a tree with `Node.parent` costs the depth on every step (tree-sitter finds
     a parent by walking down from the root), so these are where a quadratic walk would show.
  5. folding ranges against Python's own parser: for each definition and compound statement `ast` sees in the
     stdlib's Python files, does a fold start on its header line and end on its body's last line (before `elif`,
     `except`)? Also accepted beside it: a fold that ends later only over comment and blank lines (tree-sitter
     gives a block the comments indented under it). Time of the folds of a file whose tree is parsed (an open
     document) and of parse + folds (a file not open).

Sample output (commit 0d7d817; the two signature help rows at ccdba0a + aliases followed; the quiet 2-core
development machine, 150 s, most of it jedi's). The files of the sampled sites are not open, so most requests
also parse their file, as a request on a file the editor has open does not:
    supertypes agree with the interpreter's __bases__   99.8% (1275/1278)
    not compared: a builtin or C base 317, bases given at run time 22, not in the graph 0
    implementations at a class, p50 / p95 / max ms      3.0 / 24.2 / 41.2  (46 of 300 have any)
    implementations at a method, p50 / p95 / max ms     4.8 / 20.2 / 36.6  (7 of 300 have any)
    supertypes + subtypes of a class, p50 / p95 ms      0.02 / 0.05
    signature help agrees with jedi (name + active parameter)  78.5% (157/200; answered 170, name 168,
        parameter count 148; 514 sampled)
    signature help, p50 / p95 / max ms                  7.1 / 34.8 / 70.5
    deep nesting, parentheses.py, worst ms              symbol_at 2.7, signature help 4.6, selection ranges 9.4
    deep nesting, calls.py, worst ms                    symbol_at 4.3, signature help 7.4, selection ranges 11.9
    deep nesting, chain.py, worst ms                    symbol_at 13.5, signature help 14.8, selection ranges 55.3
Folding ranges (this session's commit, the development machine busy with another job, so the timing rows above are
higher than the ones before):
    folds agree with ast (header line to end of body)    99.7% (135845/136246; 100.0% counting a trailing comment;
        1785 files)
    folds p50, p95, max ms: parsed / parse + folds      0.5, 6.2, 24.9 / 1.6, 15.5, 64.6
Of the 10 headers that differ beyond trailing comments, 4 are by design: a closing bracket at the header's own
indentation stays visible even when the body goes on after it on that line (`) -> int: ...` of a stub, `])` of a
call laid out at its statement's indentation), so the fold ends one line before the body does; the other 6 are in
test/test_compile.py, around code it mis-indents on purpose (`(bar.` / `baz)` at column 8 inside a `def` at 12),
which tree-sitter's error recovery reads otherwise than the interpreter.
Before the walks went down with a cursor, the chain's `symbol_at` (hence definition, references, hover) took
4.8 s at its first name, and signature help 1.5 s inside the parentheses.
The three supertype disagreements: a class that extends a same-named proxy made by a function call (`PoolProxy`),
a base imported in a try/except from one of two modules (we answer both), and a base from a module imported under
a frozen alias (`import _frozen_importlib_external as _bootstrap_external`).
Signature help: 72.5 % before names bound by assignment were followed (`eq = self.assertEqual`, then `eq(`).
Of the 43 sites that still do not agree, 30 get no answer, because the graph does not resolve the callee (jedi
infers types: `f = open(...)`, then `f.read(`; a lambda in a variable); the rest are conventions, e.g. jedi
points at parameter 0 of a signature whose parameters are all keyword-only, or of `f(**kwargs)`, where no
parameter takes a positional argument and we point at none, or a namedtuple base whose fields only jedi sees.
"""
from __future__ import annotations

import argparse
import ast
import collections
import contextlib
import importlib
import inspect
import io
import json
import os
import random
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from analysis import Workspace  # noqa: E402
from analysis.facts import C_COL, C_LINE  # noqa: E402
from analysis.types import Pos  # noqa: E402

STDLIB = Path(sysconfig.get_paths()["stdlib"])
EXCLUDE = ["site-packages"]
# Not imported: tests, GUI toolkits and demos, and modules that act on import (open a browser, print a poem).
SKIP_PACKAGES = {"test", "idlelib", "tkinter", "turtledemo", "turtle", "antigravity", "this", "lib2to3", "ensurepip",
                 "pydoc_data"}


# ---- 1. the interpreter's bases (child process) ---------------------------------------------------------------

def source_file(cls: type) -> str | None:
    """The file that holds the class statement of `cls`, or None for a builtin or C class."""
    for value in vars(cls).values():
        function = getattr(value, "__func__", value)
        code = getattr(function, "__code__", None)
        if code is not None and getattr(function, "__qualname__", "").startswith(cls.__qualname__ + "."):
            filename = code.co_filename
            if filename.startswith("<frozen "):  # 3.11 freezes codecs, os, ...: their module knows the file
                filename = getattr(sys.modules.get(filename[len("<frozen "):-1]), "__file__", None) or ""
            return filename if os.path.isabs(filename) else None
    try:
        inspect.getsourcelines(cls)  # OSError when the file holds no such class statement
        return inspect.getsourcefile(cls)
    except (TypeError, OSError):
        return None


def runtime_bases(modules: list[str]) -> dict[str, list[str | None]]:
    """Child side: "file::qualname" of each top-level class -> its bases' "file::qualname" (None: no source)."""
    warnings.simplefilter("ignore")
    root = os.path.realpath(STDLIB)

    def node_id(cls: type) -> str | None:
        file = source_file(cls)
        return f"{os.path.relpath(os.path.realpath(file), root)}::{cls.__qualname__}" if file else None

    found: dict[str, list[str | None]] = {}
    for name in modules:
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                module = importlib.import_module(name)
        except BaseException:  # a platform-specific module, or one that needs what this machine lacks
            continue
        for qualname, obj in list(vars(module).items()):
            if not inspect.isclass(obj) or obj.__module__ != name or obj.__qualname__ != qualname:
                continue
            own = node_id(obj)
            if own is not None and not own.startswith(".."):
                found[own] = [node_id(base) for base in obj.__bases__ if base is not object]
    return found


def importable_modules(ws: Workspace) -> list[str]:
    modules = []
    for rel in sorted(ws.graph.nodes):
        parts = rel.split("/")
        if not rel.endswith(".py") or "::" in rel or parts[0].removesuffix(".py") in SKIP_PACKAGES:
            continue
        if any(part.startswith("test") for part in parts) or parts[-1] == "__main__.py" or "-" in rel:
            continue
        modules.append(rel[:-3].replace("/", ".").removesuffix(".__init__"))
    return modules


def supertypes_agreement(ws: Workspace) -> dict:
    env = {**os.environ, "SETUPTOOLS_USE_DISTUTILS": "stdlib"}  # else setuptools' copy answers `import distutils`
    child = subprocess.run([sys.executable, __file__, "--bases-child"], input=json.dumps(importable_modules(ws)),
                           capture_output=True, text=True, check=True, timeout=600, env=env)
    runtime = json.loads(child.stdout)
    counts: collections.Counter[str] = collections.Counter()
    misses = []
    for node, bases in sorted(runtime.items()):
        if not bases:
            counts["no base but object"] += 1
        elif node not in ws.graph:
            counts["class not in the graph"] += 1
        elif not ws.graph.nodes[node].get("bases"):
            counts["bases given at run time"] += 1
        elif None in bases:
            counts["a builtin or C base"] += 1
        else:
            ours = sorted(symbol.node_id for symbol in ws.supertypes(node))
            counts["agree" if ours == sorted(bases) else "disagree"] += 1
            if ours != sorted(bases):
                misses.append({"class": node, "interpreter": sorted(bases), "ours": ours})
    compared = counts["agree"] + counts["disagree"]
    return {"classes": len(runtime), "counts": dict(counts), "compared": compared,
            "rate": counts["agree"] / compared if compared else 0.0, "misses": misses}


# ---- 2. latency ------------------------------------------------------------------------------------------------

def latency(ws: Workspace, samples: int, seed: int) -> dict:
    graph = ws.graph
    rng = random.Random(seed)
    classes = sorted(n for n, d in graph.nodes(data=True) if d.get("type") == "CLASS")
    methods = sorted(n for n, d in graph.nodes(data=True) if d.get("type") == "FUNCTION" and "." in d["qualname"])
    result = {}
    for kind, nodes in (("class", classes), ("method", methods)):
        times, nonempty = [], 0
        for node in rng.sample(nodes, min(samples, len(nodes))):
            data = graph.nodes[node]
            started = time.perf_counter()
            found = ws.implementations(str(STDLIB / data["path"]), Pos(data["name_line"] - 1, data["name_col"]))
            times.append(1000 * (time.perf_counter() - started))
            nonempty += bool(found)
        result[f"implementations at a {kind}"] = {"ms": times, "nonempty": nonempty}
    times = []
    for node in rng.sample(classes, min(samples, len(classes))):
        started = time.perf_counter()
        ws.supertypes(node)
        ws.subtypes(node)
        times.append(1000 * (time.perf_counter() - started))
    result["supertypes + subtypes of a class"] = {"ms": times}
    return result


# ---- 3. signature help against jedi ----------------------------------------------------------------------------

def call_sites(ws: Workspace, seed: int) -> list[tuple[str, int, int, int]]:
    """(file, line, callee byte column, byte column just after its "(") of every one-line `name(` call, shuffled."""
    sites = []
    for rel, facts in sorted(ws._facts.items()):
        if facts.lang != "python":
            continue
        rows = facts.text.encode("utf-8").split(b"\n")
        for call in facts.calls:
            row = rows[call[C_LINE]]
            paren = row.find(b"(", call[C_COL])
            if paren > 0 and row[call[C_COL]:paren].strip().decode("utf-8", "replace").isidentifier():
                sites.append((rel, call[C_LINE], call[C_COL], paren + 1))
    random.Random(seed).shuffle(sites)
    return sites


def signature_agreement(ws: Workspace, wanted: int, seed: int, max_sites: int) -> dict:
    import jedi

    project = jedi.Project(str(STDLIB))
    root = str(STDLIB) + os.sep
    compared = answered = name_agree = agree = count_agree = tried = 0
    times: list[float] = []
    misses = []
    for rel, line, callee_col, cursor_col in call_sites(ws, seed)[:max_sites]:
        if compared >= wanted:
            break
        tried += 1
        path = str(STDLIB / rel)
        text = ws.text(path) or ""
        row = text.split("\n")[line].encode("utf-8")
        char = lambda byte_col: len(row[:byte_col].decode("utf-8", "replace"))  # noqa: E731
        try:
            script = jedi.Script(code=text, path=path, project=project)
            targets = script.goto(line + 1, char(callee_col), follow_imports=True)
            theirs = script.get_signatures(line + 1, char(cursor_col))
        except Exception:  # jedi's own failures count as "jedi does not answer"
            continue
        in_source = any(str(t.module_path or "").startswith(root) and "site-packages" not in str(t.module_path)
                        for t in targets)
        if not in_source or not theirs:
            continue
        compared += 1
        started = time.perf_counter()
        ours = ws.signature_help(path, Pos(line, cursor_col))
        times.append(1000 * (time.perf_counter() - started))
        if ours is None:
            misses.append({"site": f"{rel}:{line + 1}", "jedi": theirs[0].name, "ours": None})
            continue
        answered += 1
        name = ours.label.split("(", 1)[0]
        same_name = [sig for sig in theirs if sig.name == name]
        name_agree += bool(same_name)
        agree += any(sig.index == ours.active for sig in same_name)
        count_agree += any(len(sig.params) == len(ours.parameters) for sig in same_name)
        if not any(sig.index == ours.active for sig in same_name):
            misses.append({"site": f"{rel}:{line + 1}", "jedi": [(sig.name, sig.index) for sig in theirs][:3],
                           "ours": (ours.label, ours.active)})
    return {"sampled": tried, "compared": compared, "answered": answered, "name_agree": name_agree,
            "agree": agree, "count_agree": count_agree, "rate": agree / compared if compared else 0.0,
            "ms": times, "misses": misses}


# ---- 4. deep nesting ------------------------------------------------------------------------------------------

DEEP_FILES = {
    "parentheses.py": "x = " + "(" * 3000 + "1" + ")" * 3000 + "\n",
    "calls.py": "def f():\n    return " + "g(" * 2000 + ")" * 2000 + "\n",
    "chain.py": "a = 1\ny = a" + ".b" * 20000 + "\n",
}


def deep_nesting() -> dict:
    """Worst milliseconds per request kind over 20 positions of each generated file."""
    worst: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="rodimus-deep-") as folder:
        root = Path(folder)
        for name, text in DEEP_FILES.items():
            (root / name).write_text(text, encoding="utf-8")
        ws = Workspace(root, cache_dir=root / ".cache")
        ws.index(use_cache=False)
        for name, text in DEEP_FILES.items():
            path, lines = str(root / name), text.split("\n")
            positions = [Pos(line, col) for line, row in enumerate(lines) if row
                         for col in range(0, len(row), max(1, len(row) // 20))]
            requests = {"symbol_at": lambda p: ws.symbol_at(path, p),
                        "signature help": lambda p: ws.signature_help(path, p),
                        "selection ranges": lambda p: ws.selection_ranges(path, [p])}
            for kind, request in requests.items():
                times = []
                for position in positions:
                    started = time.perf_counter()
                    request(position)
                    times.append(1000 * (time.perf_counter() - started))
                worst.setdefault(name, {})[kind] = max(times)
    return worst


# ---- 5. folding ranges against the interpreter's own parser -----------------------------------------------------

def expected_folds(source: str) -> Iterator[tuple[str, int, int]]:
    """(kind, first line, last line) 0-based of each fold `ast` implies: a definition or compound statement from
    its header line to the end of its body (before `elif`/`else`/`except`), an `elif` or `except` from its line."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.For, ast.AsyncFor, ast.While,
                             ast.With, ast.AsyncWith, ast.Try, ast.ExceptHandler)):
            yield type(node).__name__, node.lineno - 1, node.body[-1].end_lineno - 1
        elif isinstance(node, ast.If):
            yield "If", node.lineno - 1, node.body[-1].end_lineno - 1


def folding_agreement(ws: Workspace) -> dict:
    """Per Python file of the graph: do our folds start at each header `ast` implies and end where its body ends?

    "within comments" also accepts a fold that ends later only over comment and blank lines (tree-sitter gives a
    block the comments indented under it; `ast` knows no comments). Timing: folds from the file's tree when it is
    already parsed (an open document), and parse + folds (a file not open), through the Workspace API.
    """
    counts: collections.Counter[str] = collections.Counter()
    misses: list[str] = []
    warm, cold = [], []
    for rel, facts in sorted(ws._facts.items()):
        if facts.lang != "python":
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = [fold for fold in expected_folds(facts.text) if fold[2] > fold[1]]
        except (SyntaxError, ValueError):
            continue
        path = str(STDLIB / rel)
        started = time.perf_counter()
        ws.folding_ranges(path)
        cold.append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        ours = {fold.start: fold.end for fold in ws.folding_ranges(path) or []}
        warm.append(1000 * (time.perf_counter() - started))
        lines = facts.text.split("\n")
        for kind, first, last in expected:
            end = ours.get(first)
            if end == last:
                counts["agree"] += 1
            elif end is not None and end > last and all(
                    not line.strip() or line.lstrip().startswith("#") for line in lines[last + 1: end + 1]):
                counts["ends after the body over comments only"] += 1
            else:
                counts["no fold" if end is None else "ends elsewhere"] += 1
                if len(misses) < 20:
                    misses.append(f"{rel}:{first + 1} {kind}: ast ends at {last + 1}, ours "
                                  f"{'none' if end is None else end + 1}")
    compared = sum(counts.values())
    return {"compared": compared, "counts": dict(counts), "files": len(warm), "warm_ms": warm, "cold_ms": cold,
            "rate": counts["agree"] / compared if compared else 0.0,
            "rate_within_comments": (counts["agree"] + counts["ends after the body over comments only"]) / compared
            if compared else 0.0, "misses": misses}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "out" / "navigation.json")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--jedi-sites", type=int, default=200, help="compare at this many sites jedi answers")
    parser.add_argument("--jedi-max", type=int, default=3000, help="sample at most this many call sites")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bases-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bases_child:
        print(json.dumps(runtime_bases(json.loads(sys.stdin.read()))))
        return 0

    with tempfile.TemporaryDirectory(prefix="rodimus-navigation-bench-") as cache:
        ws = Workspace(STDLIB, exclude=EXCLUDE, cache_dir=cache)
        ws.index(use_cache=False)
    agreement = supertypes_agreement(ws)
    timings = latency(ws, args.samples, args.seed)
    signatures = signature_agreement(ws, args.jedi_sites, args.seed, args.jedi_max)
    deep = deep_nesting()
    folding = folding_agreement(ws)
    counts = agreement["counts"]
    print(f"supertypes agree with the interpreter's __bases__   {agreement['rate']:.1%} "
          f"({counts.get('agree', 0)}/{agreement['compared']})")
    print(f"not compared: a builtin or C base {counts.get('a builtin or C base', 0)}, bases given at run time "
          f"{counts.get('bases given at run time', 0)}, not in the graph {counts.get('class not in the graph', 0)}")
    for name, row in timings.items():
        ms = row["ms"]
        if "nonempty" in row:
            print(f"{name}, p50 / p95 / max ms".ljust(52) + f"{percentile(ms, .5):.1f} / {percentile(ms, .95):.1f} / "
                  f"{max(ms):.1f}  ({row['nonempty']} of {len(ms)} have any)")
        else:
            print(f"{name}, p50 / p95 ms".ljust(52) + f"{percentile(ms, .5):.2f} / {percentile(ms, .95):.2f}")
    ms = signatures["ms"]
    print(f"signature help agrees with jedi (name + active parameter)  {signatures['rate']:.1%} "
          f"({signatures['agree']}/{signatures['compared']}; answered {signatures['answered']}, name "
          f"{signatures['name_agree']}, parameter count {signatures['count_agree']}; {signatures['sampled']} sampled)")
    print("signature help, p50 / p95 / max ms".ljust(52) + f"{percentile(ms, .5):.1f} / {percentile(ms, .95):.1f} / "
          f"{max(ms, default=float('nan')):.1f}")
    for name, worst in deep.items():
        print(f"deep nesting, {name}, worst ms".ljust(52) + ", ".join(f"{kind} {ms:.1f}" for kind, ms in worst.items()))
    print("folds agree with ast (header line to end of body)".ljust(52) + f"{folding['rate']:.1%} "
          f"({folding['counts'].get('agree', 0)}/{folding['compared']}; {folding['rate_within_comments']:.1%} counting "
          "a trailing comment; "
          f"{folding['files']} files)")
    print("folds p50, p95, max ms: parsed / parse + folds".ljust(52) +
          " / ".join(f"{percentile(folding[key], .5):.1f}, {percentile(folding[key], .95):.1f}, {max(folding[key]):.1f}"
                     for key in ("warm_ms", "cold_ms")))
    for miss in agreement["misses"]:
        print(f"  differs: {miss['class']}: interpreter {miss['interpreter']}, ours {miss['ours']}")
    for miss in signatures["misses"]:
        print(f"  signature differs at {miss['site']}: jedi {miss['jedi']}, ours {miss['ours']}")
    for miss in folding["misses"]:
        print(f"  fold differs: {miss}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    results = {"agreement": agreement, "latency": timings, "signatures": signatures, "deep_nesting": deep,
               "folding": folding}
    args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
