"""Token healing's constraint, and the greedy healing a prepared prompt makes ahead of its request.

In the prefix-only prompt the prefix's last token is not fed: generation must re-produce its text
(`forced`) first, choosing among the tokens that agree with what is still pending. Tokens that cover only
part of it must stay allowed: after an indentation the prefix ends in a run of spaces that training text
never ends a token with (GPT-2's pre-tokenizer gives the last space to the next word), so the model has to
write a shorter run and then ` word`. Under greedy decoding these picks do not depend on the request, so
`DocumentSession.prepare` makes them (one model step each) while the editor waits, and the request starts
right after them.
"""
from __future__ import annotations

import torch

from completion.lm import RecurrentLM
from completion.prompt import Healing
from completion.tokens import TokenCodec
from models.state import RodimusState


def restrict(logits: torch.Tensor, codec: TokenCodec, pending: bytes) -> torch.Tensor:
    """`logits` with every token that disagrees with the `pending` forced text at -inf (a new tensor)."""
    allowed = torch.full_like(logits, float("-inf"))
    choices = codec.consistent_ids(pending)
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
