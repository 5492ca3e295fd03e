"""Answer decoding constrained to the search/replace grammar, for small readers.

A search/replace answer is "{path}\\n<<<<<<< SEARCH\\n{lines copied from the file}\\n=======\\n{replacement}
\\n>>>>>>> REPLACE". A small model that has to copy a line token by token often drifts by one token and the edit
no longer applies, so the copy is not generated but chosen: the path is the shown code's path, the SEARCH part is
the candidate span (1 to ``max_span`` consecutive non-blank lines of the shown code that occur once in the file)
the model gives the highest log-likelihood to, followed by the divider; only the replacement is generated
(greedy, up to the REPLACE marker, eos or the token budget; a replacement cut by the budget has no REPLACE
marker, and the parser drops it).
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


@torch.no_grad()
def search_replace_answer(model: CGMForCausalLM, tokenizer: Tokenizer, vectors: torch.Tensor, owner: Sequence[int],
                          edges: Sequence[tuple[int, int]], prompt: Sequence[int], path: str, region: Sequence[str],
                          file_text: str, max_new_tokens: int, eos_id: int | None,
                          cancelled: Callable[[], bool] | None = None) -> str:
    """The answer text (see the module docstring); "" when no span of the region is unique in the file."""
    spans = candidate_spans(region, file_text)
    if not spans:
        return ""
    head = HEAD.format(path=path)
    head_ids = tokenizer.encode(head)
    encoded = [tokenizer.encode(head + span + DIVIDER) for span in spans]
    longest = max(len(ids) for ids in encoded)
    prefix = len(owner) + len(prompt)
    cache = model.lm.new_cache(1, capacity=prefix + longest + max_new_tokens + 1)
    ids = torch.tensor(list(prompt), dtype=torch.long)
    last = model.lm.prefill(None, cache, inputs_embeds=model.embed(vectors, ids),
                            attention_mask=model.mask(owner, edges, len(ids), 0))[0, -1:]
    head_logits = torch.cat([last, model.lm.prefill(torch.tensor([head_ids]), cache)[0]])  # [1 + len(head), V]
    best, best_score = 0, -float("inf")
    for index, candidate in enumerate(encoded):
        if cancelled is not None and cancelled():
            return ""
        shared = _common_prefix(head_ids, candidate)
        cache.position = prefix + shared
        rest = candidate[shared:]
        logits = torch.cat([head_logits[shared:shared + 1], model.lm.prefill(torch.tensor([rest]), cache)[0, :-1]])
        score = torch.log_softmax(logits, -1).gather(1, torch.tensor(rest)[:, None]).sum().item()
        if score > best_score:
            best, best_score = index, score
    shared = _common_prefix(head_ids, encoded[best])
    cache.position = prefix + shared
    logits = model.lm.prefill(torch.tensor([encoded[best][shared:]]), cache)[0, -1]
    out: list[int] = []
    text = ""
    while len(out) < max_new_tokens and not (cancelled is not None and cancelled()):
        token = int(logits.argmax(-1))
        if token == eos_id:
            break
        out.append(token)
        text = tokenizer.decode(out)
        if TAIL in text:
            text = text[: text.index(TAIL) + len(TAIL)]
            break
        logits = model.lm.step(torch.tensor([token]), cache)[0]
    return head + spans[best] + DIVIDER + text + ("\n" if TAIL in text else "")  # no TAIL: the parser drops it
