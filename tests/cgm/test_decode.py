"""Decoding by ranking repair candidates: the batched continuation scores equal a full forward's
log-likelihoods (and carry the same gradients), candidates are answers that apply, and a reader trained on a fix
with the ranking loss picks it."""
from __future__ import annotations

import random

import torch

from analysis.patch.apply import build_patch
from analysis.patch.edits import parse_edits
from analysis.readers.base import GraphContext, SourceFile
from models.cgm.decode import repair_candidates, search_replace_answer
from models.cgm.fix_rate import apply_edits
from models.cgm.items import ItemBuilder, Rivals
from models.cgm.reader_data import ReaderSample
from models.cgm.train import optimizer_for, train_step
from models.tokenizer import Tokenizer
from tests.cgm.conftest import tiny_reader

OWNER, EDGES = [0, 1], [(0, 1)]
TRAIN_STEPS = 60


def full_forward_logprob(model, vectors: torch.Tensor, prompt: list[int], answer: list[int]) -> torch.Tensor:
    full = torch.tensor(prompt + answer)
    logits = model.lm(inputs_embeds=model.embed(vectors, full),
                      attention_mask=model.mask(OWNER, EDGES, len(prompt), len(answer)))[0]
    rows = logits[len(OWNER) + len(prompt) - 1:-1]
    return torch.log_softmax(rows, -1).gather(1, torch.tensor(answer)[:, None]).sum()


def test_continuation_logprobs_equal_full_forward(tokenizer: Tokenizer) -> None:
    model = tiny_reader(tokenizer.vocab_size)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.mul_(30)  # sharp weights: a key read from the wrong place would move the score visibly
    vectors = torch.randn(2, 16, generator=torch.Generator().manual_seed(0))
    prompt = tokenizer.encode("<issue>\nf is wrong\n</issue>\n")
    texts = ("a.py\n<<<<<<< SEARCH\n    return x\n", "a.py\n", "b.py\n<<<<<<< SEARCH\nif y:\n=======\n")
    answers = [tokenizer.encode(text) for text in texts]
    with torch.no_grad():
        scores = model.continuation_logprobs(model.prefix(vectors, OWNER, EDGES, prompt), answers)
        for answer, got in zip(answers, scores):
            expected = full_forward_logprob(model, vectors, prompt, answer)
            assert abs(got - expected) < 1e-5 * abs(expected) + 1e-3


def test_continuation_logprobs_carry_the_full_forward_gradient(tokenizer: Tokenizer) -> None:
    model = tiny_reader(tokenizer.vocab_size)
    vectors = torch.randn(2, 16, generator=torch.Generator().manual_seed(1))
    prompt, answer = tokenizer.encode("<issue>\nbug\n</issue>\n"), tokenizer.encode("a.py\nx = 1\n")
    model.continuation_logprobs(model.prefix(vectors, OWNER, EDGES, prompt), [answer, answer[:2]])[0].backward()
    cached = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()
    full_forward_logprob(model, vectors, prompt, answer).backward()
    for name, p in model.named_parameters():
        if p.grad is not None:
            assert torch.allclose(cached[name], p.grad, atol=1e-5), name


BUGGY = "class Stock:\n    def reserve(self, quantity, available):\n        if quantity >= available:\n" \
        "            return False\n        return True\n"
FIX = ("shop/stock.py\n<<<<<<< SEARCH\n        if quantity >= available:\n=======\n"
       "        if quantity > available:\n>>>>>>> REPLACE\n")


def test_repair_candidates_are_answers_that_apply() -> None:
    region = BUGGY.split("\n")[1:5]
    candidates = repair_candidates("shop/stock.py", BUGGY, 2, region)
    assert FIX in [c.answer for c in candidates]
    assert {c.line for c in candidates} == {3, 4, 5}  # the def line has no template edit
    for candidate in candidates:
        edited = apply_edits({"shop/stock.py": BUGGY}, parse_edits(candidate.answer).edits)
        assert edited is not None and edited["shop/stock.py"] != BUGGY


def test_a_crlf_file_gets_the_same_candidates_and_keeps_its_line_ends(tmp_path) -> None:
    crlf = BUGGY.replace("\n", "\r\n")
    region = [line.rstrip("\r\n") for line in crlf.splitlines()[1:5]]  # as models/cgm/items.py cuts regions
    candidates = repair_candidates("shop/stock.py", crlf, 2, region)
    assert [c.answer for c in candidates] == [c.answer for c in repair_candidates("shop/stock.py", BUGGY, 2, region)]
    fix = next(c for c in candidates if c.answer == FIX)
    patch = build_patch(tmp_path, parse_edits(fix.answer).edits, read=lambda path: crlf)
    assert patch.changes[0].new == crlf.replace(">= available", "> available")


def test_a_reader_trained_with_the_ranking_loss_picks_the_fix(tokenizer: Tokenizer) -> None:
    model = tiny_reader(tokenizer.vocab_size, seed=0, max_answer_tokens=128).train()
    builder = ItemBuilder(model.config, tokenizer, None)
    sample = ReaderSample("reserve refuses the last unit", (SourceFile("shop/stock.py", BUGGY),),
                          ("shop/stock.py", 2, 5), GraphContext((), ()), FIX, "off_by_one")
    item = builder.fix(sample, Rivals(), random.Random(0))
    assert item.line_rivals and item.other_rivals and item.rival_heads
    optimizer = optimizer_for(model, lr=3e-3, weight_decay=0.0)
    for _ in range(TRAIN_STEPS):
        train_step(model, optimizer, [item], clip=1.0, rank_weight=1.0)
    got = search_replace_answer(model.eval(), tokenizer, builder.eos, item.vectors, item.owner, item.edges,
                                item.prompt, "shop/stock.py", BUGGY, 2, BUGGY.split("\n")[1:5])
    assert got == FIX
