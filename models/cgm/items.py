"""Training samples -> model inputs: node vectors, segment owners, edges, prompt ids and answer ids.

Stage 1 (reconstruction, cgm_cge.md 2.4): the prompt is only the reconstruction cue, so the code has to come from
the node tokens. Stage 2 (issue -> patch): the prompt of models.cgm.prompt with the sample's files and focus, and
rivals for the ranking loss: other repair candidates of the shown code (models.cgm.decode), some on the buggy line
and some on other lines, and the answer heads (path + SEARCH span) of other lines.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import torch

from analysis.readers.base import GraphContext, SourceFile
from models.cgm.config import CGMConfig
from models.cgm.encoder import NodeEncoder
from models.cgm.decode import candidate_ids, repair_candidates
from models.cgm.prompt import Focus, answer_ids, focus_region, prompt_ids, prompt_text, stop_id
from models.tokenizer import Tokenizer

RECONSTRUCTION_CUE = "<reconstruct>\n"


class FixSample(Protocol):
    """models.cgm.reader_data.ReaderSample, as training reads it."""

    issue: str
    files: tuple[SourceFile, ...]
    focus: tuple[str, int, int] | None
    graph: GraphContext
    answer: str


class ReconstructionSample(Protocol):
    graph: GraphContext
    target: str


@dataclass(frozen=True)
class Item:
    vectors: torch.Tensor  # [N_x, embedding_dim]
    owner: list[int]
    edges: list[tuple[int, int]]
    prompt: list[int]
    answer: list[int]
    line_rivals: list[list[int]] = field(default_factory=list)  # other edits of the answer's line (ids + eos)
    other_rivals: list[list[int]] = field(default_factory=list)  # edits of other lines (ids + eos)
    head: list[int] = field(default_factory=list)  # the answer's head (path, SEARCH span, divider)
    rival_heads: list[list[int]] = field(default_factory=list)  # other lines' heads


@dataclass(frozen=True)
class Rivals:
    """How many rivals a fix item gets: other edits of the answer's line, edits of other lines, other heads."""

    same_line: int = 4
    other_lines: int = 4
    heads: int = 8


class ItemBuilder:
    def __init__(self, config: CGMConfig, tokenizer: Tokenizer, encoder: NodeEncoder | None) -> None:
        self.config, self.tokenizer, self.encoder = config, tokenizer, encoder
        self.eos = stop_id(tokenizer, config.chat_template)

    def nodes(self, graph: GraphContext | None) -> tuple[torch.Tensor, list[int], list[tuple[int, int]]]:
        if self.encoder is None or graph is None or not graph.nodes:
            return torch.zeros(0, self.config.embedding_dim), [], []
        return self.encoder.encode(graph, self.config.max_nodes)

    def fix_prompt(self, issue: str, files: Sequence[SourceFile], focus: Focus | None) -> list[int]:
        text = prompt_text(issue, files, focus)
        return prompt_ids(self.tokenizer, text, self.config.max_prompt_tokens, self.config.chat_template)

    def fix(self, sample: FixSample, rivals: Rivals | None = None, rng: random.Random | None = None,
            with_nodes: bool = True) -> Item:
        """The sample as model inputs; with ``rivals``, drawn with ``rng``, also the rival answers and heads (none
        when the answer is not among the shown code's repair candidates, e.g. the oracle file is not shown)."""
        answer = answer_ids(self.tokenizer, sample.answer, self.config.max_answer_tokens, self.eos)
        nodes = self.nodes(sample.graph) if with_nodes else self.nodes(None)
        item = Item(*nodes, self.fix_prompt(sample.issue, sample.files, sample.focus), answer)
        shown = focus_region(sample.files, sample.focus)
        if rivals is None or shown is None:
            return item
        source, first_line, lines = shown
        candidates = repair_candidates(source.path, source.text, first_line, [line.rstrip("\r\n") for line in lines])
        gold = next((c for c in candidates if c.answer == sample.answer), None)
        if gold is None:
            return item
        rng = rng or random.Random(0)
        same = [c.answer for c in candidates if c.line == gold.line and c is not gold]
        other = [c.answer for c in candidates if c.line != gold.line]
        heads = list(dict.fromkeys(c.head for c in candidates if c.line != gold.line))
        return Item(item.vectors, item.owner, item.edges, item.prompt, answer,
                    [candidate_ids(self.tokenizer, text, self.eos)
                     for text in rng.sample(same, min(rivals.same_line, len(same)))],
                    [candidate_ids(self.tokenizer, text, self.eos)
                     for text in rng.sample(other, min(rivals.other_lines, len(other)))],
                    self.tokenizer.encode(gold.head),
                    [self.tokenizer.encode(head) for head in rng.sample(heads, min(rivals.heads, len(heads)))])

    def reconstruction(self, sample: ReconstructionSample) -> Item:
        prompt = prompt_ids(self.tokenizer, RECONSTRUCTION_CUE, self.config.max_prompt_tokens,
                            self.config.chat_template)
        answer = answer_ids(self.tokenizer, sample.target, self.config.max_answer_tokens, self.eos)
        return Item(*self.nodes(sample.graph), prompt, answer)
