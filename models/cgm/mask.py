"""The graph-aware attention mask of CGM's reader (research/cgm_cge.md 2.3), over [node tokens ; prompt ; answer].

Rows are queries, columns keys. The four blocks:

- node -> node: node i's segments see node j's segments when there is an edge i -> j (and j -> i with
  ``reverse_edges``); the segments of one node see each other, themselves included;
- node -> text: every node token sees the whole prompt (bidirectional, though the prompt comes later), never the
  answer;
- text -> node: every text token sees every node token;
- text -> text: causal.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def graph_attention_mask(segment_owner: Sequence[int], edges: Sequence[tuple[int, int]], prompt_len: int,
                         answer_len: int = 0, reverse_edges: bool = True) -> torch.Tensor:
    """Bool mask [L, L] (True = may attend), L = len(segment_owner) + prompt_len + answer_len.

    ``segment_owner[s]`` is the node index of node token s; ``edges`` are (source, target) node indices (edges to
    nodes without tokens are ignored).
    """
    owner = torch.as_tensor(list(segment_owner), dtype=torch.long)
    n_x, n_q = len(owner), prompt_len + answer_len
    total = n_x + n_q
    mask = torch.zeros(total, total, dtype=torch.bool)
    if n_x:
        n_nodes = int(owner.max()) + 1
        adjacency = torch.eye(n_nodes, dtype=torch.bool)
        for source, target in edges:
            if source < n_nodes and target < n_nodes:
                adjacency[source, target] = True
                if reverse_edges:
                    adjacency[target, source] = True
        mask[:n_x, :n_x] = adjacency[owner][:, owner]
        mask[:n_x, n_x:n_x + prompt_len] = True
        mask[n_x:, :n_x] = True
    mask[n_x:, n_x:] = torch.ones(n_q, n_q, dtype=torch.bool).tril()
    return mask


def additive_mask(mask: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The bool mask as an additive one: 0 where attention is allowed, the dtype's minimum elsewhere (not -inf, so
    a fully masked row would give a uniform softmax rather than NaN)."""
    return torch.zeros(mask.shape, dtype=dtype).masked_fill(~mask, torch.finfo(dtype).min)
