"""Constrained decoding: the cached scorer gives a full forward's log-likelihoods, and the edit candidates are
one token away from the copied line."""
from __future__ import annotations

import pytest
import torch

from analysis.readers.base import SourceFile
from models.cgm.decode import TAIL, _Scorer, edit_candidates, search_replace_answer
from models.cgm.items import Item, ItemBuilder
from models.cgm.prompt import answer_ids
from models.cgm.train import optimizer_for, train_step
from models.tokenizer import Tokenizer
from tests.cgm.conftest import tiny_reader

OWNER, EDGES = [0, 1], [(0, 1)]
TRAIN_STEPS = 200


@pytest.mark.parametrize("batch_tokens", [8, 1024])
@torch.no_grad()
def test_scorer_equals_full_forward_log_likelihood(tokenizer: Tokenizer, batch_tokens: int) -> None:
    """The first text shares one token less with the base than the second (the line end merges with the
    indentation); scoring it must not leave its keys where the second one reads the base's. The weights are
    sharpened so that a stale key would move the score well past the tolerance."""
    model = tiny_reader(tokenizer.vocab_size)
    for parameter in model.parameters():
        parameter.mul_(30)
    vectors = torch.randn(2, 16, generator=torch.Generator().manual_seed(0))
    prompt = tokenizer.encode("<issue>\nf is wrong\n</issue>\n")
    cache = model.lm.new_cache(1, capacity=len(prompt) + 64)
    ids = torch.tensor(prompt)
    last = model.lm.prefill(None, cache, inputs_embeds=model.embed(vectors, ids),
                            attention_mask=model.mask(OWNER, EDGES, len(ids), 0))[0, -1:]
    scorer = _Scorer(model, cache, len(OWNER) + len(prompt), last, batch_tokens=batch_tokens)
    scorer.set_base(tokenizer.encode("a.py\n<<<<<<< SEARCH\n"))
    texts = ("a.py\n<<<<<<< SEARCH\n    return x\n", "a.py\n<<<<<<< SEARCH\nif y:\n", "b.py\n",
             "a.py\n<<<<<<< SEARCH\n", "a.py\n")
    answers = [tokenizer.encode(text) for text in texts]
    for answer, score in zip(answers, scorer.scores(answers)):
        full = torch.tensor(prompt + answer)
        logits = model.lm(inputs_embeds=model.embed(vectors, full),
                          attention_mask=model.mask(OWNER, EDGES, len(prompt), len(answer)))[0]
        rows = logits[len(OWNER) + len(prompt) - 1:-1]
        expected = torch.log_softmax(rows, -1).gather(1, torch.tensor(answer)[:, None]).sum().item()
        assert abs(score - expected) < 1e-5 * abs(expected) + 1e-3


def test_edit_candidates_are_one_token_edits(tokenizer: Tokenizer) -> None:
    base = "a.py\n<<<<<<< SEARCH\n    if x < n:\n=======\n"
    unchanged = "    if x < n:\n" + TAIL
    copy = tokenizer.encode(base + unchanged)
    start = len(tokenizer.encode(base)) - 1  # "\n   " is one token: the copy starts inside base's last token
    logits = torch.zeros(len(copy), tokenizer.vocab_size)
    lte = tokenizer.encode(" <=")[0]
    logits[:, lte] = 5.0  # the "model" likes " <=" everywhere
    options = edit_candidates(tokenizer, base, copy, logits, top_k=1, start=start)
    assert "    if x <= n:\n" + TAIL in options  # substitution
    assert "    if x n:\n" + TAIL in options  # deletion
    assert unchanged not in options and all(o.endswith("\n" + TAIL) for o in options)
    assert all(not o.startswith("\n") for o in options)  # nothing that would double the divider's line end

BUGGY = "class Stock:\n    def reserve(self, quantity, available):\n        if quantity >= available:\n" \
        "            return False\n        return True\n"
FIX = ("shop/stock.py\n<<<<<<< SEARCH\n        if quantity >= available:\n=======\n"
       "        if quantity > available:\n>>>>>>> REPLACE\n")


def test_an_indented_line_is_fixed_by_a_reader_that_learned_the_fix(tokenizer: Tokenizer) -> None:
    """The starter tokenizer merges a line end with the next line's indentation, so the replacement's first token
    overlaps the divider's last one; the answer must still be the divider followed by the indented fixed line."""
    model = tiny_reader(tokenizer.vocab_size, seed=0, max_answer_tokens=128).train()
    builder = ItemBuilder(model.config, tokenizer, None)
    files = (SourceFile("shop/stock.py", BUGGY),)
    prompt = builder.fix_prompt("reserve refuses the last unit", files, ("shop/stock.py", 2, 5))
    answer = answer_ids(tokenizer, FIX, model.config.max_answer_tokens, builder.eos)
    vectors, owner, edges = builder.nodes(None)
    optimizer = optimizer_for(model, lr=3e-3, weight_decay=0.0)
    for _ in range(TRAIN_STEPS):
        loss = train_step(model, optimizer, [Item(vectors, owner, edges, prompt, answer)], clip=1.0)
    assert loss < 0.1
    region = BUGGY.splitlines()[1:]
    got = search_replace_answer(model.eval(), tokenizer, vectors, owner, edges, prompt, "shop/stock.py", region,
                                BUGGY)
    assert got == FIX
