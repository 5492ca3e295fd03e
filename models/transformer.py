"""A Llama / Qwen2-style causal Transformer with a KV cache: RMSNorm, RoPE (rotate-half), SwiGLU MLP, grouped-query
attention, optional q/k/v bias (Qwen2 has it). Parameter names and config keys are Hugging Face Qwen2's
(``model.layers.N.self_attn.q_proj`` ...), so its state dicts load as they are.

It is the same-width baseline of the benchmarks (its KV cache and step time grow with the position, Rodimus' do
not) and the base LLM of the CGM reader, which feeds ``inputs_embeds`` (node vectors before the text embeddings)
and its graph-aware ``attention_mask`` to ``forward`` / ``prefill``.

``attention_mask`` is [T, T_k] or [B, T, T_k] over the keys of the whole cache (T_k = cache position + T):
bool (True = may attend) or additive float (0 / large negative). Without it attention is causal.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from models.layers import RMSNorm, apply_rotary


@dataclass(frozen=True)
class TransformerConfig:
    """Hugging Face Qwen2 / Llama ``config.json`` keys."""

    vocab_size: int = 32000
    hidden_size: int = 512
    intermediate_size: int = 1376
    num_hidden_layers: int = 8
    num_attention_heads: int = 8
    num_key_value_heads: int = 8
    max_position_embeddings: int = 32768
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    attention_bias: bool = False
    tie_word_embeddings: bool = False
    initializer_range: float = 0.02
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.hidden_size % self.num_attention_heads or self.num_attention_heads % self.num_key_value_heads:
            raise ValueError(f"hidden_size={self.hidden_size} must divide into num_attention_heads="
                             f"{self.num_attention_heads}, which must divide into num_key_value_heads="
                             f"{self.num_key_value_heads}")

    @property
    def head_dim(self) -> int:
        return self.hidden_size // self.num_attention_heads

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TransformerConfig:
        names = {f.name for f in dataclasses.fields(cls) if f.name != "extra"}
        known = {k: v for k, v in data.items() if k in names}
        if data.get("model_type") == "qwen2" and "attention_bias" not in data:
            known["attention_bias"] = True  # Qwen2 always has q/k/v biases
        return cls(**known, extra={k: v for k, v in data.items() if k not in names})

    @classmethod
    def from_json_file(cls, path: str | Path) -> TransformerConfig:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def to_dict(self) -> dict[str, Any]:
        out = {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], **self.extra}
        out.update({f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"})
        return out


class KVCache:
    """Per-layer keys and values [B, capacity, H_kv, hd] (after RoPE) filled up to ``position``."""

    def __init__(self, keys: list[torch.Tensor], values: list[torch.Tensor]) -> None:
        self.keys, self.values = keys, values
        self.position = 0

    @property
    def capacity(self) -> int:
        return self.keys[0].shape[1]

    @property
    def nbytes(self) -> int:
        """Bytes of the filled part: what a growing cache would hold at this position."""
        per_token = sum(t[:, :1].numel() * t.element_size() for t in (*self.keys, *self.values))
        return per_token * self.position


class Attention(nn.Module):
    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        d, hd = config.hidden_size, config.head_dim
        self.num_heads, self.num_kv_heads, self.head_dim = config.num_attention_heads, config.num_key_value_heads, hd
        self.rope_theta = config.rope_theta
        self.q_proj = nn.Linear(d, self.num_heads * hd, bias=config.attention_bias)
        self.k_proj = nn.Linear(d, self.num_kv_heads * hd, bias=config.attention_bias)
        self.v_proj = nn.Linear(d, self.num_kv_heads * hd, bias=config.attention_bias)
        self.o_proj = nn.Linear(self.num_heads * hd, d, bias=False)

    def forward(self, x: torch.Tensor, position: int, cache: tuple[torch.Tensor, torch.Tensor] | None,
                attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """x: [B, T, d] at positions position.. -> [B, T, d]; appends to and attends over ``cache`` when given."""
        B, T, _ = x.shape
        positions = torch.arange(position, position + T, device=x.device)
        q = apply_rotary(self.q_proj(x).view(B, T, self.num_heads, self.head_dim), positions, self.head_dim,
                         self.rope_theta)
        k = apply_rotary(self.k_proj(x).view(B, T, self.num_kv_heads, self.head_dim), positions, self.head_dim,
                         self.rope_theta)
        v = self.v_proj(x).view(B, T, self.num_kv_heads, self.head_dim)
        if cache is not None:
            cache_k, cache_v = cache
            cache_k[:, position:position + T] = k
            cache_v[:, position:position + T] = v
            k, v = cache_k[:, :position + T], cache_v[:, :position + T]
        if attention_mask is None:
            key_positions = torch.arange(position + T - k.shape[1], position + T, device=x.device)
            mask = key_positions[None, :] <= positions[:, None]  # [T, T_k]
        else:
            mask = attention_mask if attention_mask.dim() == 2 else attention_mask[:, None]  # [B, 1, T, T_k]
        q, k, v = (t.transpose(1, 2) for t in (q, k, v))
        if mask.dtype != torch.bool:
            mask = mask.to(q.dtype)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, enable_gqa=True)
        return self.o_proj(out.transpose(1, 2).reshape(B, T, -1))


class MLP(nn.Module):
    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.up_proj = nn.Linear(config.hidden_size, config.intermediate_size, bias=False)
        self.down_proj = nn.Linear(config.intermediate_size, config.hidden_size, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class DecoderLayer(nn.Module):
    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.input_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.self_attn = Attention(config)
        self.post_attention_layernorm = RMSNorm(config.hidden_size, config.rms_norm_eps)
        self.mlp = MLP(config)

    def forward(self, r: torch.Tensor, position: int, cache: tuple[torch.Tensor, torch.Tensor] | None,
                attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        r = r + self.self_attn(self.input_layernorm(r), position, cache, attention_mask).float()
        return r + self.mlp(self.post_attention_layernorm(r)).float()


class TransformerModel(nn.Module):
    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.embed_tokens = nn.Embedding(config.vocab_size, config.hidden_size)
        self.layers = nn.ModuleList(DecoderLayer(config) for _ in range(config.num_hidden_layers))
        self.norm = RMSNorm(config.hidden_size, config.rms_norm_eps)


class TransformerForCausalLM(nn.Module):
    """Causal LM with ``forward`` (no cache), ``prefill`` / ``step`` over a ``KVCache``. Logits are float32."""

    def __init__(self, config: TransformerConfig) -> None:
        super().__init__()
        self.config = config
        self.model = TransformerModel(config)
        self.lm_head = nn.Linear(config.hidden_size, config.vocab_size, bias=False)
        with torch.no_grad():
            for module in self.modules():
                if isinstance(module, (nn.Linear, nn.Embedding)):
                    nn.init.normal_(module.weight, std=config.initializer_range)
                    if isinstance(module, nn.Linear) and module.bias is not None:
                        module.bias.zero_()
        if config.tie_word_embeddings:
            self.lm_head.weight = self.model.embed_tokens.weight

    def _hidden(self, input_ids: torch.Tensor | None, cache: KVCache | None, inputs_embeds: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("give exactly one of input_ids and inputs_embeds")
        r = self.model.embed_tokens(input_ids) if inputs_embeds is None else inputs_embeds
        position, length = (0 if cache is None else cache.position), r.shape[1]
        if cache is not None and position + length > cache.capacity:
            raise ValueError(f"KV cache holds {cache.capacity} tokens; {position} + {length} do not fit")
        if attention_mask is not None and attention_mask.shape[-2:] != (length, position + length):
            raise ValueError(f"attention_mask {tuple(attention_mask.shape)} does not end in ({length}, "
                             f"{position + length})")
        r = r.float()
        for i, layer in enumerate(self.model.layers):
            r = layer(r, position, None if cache is None else (cache.keys[i], cache.values[i]), attention_mask)
        if cache is not None:
            cache.position += length
        return self.model.norm(r)

    def forward(self, input_ids: torch.Tensor | None = None, *, inputs_embeds: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """input_ids [B, T] (or inputs_embeds [B, T, d]) -> logits [B, T, V]."""
        return self.lm_head(self._hidden(input_ids, None, inputs_embeds, attention_mask)).float()

    def hidden_states(self, input_ids: torch.Tensor | None = None, cache: KVCache | None = None, *,
                      inputs_embeds: torch.Tensor | None = None,
                      attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Last-layer hidden states after the final norm, [B, T, d]."""
        return self._hidden(input_ids, cache, inputs_embeds, attention_mask)

    def new_cache(self, batch_size: int = 1, capacity: int | None = None) -> KVCache:
        """A preallocated cache for ``capacity`` tokens (max_position_embeddings by default)."""
        cfg = self.config
        capacity = capacity or cfg.max_position_embeddings
        weight = self.model.embed_tokens.weight
        shape = (batch_size, capacity, cfg.num_key_value_heads, cfg.head_dim)

        def zeros() -> list[torch.Tensor]:
            return [torch.zeros(shape, dtype=weight.dtype, device=weight.device) for _ in range(cfg.num_hidden_layers)]

        return KVCache(zeros(), zeros())

    def prefill(self, input_ids: torch.Tensor | None, cache: KVCache, *, inputs_embeds: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None) -> torch.Tensor:
        """input_ids [B, T] (or inputs_embeds [B, T, d]) appended to ``cache`` -> logits [B, T, V]."""
        return self.lm_head(self._hidden(input_ids, cache, inputs_embeds, attention_mask)).float()

    def step(self, input_ids: torch.Tensor, cache: KVCache) -> torch.Tensor:
        """input_ids [B] -> logits [B, V]."""
        return self.prefill(input_ids[:, None], cache)[:, 0]
