"""analysis.search.SearchIndex: units of the graph, incremental refresh == a fresh index (property), vectors
re-embedded only for changed units, persistence, hybrid queries on the fixture project."""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import Workspace
from analysis.search import SearchIndex, VectorStore
from analysis.types import Pos, TextEdit
from tests.search.conftest import FIXTURE_PROJECT, OneTextAtATime

FILES = ("textutil/checksums.py", "storage/blobs.py", "net/retry.py")
QUERIES = ("sha256 digest of a file", "retry a call with exponential backoff", "slug for urls", "host port")

# Pieces of text an edit inserts: fragments that make, break and rename definitions, and plain words.
INSERTS = st.sampled_from([
    "", "x", "_", "\n", "\n    ", "    ", "(", ")", ":", "return ", "def helper(a):\n    return a\n",
    "class Cache:\n    pass\n", "import os\n", "# a comment\n", '"""doc"""', "checksum", "digest", "😀",
    "    def extra(self):\n        return 2\n", "TIMEOUT = 5\n",
])


def _pos(text: str, offset: int) -> Pos:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    return Pos(line, len(text[start:offset].encode("utf-8")))


def fresh_index(root: Path, texts: dict[str, str], cache: Path, embedder: OneTextAtATime) -> SearchIndex:
    workspace = Workspace(root, cache_dir=cache)
    workspace.index(use_cache=False)
    for rel, text in texts.items():
        workspace.open(str(root / rel), text)
    index = SearchIndex(root, embedder)
    index.refresh(workspace.graph)
    index.embed_pending()
    return index


def assert_same(live: SearchIndex, fresh: SearchIndex) -> None:
    assert live.state() == fresh.state()
    for query in QUERIES:
        assert live.search(query, 5) == fresh.search(query, 5)
    for unit in fresh.units():
        assert live.similar(unit.key, 3) == fresh.similar(unit.key, 3)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.tuples(st.sampled_from(FILES), st.integers(0, 10_000), st.integers(0, 30), INSERTS,
                                  st.booleans(), st.booleans()), min_size=1, max_size=6))
def test_the_index_after_edits_equals_a_fresh_index(batches, tmp_path_factory, exact_embedder) -> None:
    root = tmp_path_factory.mktemp("live") / "project"
    shutil.copytree(FIXTURE_PROJECT, root)
    workspace = Workspace(root, cache_dir=root.parent / "cache")
    workspace.index(use_cache=False)
    index = SearchIndex(root, exact_embedder)
    index.refresh(workspace.graph)
    index.embed_pending()
    texts: dict[str, str] = {}
    for rel, at, deleted, inserted, embed_now, search_now in batches:
        text = texts.get(rel)
        if text is None:
            text = texts[rel] = (root / rel).read_text(encoding="utf-8")
            workspace.open(str(root / rel), text)
        start = at % (len(text) + 1)
        end = min(start + deleted, len(text))
        workspace.change(str(root / rel), [TextEdit(_pos(text, start), _pos(text, end), inserted)])
        texts[rel] = text[:start] + inserted + text[end:]
        index.refresh(workspace.graph)
        if embed_now:  # some edits are searched before the background embedding caught up
            index.embed_pending()
        if search_now:  # the next change's view then starts from this one's (unchanged files' rows copied)
            index.search(QUERIES[0], 3)
    index.embed_pending()
    assert_same(index, fresh_index(root, texts, root.parent / "fresh-cache", exact_embedder))


def test_an_edit_re_embeds_only_the_changed_unit(project: Path, tmp_path: Path, exact_embedder) -> None:
    workspace = Workspace(project, cache_dir=tmp_path / "cache")
    workspace.index()
    index = SearchIndex(project, exact_embedder)
    index.refresh(workspace.graph)
    total = index.embed_pending()
    assert total == len({unit.digest for unit in index.units()}) > 10
    path = project / "net" / "retry.py"
    text = path.read_text(encoding="utf-8")
    workspace.open(str(path), text)
    at = text.index("return host, int(port)")
    workspace.change(str(path), [TextEdit(_pos(text, at), _pos(text, at + len("return")), "return  ")])
    assert index.refresh(workspace.graph) == 1  # one file re-read
    assert [code for _, code in index.pending()] == [u.code for u in index.units() if u.name == "parse_host_port"]
    assert index.embed_pending() == 1


def test_units_are_functions_classes_and_module_chunks(project: Path, tmp_path: Path) -> None:
    workspace = Workspace(project, cache_dir=tmp_path / "cache")
    workspace.index()
    index = SearchIndex(project)
    index.refresh(workspace.graph)
    by_key = {unit.key: unit for unit in index.units()}
    assert by_key["storage/blobs.py::BlobStore.put"].kind == "FUNCTION"
    assert by_key["storage/blobs.py::BlobStore"].kind == "CLASS"
    assert by_key["textutil/checksums.py::file_checksum"].code.startswith("def file_checksum(path):")
    chunk = by_key["net/retry.py#L25"]
    assert (chunk.kind, chunk.name, chunk.start_line, chunk.end_line) == ("FILE", "retry.py", 25, 26)
    assert "DEFAULT_TIMEOUT" in chunk.code
    assert not any(u.kind == "FILE" and u.path == "app.py" for u in index.units())  # imports only: no chunk


def test_vectors_persist_and_are_reused_after_a_restart(project: Path, tmp_path: Path, exact_embedder) -> None:
    workspace = Workspace(project, cache_dir=tmp_path / "cache")
    workspace.index()
    first = SearchIndex(project, exact_embedder)
    first.refresh(workspace.graph)
    first.embed_pending()
    first.save_vectors(tmp_path / "vectors.msgpack")
    second = SearchIndex(project, exact_embedder,
                         vectors=VectorStore.load(tmp_path / "vectors.msgpack", exact_embedder.fingerprint))
    second.refresh(workspace.graph)
    assert second.pending() == []
    assert second.state() == first.state()
    other = VectorStore.load(tmp_path / "vectors.msgpack", "another embedder")
    assert len(other) == 0


def test_without_an_embedder_search_is_bm25(project: Path, tmp_path: Path) -> None:
    workspace = Workspace(project, cache_dir=tmp_path / "cache")
    workspace.index()
    index = SearchIndex(project)
    index.refresh(workspace.graph)
    hits = index.search("retry with backoff", 3)
    assert hits[0].name == "retry_with_backoff" and hits[0].to_json() == {
        "path": "net/retry.py", "name": "retry_with_backoff", "kind": "FUNCTION", "start_line": 6,
        "end_line": 14, "score": round(hits[0].score, 6)}  # fmt: skip
    assert index.search("zzz qqq", 3) == []


NAMED = '''def write_atomically(path, data):
    return path


def write_all(paths, data):
    """Write atomically: write every file atomically, then write the index atomically."""
    for path in paths:
        write_atomically(path, data)


def save(data):
    return data


class Store:
    def save(self, data):
        return data
'''


class LikesWriteAll:
    """An embedder that puts the query next to `write_all`, as a real one may for a name it reads as words."""

    fingerprint = "likes-write-all"

    def embed(self, texts: list[str], kind: str) -> np.ndarray:
        return np.array([[1.0, 0.0] if kind == "query" or "every file" in text else [0.0, 1.0] for text in texts],
                        dtype=np.float32)


def test_a_query_that_is_a_name_lists_the_units_of_that_name_first(tmp_path: Path) -> None:
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "files.py").write_text(NAMED, encoding="utf-8")
    workspace = Workspace(tmp_path / "project", cache_dir=tmp_path / "cache")
    workspace.index()
    index = SearchIndex(tmp_path / "project", LikesWriteAll())
    index.refresh(workspace.graph)
    index.embed_pending()
    units, bm25, cosine = index.signals("write_atomically")
    assert units[index.fusion.rank(bm25, cosine, 1)[0][0]].name == "write_all"  # fused alone, the name loses
    assert [(hit.name, hit.score) for hit in index.search("write_atomically", 2)][0] == ("write_atomically", 1.0)
    assert [hit.name for hit in index.search("Store.save", 5)][:1] == ["Store.save"]
    assert {hit.name for hit in index.search("save", 5)[:2]} == {"save", "Store.save"}
    for query in ("write every file", "nothing_is_named_so"):  # not a name, or no unit of that name: fused order
        units, bm25, cosine = index.signals(query)
        fused = [units[row].key for row, _ in index.fusion.rank(bm25, cosine, 3)]
        assert [hit.key for hit in index.search(query, 3)] == fused


def test_a_crlf_copy_of_a_project_has_the_same_units_and_terms(project: Path, tmp_path: Path) -> None:
    """The embedder and the BM25 header rule read "\\n" lines: a CRLF checkout indexes as its LF original."""
    crlf = tmp_path / "crlf"
    shutil.copytree(project, crlf)
    for path in crlf.rglob("*.py"):
        path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    states = []
    for root in (project, crlf):
        workspace = Workspace(root, cache_dir=tmp_path / f"cache-{root.name}")
        workspace.index()
        index = SearchIndex(root)
        index.refresh(workspace.graph)
        states.append(index.state())
    assert b"\r\n" in (crlf / "net" / "retry.py").read_bytes()
    assert states[0] == states[1]
