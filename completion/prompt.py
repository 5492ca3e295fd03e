"""What a completion request generates from: the prompt's state and next-token scores, and optionally its
healing made ahead."""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from models.state import RodimusState

if TYPE_CHECKING:
    from completion.lm import NextToken
    from completion.ngram_cache import NgramCache


@dataclass
class Healing:
    """The greedy picks that re-produce a prompt's `forced` text, made ahead of the request (`heal_greedily`).

    A greedy generation takes `tokens` as its first picks (they are what it would pick) and continues from
    `state` and `next`, the model after them, instead of stepping through them itself.
    """

    tokens: list[int]
    state: RodimusState
    next: NextToken  # scores for the token after `tokens`


@dataclass
class Prompt:
    """A private copy of the state after the prompt, and the scores for the first generated token."""

    state: RodimusState
    next: NextToken
    fed: int  # tokens fed on the copy for this request
    synced: int  # tokens fed to the persistent state first (to the window state, for a cold request)
    forced: bytes = b""  # text the generation must re-produce before the completion starts (token healing)
    ready: bool = False  # built ahead of the request by `DocumentSession.prepare` (`fed` tokens were fed then)
    healing: Healing | None = None  # prepared prompts only
    cache: NgramCache | None = None  # the document cache model over the text before the generation, if on
    keeps_indentation: bool = False  # the cursor ends a blank line prefix: the completion may not start with blanks
