"""Answer decoding constrained to one-line repairs, for small readers.

A small model that writes a search/replace block token by token drifts: one token off and the SEARCH part no
longer matches, or the replacement changes the wrong thing. So the starter reader's answer is not written but
chosen. Every line of the shown code that a repair template applies to (models.cgm.repairs) gives candidate
answers: its unique SEARCH span (models.cgm.edit_text) and each template edit of the line. The reader scores
them after nodes + prompt in two steps, the two decisions a fix is made of:

1. the line: each line's answer head (path, SEARCH span, divider) by its mean log-likelihood per token (a total
   would favour short lines); the best line is kept;
2. the edit: each whole answer (the eos included) on that line by its total log-likelihood (they share the head
   and differ in a token or two; a mean would dilute that difference by the answer's length).

Training (models.cgm.train) ranks the right head and the right edit against rivals with the same scores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from models.cgm.edit_text import one_line_answer, search_part, unique_span
from models.cgm.model import CGMForCausalLM, Prefix
from models.cgm.repairs import line_repairs, scope_names
from models.tokenizer import Tokenizer

BATCH_CANDIDATES = 64


@dataclass(frozen=True)
class Candidate:
    line: int  # 1-based line of the file the answer edits
    head: str  # the answer up to its divider (shared by every edit of that line)
    answer: str


def repair_candidates(path: str, file_text: str, first_line: int, region: Sequence[str]) -> list[Candidate]:
    """Every template repair of the region's lines (``region`` = the file's lines from ``first_line`` on, without
    line ends), as answers whose SEARCH span is unique in the file and stays within the region. A CRLF file's lines
    are compared without their "\r"; answers use "\n", which the patch applier turns back into the file's line end."""
    lines = [line.removesuffix("\r") for line in file_text.split("\n")]
    names = scope_names(region)
    last_line = first_line + len(region) - 1
    out: list[Candidate] = []
    for offset, text in enumerate(region):
        line = first_line + offset
        if line > len(lines) or lines[line - 1] != text:
            continue
        repairs = line_repairs(text, names)
        if not repairs:
            continue
        span = unique_span(lines, line, first_line, last_line)
        head = search_part(path, lines, span)
        out.extend(Candidate(line, head, one_line_answer(path, lines, span, line, new)) for new in repairs)
    return out


def candidate_ids(tokenizer: Tokenizer, text: str, eos: int | None) -> list[int]:
    return tokenizer.encode(text) + ([] if eos is None else [eos])


def per_token(totals: torch.Tensor, sequences: Sequence[Sequence[int]]) -> torch.Tensor:
    """Total log-likelihoods of ``sequences`` -> their means per token."""
    return totals / torch.tensor([len(ids) for ids in sequences], dtype=torch.float32, device=totals.device)


def mean_logprobs(model: CGMForCausalLM, prefix: Prefix, sequences: Sequence[Sequence[int]]) -> torch.Tensor:
    """The ranking score of each token sequence after the prefix: its mean log-likelihood per token, [K]."""
    return per_token(model.continuation_logprobs(prefix, sequences), sequences)


def score(model: CGMForCausalLM, prefix: Prefix, sequences: Sequence[list[int]], mean: bool,
          cancelled: Callable[[], bool] | None = None) -> list[float] | None:
    """Mean (`mean_logprobs`) or total log-likelihoods, in batches (None when cancelled between batches)."""
    out: list[float] = []
    for start in range(0, len(sequences), BATCH_CANDIDATES):
        if cancelled is not None and cancelled():
            return None
        batch = sequences[start:start + BATCH_CANDIDATES]
        scores = mean_logprobs(model, prefix, batch) if mean else model.continuation_logprobs(prefix, batch)
        out += scores.tolist()
    return out


@torch.no_grad()
def search_replace_answer(model: CGMForCausalLM, tokenizer: Tokenizer, eos: int | None, vectors: torch.Tensor,
                          owner: Sequence[int], edges: Sequence[tuple[int, int]], prompt: Sequence[int], path: str,
                          file_text: str, first_line: int, region: Sequence[str],
                          cancelled: Callable[[], bool] | None = None) -> str:
    """The best-scoring repair answer (see the module docstring); "" when no template applies to the region or
    the request is cancelled."""
    candidates = repair_candidates(path, file_text, first_line, region)
    if not candidates:
        return ""
    prefix = model.prefix(vectors, owner, edges, prompt)
    heads = list(dict.fromkeys(c.head for c in candidates))
    head_scores = score(model, prefix, [tokenizer.encode(head) for head in heads], True, cancelled)
    if head_scores is None:
        return ""
    line = heads[max(range(len(heads)), key=head_scores.__getitem__)]
    finalists = [c for c in candidates if c.head == line]
    scores = score(model, prefix, [candidate_ids(tokenizer, c.answer, eos) for c in finalists], False, cancelled)
    if scores is None:
        return ""
    return finalists[max(range(len(finalists)), key=scores.__getitem__)].answer
