"""Constrained decoding: the cached scorer gives a full forward's log-likelihoods, and the edit candidates are
one token away from the copied line."""
from __future__ import annotations

import torch

from models.cgm.decode import TAIL, _Scorer, edit_candidates
from models.tokenizer import Tokenizer
from tests.cgm.conftest import tiny_reader

OWNER, EDGES = [0, 1], [(0, 1)]


@torch.no_grad()
def test_scorer_equals_full_forward_log_likelihood(tokenizer: Tokenizer) -> None:
    model = tiny_reader(tokenizer.vocab_size)
    vectors = torch.randn(2, 16, generator=torch.Generator().manual_seed(0))
    prompt = tokenizer.encode("<issue>\nf is wrong\n</issue>\n")
    cache = model.lm.new_cache(1, capacity=len(prompt) + 64)
    ids = torch.tensor(prompt)
    last = model.lm.prefill(None, cache, inputs_embeds=model.embed(vectors, ids),
                            attention_mask=model.mask(OWNER, EDGES, len(ids), 0))[0, -1:]
    scorer = _Scorer(model, cache, len(OWNER) + len(prompt), last)
    scorer.set_base(tokenizer.encode("a.py\n<<<<<<< SEARCH\n"))
    for text in ("a.py\n<<<<<<< SEARCH\n    return x\n", "a.py\n<<<<<<< SEARCH\nif y:\n", "b.py\n"):
        answer = tokenizer.encode(text)
        full = torch.tensor(prompt + answer)
        logits = model.lm(inputs_embeds=model.embed(vectors, full),
                          attention_mask=model.mask(OWNER, EDGES, len(prompt), len(answer)))[0]
        rows = logits[len(OWNER) + len(prompt) - 1:-1]
        expected = torch.log_softmax(rows, -1).gather(1, torch.tensor(answer)[:, None]).sum().item()
        assert abs(scorer.score(answer) - expected) < 1e-4 * abs(expected) + 1e-3


def test_edit_candidates_are_one_token_edits(tokenizer: Tokenizer) -> None:
    original = "    if x < n:\n" + TAIL
    copy = tokenizer.encode(original)
    logits = torch.zeros(len(copy), tokenizer.vocab_size)
    lte = tokenizer.encode(" <=")[0]
    logits[:, lte] = 5.0  # the "model" likes " <=" everywhere
    options = edit_candidates(tokenizer, copy, logits, original, top_k=1)
    assert "    if x <= n:\n" + TAIL in options  # substitution
    assert "    if x n:\n" + TAIL in options  # deletion
    assert original not in options and all(o.endswith("\n" + TAIL) for o in options)
