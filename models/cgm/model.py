"""The CGM reader model: node vectors -> adapter -> node tokens placed before the prompt's token embeddings, one
Qwen2-style LLM over [nodes ; prompt ; answer] under the graph-aware mask (models.cgm.mask), greedy generation
with a KV cache (the prompt and the nodes are prefilled under the graph mask; answer tokens are causal and see
everything before them, exactly as in training).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from models.cgm.config import CGMConfig
from models.cgm.mask import graph_attention_mask
from models.transformer import KVCache, TransformerForCausalLM


@dataclass
class Prefix:
    """Nodes + prompt run once: the cache every continuation reads and the logits for its first token."""

    cache: KVCache
    last_logits: torch.Tensor  # [V]


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

    def prefix(self, node_vectors: torch.Tensor, owner: Sequence[int], edges: Sequence[tuple[int, int]],
               prompt_ids: Sequence[int]) -> Prefix:
        """Run nodes + prompt under the graph mask (with gradients when they are enabled)."""
        ids = torch.tensor(list(prompt_ids), dtype=torch.long)
        cache = self.lm.new_cache(1, capacity=len(owner) + len(ids))
        hidden = self.lm.hidden_states(inputs_embeds=self.embed(node_vectors, ids), cache=cache,
                                       attention_mask=self.mask(owner, edges, len(ids), 0))
        return Prefix(cache, self.lm.lm_head(hidden[0, -1]).float())

    def continuation_logprobs(self, prefix: Prefix, continuations: Sequence[Sequence[int]]) -> torch.Tensor:
        """log p(continuation | nodes, prompt) for each continuation, [K], in one batch that reads the prefix's
        cache (each row sees the nodes, the prompt and its own earlier tokens, as in training and generation)."""
        if not continuations or not all(continuations):
            raise ValueError("continuations must be non-empty")
        known, width = prefix.cache.position, max(len(c) for c in continuations)
        ids = torch.zeros(len(continuations), width, dtype=torch.long)  # right padding: causal rows never see it
        lengths = torch.tensor([len(c) for c in continuations])
        for row, continuation in enumerate(continuations):
            ids[row, :len(continuation)] = torch.tensor(list(continuation), dtype=torch.long)

        def widened(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
            return [torch.cat([t[:, :known].expand(len(continuations), -1, -1, -1),
                               t.new_zeros(len(continuations), width, *t.shape[2:])], dim=1) for t in tensors]

        cache = KVCache(widened(prefix.cache.keys), widened(prefix.cache.values))
        cache.position = known
        ids = ids.to(self.device)
        hidden = self.lm.hidden_states(ids, cache)
        # the vocabulary projection is most of the cost: only rows that predict a token of a continuation get it
        predicts = torch.arange(width, device=self.device)[None, :] < (lengths.to(self.device) - 1)[:, None]
        logits = self.lm.lm_head(hidden[predicts]).float()
        targets = ids[:, 1:][predicts[:, :-1]]
        token_logprobs = torch.log_softmax(logits, -1).gather(1, targets[:, None])[:, 0]
        later = torch.zeros(len(continuations), device=self.device).index_add(
            0, predicts.nonzero()[:, 0], token_logprobs)
        first = torch.log_softmax(prefix.last_logits, -1)[ids[:, 0]]
        return first + later

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
