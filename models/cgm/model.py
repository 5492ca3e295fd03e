"""The CGM reader model: node vectors -> adapter -> node tokens placed before the prompt's token embeddings, one
Qwen2-style LLM over [nodes ; prompt ; answer] under the graph-aware mask (models.cgm.mask), greedy generation
with a KV cache (the prompt and the nodes are prefilled under the graph mask; answer tokens are causal and see
everything before them, exactly as in training).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from models.cgm.config import CGMConfig
from models.cgm.mask import graph_attention_mask
from models.transformer import TransformerForCausalLM


class Adapter(nn.Module):
    """CGM's adapter: Linear(embedding_dim -> hidden) -> GELU -> Linear(hidden -> LLM width); names as released."""

    def __init__(self, embedding_dim: int, hidden_dim: int, out_dim: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(embedding_dim, hidden_dim)
        self.fc2 = nn.Linear(hidden_dim, out_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.gelu(self.fc1(x)))


class CGMForCausalLM(nn.Module):
    """State dict: ``lm.*`` (Hugging Face Qwen2 names below it) and ``adapter.fc1/fc2``."""

    def __init__(self, config: CGMConfig) -> None:
        super().__init__()
        self.config = config
        self.lm = TransformerForCausalLM(config.llm)
        self.adapter = Adapter(config.embedding_dim, config.adapter_hidden_dim, config.llm.hidden_size)

    @property
    def device(self) -> torch.device:
        return self.lm.lm_head.weight.device

    def embed(self, node_vectors: torch.Tensor, text_ids: torch.Tensor) -> torch.Tensor:
        """[N_x, E] node vectors and [T] text ids -> inputs_embeds [1, N_x + T, d]."""
        nodes = self.adapter(node_vectors.to(self.device, self.adapter.fc1.weight.dtype))
        text = self.lm.model.embed_tokens(text_ids.to(self.device))
        return torch.cat([nodes.to(text.dtype), text], dim=0)[None]

    def mask(self, owner: Sequence[int], edges: Sequence[tuple[int, int]], prompt_len: int,
             answer_len: int) -> torch.Tensor:
        return graph_attention_mask(owner, edges, prompt_len, answer_len, self.config.reverse_edges).to(self.device)

    def loss(self, node_vectors: torch.Tensor, owner: Sequence[int], edges: Sequence[tuple[int, int]],
             prompt_ids: Sequence[int], answer_ids: Sequence[int]) -> torch.Tensor:
        """Mean cross-entropy of the answer tokens given nodes + prompt (the LM head runs on those rows only)."""
        if not prompt_ids or not answer_ids:
            raise ValueError("a training sample needs a prompt and an answer")
        ids = torch.tensor([*prompt_ids, *answer_ids], dtype=torch.long)
        n_x, n_p = len(owner), len(prompt_ids)
        hidden = self.lm.hidden_states(inputs_embeds=self.embed(node_vectors, ids),
                                       attention_mask=self.mask(owner, edges, n_p, len(answer_ids)))
        rows = hidden[0, n_x + n_p - 1:-1]  # the positions that predict each answer token
        logits = self.lm.lm_head(rows).float()
        return F.cross_entropy(logits, ids[n_p:].to(self.device))

    @torch.no_grad()
    def generate(self, node_vectors: torch.Tensor, owner: Sequence[int], edges: Sequence[tuple[int, int]],
                 prompt_ids: Sequence[int], max_new_tokens: int, eos_id: int | None,
                 cancelled: Callable[[], bool] | None = None) -> list[int]:
        """Greedy answer ids (the eos itself excluded); stops at eos, after max_new_tokens, or when cancelled."""
        ids = torch.tensor(list(prompt_ids), dtype=torch.long)
        prefix = len(owner) + len(ids)
        cache = self.lm.new_cache(1, capacity=prefix + max_new_tokens)
        logits = self.lm.prefill(None, cache, inputs_embeds=self.embed(node_vectors, ids),
                                 attention_mask=self.mask(owner, edges, len(ids), 0))[:, -1]
        out: list[int] = []
        while len(out) < max_new_tokens and not (cancelled is not None and cancelled()):
            token = int(logits.argmax(-1))
            if token == eos_id:
                break
            out.append(token)
            if len(out) < max_new_tokens:
                logits = self.lm.step(torch.tensor([token], device=self.device), cache)
        return out
