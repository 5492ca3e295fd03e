"""Training samples -> model inputs: node vectors, segment owners, edges, prompt ids and answer ids.

Stage 1 (reconstruction, cgm_cge.md 2.4): the prompt is only the reconstruction cue, so the code has to come from
the node tokens. Stage 2 (issue -> patch): the prompt of models.cgm.prompt with the sample's files and focus.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch

from analysis.readers.base import GraphContext, SourceFile
from models.cgm.config import CGMConfig
from models.cgm.encoder import NodeEncoder
from models.cgm.prompt import Focus, answer_ids, prompt_ids, prompt_text, stop_id
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

    def fix(self, sample: FixSample) -> Item:
        answer = answer_ids(self.tokenizer, sample.answer, self.config.max_answer_tokens, self.eos)
        return Item(*self.nodes(sample.graph), self.fix_prompt(sample.issue, sample.files, sample.focus), answer)

    def reconstruction(self, sample: ReconstructionSample) -> Item:
        prompt = prompt_ids(self.tokenizer, RECONSTRUCTION_CUE, self.config.max_prompt_tokens,
                            self.config.chat_template)
        answer = answer_ids(self.tokenizer, sample.target, self.config.max_answer_tokens, self.eos)
        return Item(*self.nodes(sample.graph), prompt, answer)
