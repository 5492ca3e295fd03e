"""Reader samples: answers round-trip through the reply parser to the exact fix, graphs come from the real
analysis code, noise follows CGM's rates, and splits never share a file."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from analysis.patch.apply import build_patch
from analysis.patch.edits import parse_edits
from models.cgm.bugs import find_bugs
from models.cgm.reader_data import (
    GraphCache,
    build_fix_samples,
    build_reconstruction_samples,
    fix_answer,
    load_split,
)

REPEATED = '''def first(a, b):
    x = a + 1
    return x > b


def second(a, b):
    x = a + 1
    return x < b
'''


@pytest.fixture(scope="module")
def cache() -> GraphCache:
    return GraphCache()


@pytest.fixture(scope="module")
def samples(corpus: Path, cache: GraphCache) -> list:
    return build_fix_samples(corpus, "heldout", 40, seed=1, noise=True, cache=cache)


def _originals(corpus: Path, split: str) -> dict[str, str]:
    return {f.path: f.text for f in load_split(corpus, split)}


def test_answers_round_trip_to_the_exact_original(corpus: Path, samples: list) -> None:
    originals = _originals(corpus, "heldout")
    assert len(samples) == 40
    for sample in samples:
        parsed = parse_edits(sample.answer)
        assert parsed.dropped == 0 and len(parsed.edits) == 1
        edit = parsed.edits[0]
        buggy = {s.path: s.text for s in sample.files}.get(edit.path)
        if buggy is None:  # the oracle file was dropped from the file set: rebuild its buggy text
            continue
        patch = build_patch(Path("/nonexistent-root"), parsed.edits, lambda path: buggy if path == edit.path else None)
        assert patch.changes[0].new == originals[edit.path]


def test_samples_carry_the_focus_and_the_files_graph(samples: list) -> None:
    for sample in samples:
        types = [node.type for node in sample.graph.nodes]
        assert types[0] == "FUNCTION" and types[1] == "REPO" and "FILE" in types and len(types) <= 64
        assert parse_edits(sample.answer).edits[0].search.strip() in sample.graph.nodes[0].text  # the buggy function
        assert all(0 <= s < len(types) and 0 <= t < len(types) for s, t, _ in sample.graph.edges)
        if sample.focus is not None:
            path, start, end = sample.focus
            assert path in {s.path for s in sample.files} and start < end
            text = {s.path: s.text for s in sample.files}[path]
            search = parse_edits(sample.answer).edits[0].search
            assert search in "".join(line + "\n" for line in text.split("\n")[start - 1 : end])
        assert sample.graph.nodes[1].text == "workspace"
        assert any(node.text.startswith(sample.answer.split("\n", 1)[0] + "\n") for node in sample.graph.nodes)


def test_noise_adds_an_irrelevant_file_or_drops_the_oracle(corpus: Path, samples: list, cache: GraphCache) -> None:
    sizes = [len(s.files) for s in samples]
    dropped = [s for s in samples if s.focus is None]
    assert 1 in sizes and (2 in sizes or dropped)
    for sample in dropped:
        path = parse_edits(sample.answer).edits[0].path
        assert path not in {s.path for s in sample.files}
        assert any(node.id == path for node in sample.graph.nodes)  # the graph still holds it
    clean = build_fix_samples(corpus, "heldout", 10, seed=1, noise=False, cache=cache)
    assert all(len(s.files) == 1 and s.focus is not None for s in clean)


def test_deterministic_for_a_seed(corpus: Path, samples: list, cache: GraphCache) -> None:
    again = build_fix_samples(corpus, "heldout", 40, seed=1, noise=True, cache=cache)
    assert again == samples
    assert build_fix_samples(corpus, "heldout", 40, seed=2, noise=True, cache=cache) != samples


def test_splits_are_by_whole_file(corpus: Path, samples: list) -> None:
    heldout, train = _originals(corpus, "heldout"), _originals(corpus, "train")
    assert not set(heldout) & set(train)
    for sample in samples:
        assert all(s.path in heldout for s in sample.files)


def test_search_grows_until_unique() -> None:
    bug = next(b for b in find_bugs(REPEATED) if b.function == "second" and b.line == 8)
    buggy = bug.inject(REPEATED)
    answer = fix_answer("m.py", buggy, bug)
    edit = parse_edits(answer).edits[0]
    assert buggy.count(edit.search) == 1 and edit.search.count("\n") >= 2
    assert buggy.replace(edit.search, edit.replace) == REPEATED


def test_reconstruction_targets_are_nodes_of_their_graph(corpus: Path, cache: GraphCache) -> None:
    samples = build_reconstruction_samples(corpus, "heldout", 12, seed=0, cache=cache)
    assert len(samples) == 12
    for sample in samples:
        assert len(sample.graph.nodes) <= 16
        body = sample.target.lstrip()
        assert any(body.split("\n", 1)[0] in node.text for node in sample.graph.nodes if node.type == "FUNCTION")


def test_an_unknown_split_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "train.jsonl").write_text(json.dumps({"path": "a.py", "package": "a", "text": "x = 1\n"}) + "\n")
    assert load_split(tmp_path, "train")[0].path == "a.py"
    with pytest.raises(FileNotFoundError):
        load_split(tmp_path, "nope")


@pytest.mark.parametrize("per_file", [1, 4])
def test_bugs_per_file_caps_each_files_bugs(corpus: Path, cache: GraphCache, per_file: int) -> None:
    drawn = build_fix_samples(corpus, "heldout", 40, seed=1, noise=False, cache=cache, bugs_per_file=per_file)
    most = max(Counter(parse_edits(sample.answer).edits[0].path for sample in drawn).values())
    assert most <= per_file
    if per_file > 2:
        assert most > 2  # more than the default draws from some file
