"""Token healing's constraint, and the greedy healing a prepared prompt makes ahead of its request.

In the prefix-only prompt the prefix's last token is not fed: the first generated token must start with
its text (`forced`), as in standard token healing. One pick re-produces it (a token that only covered part
of it would need more steps, and on held-out code mid-word completions were no better for allowing that:
5 vs 6 exact lines of 150, the same 14 with the right first 8 characters). Under greedy decoding that pick
does not depend on the request, so `DocumentSession.prepare` makes it and the model step after it while
the editor waits, and the request starts right after them.
"""
from __future__ import annotations

import torch

from completion.lm import RecurrentLM
from completion.prompt import Healing
from completion.tokens import TokenCodec
from models.state import RodimusState


def restrict(logits: torch.Tensor, codec: TokenCodec, pending: bytes) -> torch.Tensor:
    """`logits` with every token that does not start with the `pending` forced text at -inf (a new tensor)."""
    allowed = torch.full_like(logits, float("-inf"))
    choices = codec.covering_ids(pending)
    allowed[choices] = logits[choices]
    return allowed


def heal_greedily(lm: RecurrentLM, codec: TokenCodec, state: RodimusState, logits: torch.Tensor,
                  forced: bytes) -> Healing:
    """Greedy picks from `logits` until their text covers `forced`, stepping `state` (the prompt's, updated in place)."""
    tokens: list[int] = []
    produced = b""
    while len(produced) < len(forced):
        token = int(torch.argmax(restrict(logits, codec, forced[len(produced):])))
        tokens.append(token)
        produced += codec.token_bytes[token]
        logits = lm.step(token, state)
    return Healing(tokens, state, logits)
