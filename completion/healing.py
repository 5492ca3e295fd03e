"""Token healing's constraint, and the greedy healing a prepared prompt makes ahead of its request.

In the prefix-only prompt the prefix's last token is not fed: generation must re-produce its text
(`forced`) first, choosing among the tokens that agree with what is still pending. Tokens that cover only
part of it must stay allowed: after an indentation the prefix ends in a run of spaces that training text
never ends a token with (GPT-2's pre-tokenizer gives the last space to the next word), so the model has to
write a shorter run and then ` word`. Only the rows of those tokens are projected (`NextToken.scores`),
unless the document cache model has a match: the mix needs the whole distribution. The cache matters most
here, because it knows how this file's lines split into tokens (the indentation run, then ` self`).
Under greedy decoding these picks do not depend on the request, so `DocumentSession.prepare` makes them (one
model step each) while the editor waits, and the request starts right after them.
"""
from __future__ import annotations

from collections.abc import Callable

import torch

from completion.lm import NextToken, RecurrentLM
from completion.ngram_cache import NgramCache
from completion.prompt import Healing
from completion.tokens import TokenCodec
from models.state import RodimusState


def restrict(scores: NextToken, codec: TokenCodec, pending: bytes, cache: NgramCache | None = None,
             keep_indentation: bool = False) -> torch.Tensor:
    """Logits [V] (mixed with the cache model when given) with every token that disagrees with the `pending`
    forced text at -inf; with `keep_indentation`, also those that go on past it with a space or a tab."""
    choices = torch.tensor(codec.consistent_ids(pending, blank_after=not keep_indentation), dtype=torch.long)
    allowed = torch.full((scores.vocab_size,), float("-inf"))
    if cache is not None and len(following := cache.following()):  # the mix needs every row
        allowed[choices] = cache.mix(scores.logits(), following)[choices]
    else:
        allowed[choices] = scores.scores(choices)
    return allowed


def heal_greedily(lm: RecurrentLM, codec: TokenCodec, state: RodimusState, scores: NextToken, forced: bytes,
                  should_stop: Callable[[], bool] | None = None, cache: NgramCache | None = None,
                  keep_indentation: bool = False) -> Healing | None:
    """Greedy picks from `scores` (mixed with `cache`, which sees each pick) until their text covers `forced`,
    stepping `state` (the prompt's, updated in place); None if `should_stop` said so before a step (the state is
    then part-way: discard it). `keep_indentation` as in `restrict`."""
    tokens: list[int] = []
    produced = b""
    while len(produced) < len(forced):
        if should_stop is not None and should_stop():
            return None
        token = int(torch.argmax(restrict(scores, codec, forced[len(produced):], cache, keep_indentation)))
        tokens.append(token)
        if cache is not None:
            cache.push(token)
        produced += codec.token_bytes[token]
        scores = lm.step(token, state)
    return Healing(tokens, state, scores)
