"""Answer decoding constrained to the search/replace grammar, for small readers.

A search/replace answer is "{path}\\n<<<<<<< SEARCH\\n{lines copied from the file}\\n=======\\n{replacement}
\\n>>>>>>> REPLACE". A small model that has to copy a line token by token often drifts by one token and the edit
no longer applies, so the copy is not generated but chosen: the path is the shown code's path, the SEARCH part is
the candidate span (1 to ``max_span`` consecutive non-blank lines of the shown code that occur once in the file)
the model gives the highest log-likelihood to, followed by the divider. The replacement is searched the same
way: a one-line bug is one small edit away from its fix, and a small model is far better at judging which of
a few edits is likely than at copying a whole line token by token. The candidates are the SEARCH span's tokens
with one token replaced by, or preceded by, one of the model's top-k tokens at that place, or dropped; the one
the model scores highest (the REPLACE marker included) is the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

from models.cgm.model import CGMForCausalLM
from models.tokenizer import Tokenizer
from models.transformer import KVCache

HEAD = "{path}\n<<<<<<< SEARCH\n"
DIVIDER = "\n=======\n"
TAIL = ">>>>>>> REPLACE"


def candidate_spans(region: Sequence[str], file_text: str, max_span: int = 3) -> list[str]:
    """Spans of 1..max_span consecutive lines of ``region`` (without line ends) that occur exactly once in the
    file and do not start or end with a blank line, shortest first."""
    out: list[str] = []
    for width in range(1, max_span + 1):
        for start in range(len(region) - width + 1):
            lines = region[start:start + width]
            span = "\n".join(lines)
            if lines[0].strip() and lines[-1].strip() and file_text.count(span) == 1 and span not in out:
                out.append(span)
    return out


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


class _Scorer:
    """Log-likelihoods of answer continuations after nodes + prompt, sharing one prefilled base in the cache."""

    def __init__(self, model: CGMForCausalLM, cache: KVCache, prefix: int, last: torch.Tensor) -> None:
        self.model, self.cache, self.prefix = model, cache, prefix
        self.base: list[int] = []
        self.base_logits = last  # [1 + len(base), V]: row i predicts token i of a continuation
        self.base_cumulative = torch.zeros(1)  # [1 + len(base)]: log-likelihood of base[:i]

    def set_base(self, ids: list[int]) -> None:
        self.cache.position = self.prefix
        self.base = ids
        self.base_logits = torch.cat([self.base_logits[:1], self.model.lm.prefill(torch.tensor([ids]), self.cache)[0]])
        token_scores = torch.log_softmax(self.base_logits[:-1], -1).gather(1, torch.tensor(ids)[:, None])[:, 0]
        self.base_cumulative = torch.cat([torch.zeros(1), token_scores.cumsum(0)])

    def logits(self, ids: list[int]) -> tuple[int, torch.Tensor]:
        """(tokens shared with the base, logits predicting each token of ids after them)."""
        shared = _common_prefix(self.base, ids)
        self.cache.position = self.prefix + shared
        rest = self.model.lm.prefill(torch.tensor([ids[shared:]]), self.cache)[0, :-1]
        return shared, torch.cat([self.base_logits[shared:shared + 1], rest])

    def score(self, ids: list[int]) -> float:
        """log p(ids | nodes, prompt): the base's share from the prefilled rows, the rest from a fresh prefill."""
        shared, logits = self.logits(ids)
        targets = torch.tensor(ids[shared:])[:, None]
        return self.base_cumulative[shared].item() + torch.log_softmax(logits, -1).gather(1, targets).sum().item()


def _best(scorer: _Scorer, tokenizer: Tokenizer, prefix_text: str, options: Sequence[str],
          cancelled: Callable[[], bool] | None) -> int | None:
    best, best_score = None, -float("inf")
    for index, option in enumerate(options):
        if cancelled is not None and cancelled():
            return None
        score = scorer.score(tokenizer.encode(prefix_text + option))
        if score > best_score:
            best, best_score = index, score
    return best


def edit_candidates(tokenizer: Tokenizer, copy: Sequence[int], logits: torch.Tensor, original: str,
                    top_k: int) -> list[str]:
    """Texts one token edit away from the copied tokens: each token replaced by, preceded by one of the model's
    top_k next tokens at that place, or dropped. Only texts that still end with the REPLACE marker and differ
    from the original count."""
    out: dict[str, None] = {}
    top = logits.topk(top_k + 1, dim=-1).indices.tolist()
    for j in range(len(copy)):
        edits = [[*copy[:j], *copy[j + 1:]]]
        for token in top[j]:
            if token != copy[j]:
                edits += [[*copy[:j], token, *copy[j + 1:]], [*copy[:j], token, *copy[j:]]]
        for ids in edits:
            text = tokenizer.decode(ids)
            if text.endswith("\n" + TAIL) and text != original:
                out[text] = None
    return list(out)


@torch.no_grad()
def search_replace_answer(model: CGMForCausalLM, tokenizer: Tokenizer, vectors: torch.Tensor, owner: Sequence[int],
                          edges: Sequence[tuple[int, int]], prompt: Sequence[int], path: str, region: Sequence[str],
                          file_text: str, top_k: int = 3,
                          cancelled: Callable[[], bool] | None = None) -> str:
    """The answer text (see the module docstring); "" when no span of the region is unique in the file."""
    spans = candidate_spans(region, file_text)
    if not spans:
        return ""
    head = HEAD.format(path=path)
    prefix = len(owner) + len(prompt)
    longest = max(len(tokenizer.encode(head + span + DIVIDER + span)) for span in spans)
    cache = model.lm.new_cache(1, capacity=prefix + 2 * longest + 16)
    ids = torch.tensor(list(prompt), dtype=torch.long)
    last = model.lm.prefill(None, cache, inputs_embeds=model.embed(vectors, ids),
                            attention_mask=model.mask(owner, edges, len(ids), 0))[0, -1:]
    scorer = _Scorer(model, cache, prefix, last)
    scorer.set_base(tokenizer.encode(head))
    chosen = _best(scorer, tokenizer, head, [span + DIVIDER for span in spans], cancelled)
    if chosen is None:
        return ""
    base = head + spans[chosen] + DIVIDER
    scorer.set_base(tokenizer.encode(base))
    unchanged = spans[chosen] + "\n" + TAIL
    copy = tokenizer.encode(base + unchanged)
    shared, logits = scorer.logits(copy)
    options = edit_candidates(tokenizer, copy[shared:], logits, unchanged, top_k)
    best = _best(scorer, tokenizer, base, options, cancelled) if options else None
    return "" if best is None else base + options[best] + "\n"
