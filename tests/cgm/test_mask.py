"""The graph-aware mask's four blocks on a small graph (research/cgm_cge.md 2.3)."""
from __future__ import annotations

import torch

from models.cgm.mask import additive_mask, graph_attention_mask

# node 0 has two segments, nodes 1 and 2 one each; edges 0 -> 1 and 1 -> 2; 3 prompt and 2 answer tokens
OWNER = [0, 0, 1, 2]
EDGES = [(0, 1), (1, 2)]
N_X, PROMPT, ANSWER = 4, 3, 2


def test_node_to_node_is_adjacency_over_segments_plus_the_node_itself() -> None:
    mask = graph_attention_mask(OWNER, EDGES, PROMPT, ANSWER, reverse_edges=False)
    expected = torch.tensor([
        [1, 1, 1, 0],  # node 0 (both segments): itself and node 1
        [1, 1, 1, 0],
        [0, 0, 1, 1],  # node 1: itself and node 2
        [0, 0, 0, 1],  # node 2 has no out-edge: only itself
    ], dtype=torch.bool)  # fmt: skip
    assert torch.equal(mask[:N_X, :N_X], expected)


def test_reverse_edges_make_node_attention_symmetric() -> None:
    mask = graph_attention_mask(OWNER, EDGES, PROMPT, ANSWER, reverse_edges=True)
    block = mask[:N_X, :N_X]
    assert torch.equal(block, block.T)
    assert block[3, 2] and not block[3, 0]  # node 2 now reads node 1, still not node 0


def test_nodes_see_the_whole_prompt_but_not_the_answer() -> None:
    mask = graph_attention_mask(OWNER, EDGES, PROMPT, ANSWER)
    assert mask[:N_X, N_X:N_X + PROMPT].all()
    assert not mask[:N_X, N_X + PROMPT:].any()


def test_text_sees_every_node_and_text_is_causal() -> None:
    mask = graph_attention_mask(OWNER, EDGES, PROMPT, ANSWER)
    assert mask[N_X:, :N_X].all()
    text = mask[N_X:, N_X:]
    assert torch.equal(text, torch.ones(PROMPT + ANSWER, PROMPT + ANSWER, dtype=torch.bool).tril())


def test_no_row_is_empty_and_no_nodes_is_plain_causal() -> None:
    assert graph_attention_mask(OWNER, [], PROMPT, ANSWER).any(dim=1).all()
    assert torch.equal(graph_attention_mask([], [], 3, 1), torch.ones(4, 4, dtype=torch.bool).tril())


def test_additive_form() -> None:
    mask = graph_attention_mask(OWNER, EDGES, PROMPT, ANSWER)
    additive = additive_mask(mask)
    assert (additive[mask] == 0).all() and (additive[~mask] == torch.finfo(torch.float32).min).all()
