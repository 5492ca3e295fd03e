"""The code graph's names in the completion menu against jedi's completions, on the Python stdlib.

Usage:
    python bench/graph_completion.py [--files 80] [--per-file 4] [--prefix 2] [--seed 0]
        [--json bench/out/graph_completion.json]

Sites: random identifiers in a sample of the running interpreter's stdlib files: names (not definitions' own
names or parameters, which are new words) and attribute names after `.`. Each site's identifier is cut to its
first `--prefix` characters in a copy of the file, the copy is opened as a buffer (Workspace.open, as the server
does) and both tools are asked at the cursor after the prefix: ours `Workspace.completion_names` (what follows
the AI item), jedi `Script(code=...).complete()` (jedi-language-server's completion). A site is found when the
identifier that was there is among the answers; rows split names and attributes. Latency is ours through the
Workspace API with the buffer's tree parsed (the buffer's graph update is not counted) and jedi's call.

Sample output (commit of this file; the 2-core development machine, 44 s):
    301 sites in 80 files, identifier cut to 2 characters; found = the identifier is among the answers
                 | names            | attributes
    ours         |  168/201   83.6% |   63/100   63.0%
    jedi         |  176/201   87.6% |   86/100   86.0%
    latency p50 / p95 ms: ours 0.2 / 0.5 (3 names at the median), jedi 43.2 / 200.0
What jedi finds and we do not is mostly type inference: methods of values (`p.findall` after
`p = re.compile(...)`, `list.pop`, `str.join`, `dict.get`), which the graph does not model. Also: names a class
body inherits (`PATTERN` of a base class, which Python itself does not make visible there), and modules the
resolver matched to a same-named file of this workspace (`import gc` -> test/dtracedata/gc.py, whose members
are not the interpreter's `gc`).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import jedi  # noqa: E402

from analysis.languages import new_parser  # noqa: E402
from analysis.types import Pos  # noqa: E402
from bench.stdlib_sample import STDLIB, percentile, stdlib_workspace  # noqa: E402
_NOT_USES = frozenset({"function_definition", "class_definition", "parameters", "lambda_parameters",
                       "default_parameter", "typed_parameter", "typed_default_parameter", "keyword_argument",
                       "dotted_name", "aliased_import", "import_from_statement", "global_statement",
                       "nonlocal_statement"})


def sites(text: str, rng: random.Random, count: int, prefix: int) -> list[tuple[int, int, str, str]]:
    """(start byte, line, identifier, "name" | "attribute") of identifiers longer than the prefix."""
    src = text.encode("utf-8")
    found, stack = [], [new_parser("python").parse(src).root_node]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.type != "identifier" or node.parent is None or len(node.text) <= prefix or not node.text.isascii():
            continue
        parent = node.parent
        if parent.type in _NOT_USES:
            continue
        kind = "attribute" if parent.type == "attribute" and parent.child_by_field_name("attribute") == node else "name"
        found.append((node.start_byte, node.start_point.row, node.text.decode(), kind))
    return rng.sample(found, min(count, len(found)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--files", type=int, default=80)
    parser.add_argument("--per-file", type=int, default=4)
    parser.add_argument("--prefix", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=REPO / "bench" / "out" / "graph_completion.json")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    ws, files = stdlib_workspace(rng)
    found: Counter[str] = Counter()
    asked: Counter[str] = Counter()
    ours_ms, jedi_ms, sizes, misses = [], [], [], []
    for rel in files[: args.files]:
        text, path = ws._facts[rel].text, STDLIB / rel
        for start, line, identifier, kind in sites(text, rng, args.per_file, args.prefix):
            src = text.encode("utf-8")
            cut = src[: start + args.prefix] + src[start + len(identifier):]
            copy = cut.decode("utf-8")
            line_start = src.rfind(b"\n", 0, start) + 1
            column = start + args.prefix - line_start
            ws.open(str(path), copy)
            try:
                ws.completion_names(str(path), Pos(line, column))  # parses the buffer, as typing would have
                started = time.perf_counter()
                ours = {candidate.name for candidate in ws.completion_names(str(path), Pos(line, column))}
                ours_ms.append(1000 * (time.perf_counter() - started))
            finally:
                ws.close(str(path))
            started = time.perf_counter()
            try:
                theirs = {c.name for c in jedi.Script(code=copy, path=path).complete(line + 1, column)}
            except Exception:  # jedi raises at some positions of broken code
                theirs = set()
            jedi_ms.append(1000 * (time.perf_counter() - started))
            sizes.append(len(ours))
            asked[kind] += 1
            found[f"ours {kind}"] += identifier in ours
            found[f"jedi {kind}"] += identifier in theirs
            if identifier not in ours and identifier in theirs and len(misses) < 20:
                misses.append(f"{rel}:{line + 1} {kind} {identifier!r}")
    print(f"{sum(asked.values())} sites in {min(args.files, len(files))} files, identifier cut to {args.prefix} "
          "characters; found = the identifier is among the answers")
    print("             | names            | attributes")
    for tool in ("ours", "jedi"):
        print(f"{tool:<12} | " + " | ".join(
            f"{found[f'{tool} {kind}']:>4}/{asked[kind]:<4} {found[f'{tool} {kind}'] / max(asked[kind], 1):6.1%}"
            for kind in ("name", "attribute")))
    print(f"latency p50 / p95 ms: ours {percentile(ours_ms, .5):.1f} / {percentile(ours_ms, .95):.1f} "
          f"({percentile(sizes, .5):.0f} names at the median), jedi {percentile(jedi_ms, .5):.1f} / "
          f"{percentile(jedi_ms, .95):.1f}")
    for miss in misses:
        print("  only jedi: " + miss)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"asked": dict(asked), "found": dict(found), "ours_ms": ours_ms,
                                     "jedi_ms": jedi_ms, "sizes": sizes, "misses": misses}, indent=1),
                         encoding="utf-8")
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
