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
    """Log-likelihoods of answer continuations after nodes + prompt, sharing one prefilled base.

    The base's keys and values are never overwritten: each batch of continuations runs in a batch cache that
    starts as a copy of the nodes + prompt + the base tokens all the batch's continuations share.
    """

    def __init__(self, model: CGMForCausalLM, cache: KVCache, prefix: int, last: torch.Tensor,
                 batch_tokens: int = 1024) -> None:
        self.model, self.cache, self.prefix, self.batch_tokens = model, cache, prefix, batch_tokens
        self.prompt_last = last  # [1, V]: predicts the first token of a continuation
        self.base: list[int] = []
        self.base_logits = last  # [1 + len(base), V]: row i predicts token i of a continuation
        self.base_cumulative = torch.zeros(1)  # [1 + len(base)]: log-likelihood of base[:i]

    def set_base(self, ids: list[int]) -> None:
        self.cache.position = self.prefix
        self.base = ids
        self.base_logits = torch.cat([self.prompt_last, self.model.lm.prefill(torch.tensor([ids]), self.cache)[0]])
        token_scores = torch.log_softmax(self.base_logits[:-1], -1).gather(1, torch.tensor(ids)[:, None])[:, 0]
        self.base_cumulative = torch.cat([torch.zeros(1), token_scores.cumsum(0)])

    def scores(self, candidates: Sequence[list[int]],
               cancelled: Callable[[], bool] | None = None) -> list[float] | None:
        """log p(ids | nodes, prompt) for each candidate (None when cancelled between batches): the base's share
        from the prefilled rows, the rest from batched prefills. Candidates go in order of shared length, so a
        batch re-feeds few base tokens."""
        shared = [_common_prefix(self.base, ids) for ids in candidates]
        order = sorted(range(len(candidates)), key=lambda i: (shared[i], len(candidates[i])))
        out = [0.0] * len(candidates)
        batch: list[int] = []
        longest = 0
        for index in order:
            longest = max(longest, len(candidates[index]))
            if batch and (len(batch) + 1) * (longest - shared[batch[0]]) > self.batch_tokens:
                if cancelled is not None and cancelled():
                    return None
                self._score_batch(candidates, shared, batch, out)
                batch, longest = [], len(candidates[index])
            batch.append(index)
        if cancelled is not None and cancelled():
            return None
        if batch:
            self._score_batch(candidates, shared, batch, out)
        return out

    def _score_batch(self, candidates: Sequence[list[int]], shared: list[int], batch: list[int],
                     out: list[float]) -> None:
        start = min(shared[i] for i in batch)
        rests = [candidates[i][start:] for i in batch]
        width = max(len(rest) for rest in rests)
        if width == 0:
            for i in batch:
                out[i] = self.base_cumulative[start].item()
            return
        ids = torch.zeros(len(batch), width, dtype=torch.long)  # right padding: causal rows never see it
        lengths = torch.tensor([len(rest) for rest in rests])
        for row, rest in enumerate(rests):
            ids[row, :len(rest)] = torch.tensor(rest, dtype=torch.long)
        known = self.prefix + start
        cache = self.model.lm.new_cache(len(batch), capacity=known + width)
        for mine, base in zip((*cache.keys, *cache.values), (*self.cache.keys, *self.cache.values)):
            mine[:, :known] = base[:, :known]
        cache.position = known
        hidden = self.model.lm.hidden_states(ids, cache)
        # the vocabulary projection is most of the cost: only rows that predict a token of a rest get it
        predicts = torch.arange(width)[None, :] < (lengths - 1)[:, None]  # row t predicts token t + 1
        logits = self.model.lm.lm_head(hidden[predicts]).float()
        targets = ids[:, 1:][predicts[:, :-1]]
        later = torch.zeros(len(batch)).index_put_(
            (predicts.nonzero()[:, 0],), torch.log_softmax(logits, -1).gather(1, targets[:, None])[:, 0],
            accumulate=True)
        first = torch.log_softmax(self.base_logits[start], -1)[ids[:, 0]] * (lengths > 0)
        totals = self.base_cumulative[start] + first + later
        for row, i in enumerate(batch):
            out[i] = totals[row].item()


def _best(scorer: _Scorer, tokenizer: Tokenizer, prefix_text: str, options: Sequence[str],
          cancelled: Callable[[], bool] | None) -> int | None:
    scores = scorer.scores([tokenizer.encode(prefix_text + option) for option in options], cancelled)
    return None if scores is None else max(range(len(options)), key=scores.__getitem__)


def edit_candidates(tokenizer: Tokenizer, base: str, copy: Sequence[int], logits: torch.Tensor, top_k: int,
                    start: int = 0) -> list[str]:
    """Replacements one token edit away from the copied tokens ``copy`` (the tokens of ``base`` followed by the
    unchanged span and the REPLACE marker): each token from ``start`` on replaced by, or preceded by, one of the
    model's top_k tokens at that place (``logits[j]`` predicts ``copy[j]``), or dropped.

    Each candidate is decoded as a whole and ``base`` cut off its text: the tokenizer may merge the base's last
    line end with the next line's indentation, so the edited tokens do not start where ``base`` ends. Only texts
    that still start with ``base``, end with the REPLACE marker and differ from the unchanged copy count."""
    original = tokenizer.decode(list(copy))
    out: dict[str, None] = {}
    top = logits.topk(top_k + 1, dim=-1).indices.tolist()
    for j in range(start, len(copy)):
        edits = [[*copy[:j], *copy[j + 1:]]]
        for token in top[j]:
            if token != copy[j]:
                edits += [[*copy[:j], token, *copy[j + 1:]], [*copy[:j], token, *copy[j:]]]
        for ids in edits:
            text = tokenizer.decode(ids)
            if text.startswith(base) and text.endswith("\n" + TAIL) and text != original:
                out[text[len(base):]] = None
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
    copy = tokenizer.encode(base + spans[chosen] + "\n" + TAIL)
    scorer.set_base(copy)  # the unchanged copy: a candidate re-feeds only the tokens from its edit on
    options = edit_candidates(tokenizer, base, copy, scorer.base_logits, top_k,
                              start=_common_prefix(tokenizer.encode(base), copy))
    best = _best(scorer, tokenizer, base, options, cancelled) if options else None
    return "" if best is None else base + options[best] + "\n"
