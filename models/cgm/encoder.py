"""Node text -> node vectors: each node's text is cut into segments of ``segment_tokens`` encoder tokens, and each
segment becomes one vector of the frozen code embedder (research/cgm_cge.md 2.3). An empty text gives one zero
vector, so every node owns at least one node token. Vectors are cached by the digest of the segment's text: the
nodes of a graph change little between requests (and between training samples of one file).

The starter embedder reads at most its ``max_code_tokens`` of a segment, so with it a segment's tail beyond that
is not seen; segments stay at the configured length so that a checkpoint's node-token layout does not depend on
which embedder is installed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import torch

from analysis.readers.base import GraphContext
from models.tokenizer import Tokenizer


class SegmentEmbedder(Protocol):
    """What the encoder needs of models.embedder.CodeEmbedder."""

    tokenizer: Tokenizer

    @property
    def dim(self) -> int: ...

    def embed(self, texts: list[str], kind: str) -> np.ndarray: ...


class NodeEncoder:
    def __init__(self, embedder: SegmentEmbedder, segment_tokens: int, max_segments_per_node: int) -> None:
        self.embedder = embedder
        self.segment_tokens = segment_tokens
        self.max_segments_per_node = max_segments_per_node
        self.cache: dict[bytes, np.ndarray] = {}

    @property
    def dim(self) -> int:
        return self.embedder.dim

    def segments(self, text: str) -> list[str]:
        """The node's text cut into segments of ``segment_tokens`` tokens ([""] for an empty text)."""
        if not text.strip():
            return [""]
        ids = self.embedder.tokenizer.encode(text[: self.segment_tokens * self.max_segments_per_node * 12])
        chunks = [ids[i:i + self.segment_tokens] for i in range(0, len(ids), self.segment_tokens)]
        return [self.embedder.tokenizer.decode(chunk) for chunk in chunks[: self.max_segments_per_node]] or [""]

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """One vector per segment text [n, dim] (zeros for ""), computed once per distinct text."""
        keys = [hashlib.sha256(text.encode("utf-8")).digest() for text in texts]
        todo = {key: text for key, text in zip(keys, texts) if text and key not in self.cache}
        if todo:
            fresh = self.embedder.embed(list(todo.values()), "code")
            self.cache.update(zip(todo, np.asarray(fresh, dtype=np.float32)))
        zero = np.zeros(self.dim, dtype=np.float32)
        return np.stack([self.cache[key] if text else zero for key, text in zip(keys, texts)]) if texts else \
            np.zeros((0, self.dim), dtype=np.float32)

    def encode(self, graph: GraphContext, max_nodes: int) -> tuple[torch.Tensor, list[int], list[tuple[int, int]]]:
        """(segment vectors [N_x, dim], the node index owning each segment, the edges among the kept nodes)."""
        nodes = graph.nodes[:max_nodes]
        texts: list[str] = []
        owner: list[int] = []
        for index, node in enumerate(nodes):
            pieces = self.segments(node.text)
            texts += pieces
            owner += [index] * len(pieces)
        edges = [(s, t) for s, t, _ in graph.edges if s < len(nodes) and t < len(nodes)]
        return torch.from_numpy(self.vectors(texts)), owner, edges
