"""models/train_embedder.py: pair mining (docstring summary or comment -> code without the docstring), sampling
by package, and a few InfoNCE steps on cached states that bring queries to their code."""
from __future__ import annotations

import textwrap

import torch

from models.embedder import CodeEmbedder, EmbedderConfig, SearchHead
from models.train_embedder import Data, Pair, cached_states, fit, info_nce, mine_pairs, mrr_at_10, sample_pairs

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
    assert "Write a blob" in pairs["Store"].code  # only the definition's own docstring is removed
    put = pairs["Store.put"]
    assert put.query == "Write a blob and return its key."
    assert put.code == "@staticmethod\ndef put(blob):\n    return hash(blob)"
    assert pairs["split_address"].query == "Split a host:port address into its parts."
    assert mine_pairs("def broken(:\n", "x.py", "x") == []


def test_sampling_caps_each_package_and_drops_duplicates() -> None:
    pairs = [Pair(f"query {i % 7}", f"code {i}", "big", "p.py", f"f{i}") for i in range(50)]
    pairs += [Pair(f"other query {i}", f"other code {i}", "small", "q.py", f"g{i}") for i in range(3)]
    chosen = sample_pairs(pairs, max_pairs=100, per_package=5, seed=0)
    assert sum(p.package == "big" for p in chosen) == 5 and sum(p.package == "small" for p in chosen) == 3
    assert len({p.query for p in chosen if p.package == "big"}) == 5


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
    queries = cached_states(embedder, texts_q, "query", tmp_path, "t", None)
    codes = cached_states(embedder, texts_c, "code", tmp_path, "t", None)
    assert cached_states(embedder, texts_q, "query", tmp_path, "t", None).ids.tolist() == queries.ids.tolist()
    _, best = fit(head, Data(queries, codes, queries, codes), epochs=30, batch_size=6, lr=1e-2, seed=0,
                  metrics=tmp_path / "metrics.jsonl", deadline=None)  # fmt: skip
    assert best > 0.6 and (tmp_path / "metrics.jsonl").read_text().count("\n") >= 2
