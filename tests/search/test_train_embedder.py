"""models/train_embedder.py: pair mining (docstring summary or comment -> code without the docstring), sampling
by package, the content-keyed state cache, and a few InfoNCE steps on cached states that bring queries to their
code."""
from __future__ import annotations

import json
import textwrap

import torch

from models.embedder import CodeEmbedder, Companion, CompanionView, EmbedderConfig, SearchHead
from models.train_embedder import (
    Data,
    Pair,
    cached_states,
    companion_from,
    fit,
    hard_negatives,
    info_nce,
    mine_pairs,
    mrr_at_10,
    sample_pairs,
    split_pairs,
)

SOURCE = textwrap.dedent('''
    class Store:
        """A store of blobs keyed by their digest.

        More words that are not the summary.
        """

        @staticmethod
        def put(blob):
            """Write a blob and return its key."""
            return hash(blob)

    # Split a host:port address into its parts.
    def split_address(address):
        return address.split(":")

    def short(x):
        """Too short."""
        return x

    def one_liner(): "Docstring on the def line is skipped entirely."
''')


def test_pairs_are_docstring_summaries_or_comments_and_code_without_the_docstring() -> None:
    pairs = {pair.name: pair for pair in mine_pairs(SOURCE, "pkg/store.py", "pkg")}
    assert set(pairs) == {"Store", "Store.put", "split_address"}
    assert pairs["Store"].query == "A store of blobs keyed by their digest."
    assert "A store of blobs" not in pairs["Store"].code and pairs["Store"].code.startswith("class Store:")
    assert "Write a blob" not in pairs["Store"].code  # nested docstrings go too, as in the benchmark's index
    assert "def put(blob):\n        return hash(blob)" in pairs["Store"].code
    put = pairs["Store.put"]
    assert put.query == "Write a blob and return its key."
    assert put.code == "@staticmethod\ndef put(blob):\n    return hash(blob)"
    assert pairs["split_address"].query == "Split a host:port address into its parts."
    assert mine_pairs("def broken(:\n", "x.py", "x") == []


def test_a_body_left_empty_by_a_nested_docstring_gets_an_ellipsis() -> None:
    source = 'class Base:\n    """The base of every plugin here."""\n\n    def hook(self):\n        """Called once."""\n'
    (pair,) = mine_pairs(source, "p.py", "p")
    assert pair.code == "class Base:\n\n    def hook(self):\n        ..."


def test_sampling_caps_each_package_and_drops_duplicates() -> None:
    pairs = [Pair(f"query {i % 7}", f"code {i}", "big", "p.py", f"f{i}") for i in range(50)]
    pairs += [Pair(f"other query {i}", f"other code {i}", "small", "q.py", f"g{i}") for i in range(3)]
    chosen = sample_pairs(pairs, max_pairs=100, per_package=5, seed=0)
    assert sum(p.package == "big" for p in chosen) == 5 and sum(p.package == "small" for p in chosen) == 3
    assert len({p.query for p in chosen if p.package == "big"}) == 5


def test_pairs_split_by_package_and_a_refit_trains_on_the_dev_packages_too() -> None:
    pairs = [Pair(f"query {package} {i}", f"code {package} {i}", package, "p.py", f"f{i}")
             for package in ("app", "lib", "devpkg") for i in range(4)]
    train, dev = split_pairs(pairs, {"devpkg"}, max_pairs=100, per_package=10, seed=0)
    assert {p.package for p in train} == {"app", "lib"} and {p.package for p in dev} == {"devpkg"}
    refit, same_dev = split_pairs(pairs, {"devpkg"}, max_pairs=100, per_package=10, seed=0, train_on_dev=True)
    assert sorted(p.code for p in refit) == sorted(p.code for p in pairs)
    assert same_dev == dev


def test_info_nce_is_low_when_each_query_matches_its_own_code() -> None:
    eye = torch.eye(4)
    assert info_nce(eye, eye, torch.tensor(20.0)) < 0.01 < info_nce(eye, eye.roll(1, 0), torch.tensor(20.0))
    assert mrr_at_10(eye, eye) == 1.0


def test_a_few_epochs_on_cached_states_raise_the_training_mrr(tiny_embedder: CodeEmbedder, tmp_path) -> None:
    texts_q = ["split an address into host and port", "store a blob under its digest", "slugify a title",
               "retry with backoff", "checksum of a file", "parse a config file"]
    texts_c = ["def split(address): return address.split(':')", "def put(blob): return digest(blob)",
               "def slugify(title): return title.lower()", "def retry(call): sleep(2 ** attempt)",
               "def checksum(path): return sha256(open(path).read())", "def parse(path): return toml.load(path)"]
    config = EmbedderConfig(hidden_size=32, vocab_size=tiny_embedder.config.vocab_size, token_dim=8,
                            embedding_dim=16, num_heads=4)  # fmt: skip
    torch.manual_seed(0)
    head = SearchHead(config)
    embedder = CodeEmbedder(tiny_embedder.backbone, tiny_embedder.tokenizer, head, tiny_embedder.config)
    queries = cached_states(embedder, texts_q, "query", tmp_path, None)
    codes = cached_states(embedder, texts_c, "code", tmp_path, None)
    _, best = fit(head, Data(queries, codes, queries, codes), epochs=30, batch_size=6, lr=1e-2, seed=0,
                  metrics=tmp_path / "metrics.jsonl", deadline=None)  # fmt: skip
    assert best > 0.6 and (tmp_path / "metrics.jsonl").read_text().count("\n") >= 2


def test_keep_last_returns_the_last_epochs_head_whatever_its_dev_mrr(tiny_embedder: CodeEmbedder, tmp_path) -> None:
    config = EmbedderConfig(hidden_size=32, vocab_size=tiny_embedder.config.vocab_size, token_dim=8,
                            embedding_dim=16, num_heads=4)  # fmt: skip
    torch.manual_seed(0)
    head = SearchHead(config)
    embedder = CodeEmbedder(tiny_embedder.backbone, tiny_embedder.tokenizer, head, tiny_embedder.config)
    texts = cached_states(embedder, ["alpha beta", "gamma delta", "epsilon zeta"], "code", tmp_path, None)
    state, mrr = fit(head, Data(texts, texts, texts, texts), epochs=2, batch_size=3, lr=1e-2, seed=0,
                     metrics=tmp_path / "metrics.jsonl", deadline=None, keep_last=True)  # fmt: skip
    last = json.loads((tmp_path / "metrics.jsonl").read_text().splitlines()[-1])
    assert last["epoch"] == 2 and mrr == last["dev_mrr10"]
    assert all(torch.equal(state[name], value) for name, value in head.state_dict().items())


def test_the_state_cache_encodes_only_texts_it_does_not_hold(tiny_embedder: CodeEmbedder, tmp_path, monkeypatch) -> None:
    import models.train_embedder as train_embedder

    first = cached_states(tiny_embedder, ["def a(): pass", "def b(): pass"], "code", tmp_path, None)
    encoded: list[int] = []
    encode = train_embedder.encode_states
    monkeypatch.setattr(train_embedder, "encode_states",
                        lambda embedder, ids, **kw: encoded.append(len(ids)) or encode(embedder, ids, **kw))
    texts = ["def c(): pass", "def b(): pass", "def a(): pass", "def c(): pass"]
    later = cached_states(tiny_embedder, texts, "code", tmp_path, None)
    assert encoded == [1] and len(list(tmp_path.glob("code-*.safetensors"))) == 2
    fresh = train_embedder.encode_states(tiny_embedder, [tiny_embedder.input_ids(t, "code") for t in texts])
    for row in range(len(texts)):
        for got, want in zip(later.packed([row]), fresh.packed([row])):
            torch.testing.assert_close(got, want)
    torch.testing.assert_close(later.packed([2])[0], first.packed([0])[0])


def test_hard_negatives_are_the_bm25_look_alikes_of_the_same_package() -> None:
    pairs = [Pair("parse the config file", "def parse_config(path): return toml.load(path)", "a", "x.py", "f"),
             Pair("write the config file", "def write_config(path, data): toml.dump(data, path)", "a", "x.py", "g"),
             Pair("add two numbers", "def add(x, y): return x + y", "a", "x.py", "h"),
             Pair("read the config file", "def read_config(path): return toml.load(path)", "b", "y.py", "k"),
             Pair("nothing in common", "def zzz(): pass", "c", "z.py", "m")]
    assert hard_negatives(pairs) == [1, 0, 2, 3, 4]  # own row when nothing else of the package shares a term


def test_hybrid_hard_negatives_follow_the_heads_hybrid_ranking() -> None:
    pairs = [Pair("parse the config file", "def parse_config(path): return toml.load(path)", "a", "x.py", "f"),
             Pair("write the config file", "def write_config(path, data): toml.dump(data, path)", "a", "x.py", "g"),
             Pair("add two numbers", "def add(x, y): return x + y", "a", "x.py", "h"),
             Pair("nothing in common", "def zzz(): pass", "c", "z.py", "m")]
    queries = torch.eye(4)
    codes = torch.eye(4)[[0, 1, 0, 3]]  # the head embeds `add` exactly like the first query
    negatives = hard_negatives(pairs, (queries, codes))
    assert negatives[0] == 2  # BM25 alone would pick row 1 (it shares "config" and "file")
    assert negatives[3] == 3  # alone in its package: its own row


def test_a_hard_negative_raises_the_loss_unless_it_is_the_querys_own_code() -> None:
    eye, scale = torch.eye(4)[:3], torch.tensor(2.0)
    unlike = torch.eye(4)[3:].expand(3, 4)  # orthogonal to every query
    assert info_nce(eye, eye, scale, hard=eye, hard_is_own=torch.tensor([True] * 3)) == info_nce(eye, eye, scale)
    assert info_nce(eye, eye, scale, hard=eye) > info_nce(eye, eye, scale, hard=unlike) > info_nce(eye, eye, scale)


def test_a_companion_started_from_a_whole_head_embeds_as_that_head() -> None:
    config = EmbedderConfig(hidden_size=12, vocab_size=50, token_dim=6, embedding_dim=16, num_heads=4)
    torch.manual_seed(0)
    head, other = SearchHead(config), SearchHead(config)
    companion = Companion(head, rank=6)  # the table's width: the delta is exact
    companion_from(companion, head, other)
    states, ids, lengths = torch.randn(9, 12), torch.randint(0, 50, (9,)), torch.tensor([4, 5])
    with torch.no_grad():
        torch.testing.assert_close(CompanionView(head, companion).forward_packed(states, ids, lengths),
                                   other.forward_packed(states, ids, lengths), atol=1e-5, rtol=1e-5)


def test_training_a_companion_leaves_its_head_as_it_was(tiny_embedder: CodeEmbedder, tmp_path) -> None:
    head = SearchHead(tiny_embedder.config)
    head.load_state_dict(tiny_embedder.head.state_dict())
    before = {name: value.clone() for name, value in head.state_dict().items()}
    torch.manual_seed(0)
    companion = Companion(head, rank=4)
    torch.nn.init.normal_(companion.delta_u, std=0.02)
    view = CompanionView(head, companion)
    texts = cached_states(tiny_embedder, ["alpha beta", "gamma delta", "epsilon zeta"], "code", tmp_path, None)
    state, _ = fit(view, Data(texts, texts, texts, texts), epochs=2, batch_size=3, lr=1e-2, seed=0,
                   metrics=tmp_path / "metrics.jsonl", deadline=None, keep_last=True)  # fmt: skip
    view.load_state_dict(state)
    assert all(torch.equal(value, before[name]) for name, value in head.state_dict().items())
    assert companion.delta_v.abs().sum() > 0  # the delta left zero and learned
