"""The Qwen2-style baseline: prefill + step over the KV cache equal one full forward pass."""

from __future__ import annotations

import pytest
import torch

from models.transformer import TransformerConfig, TransformerForCausalLM


@pytest.mark.parametrize("bias", [True, False], ids=["qkv-bias", "no-bias"])
@torch.no_grad()
def test_cached_prefill_and_step_equal_forward(bias: bool) -> None:
    torch.manual_seed(0)
    config = TransformerConfig(vocab_size=50, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                               num_attention_heads=4, num_key_value_heads=2, attention_bias=bias)
    model = TransformerForCausalLM(config).eval()
    ids = torch.randint(0, 50, (2, 20))
    full = model(ids)
    cache = model.new_cache(2, capacity=32)
    parts = [model.prefill(ids[:, :6], cache), model.prefill(ids[:, 6:11], cache)]
    parts += [model.step(ids[:, t], cache)[:, None] for t in range(11, 20)]
    assert (torch.cat(parts, dim=1) - full).abs().max().item() <= 1e-5
    assert cache.position == 20
    assert cache.nbytes == 20 * 2 * 2 * 2 * 2 * 8 * 4  # tokens x (k, v) x layers x batch x kv heads x hd x fp32


def test_hugging_face_names_and_config() -> None:
    config = TransformerConfig.from_dict({"model_type": "qwen2", "hidden_size": 32, "intermediate_size": 48,
                                          "num_hidden_layers": 1, "num_attention_heads": 4,
                                          "num_key_value_heads": 2, "vocab_size": 50, "use_sliding_window": False})
    assert config.attention_bias and config.extra == {"model_type": "qwen2", "use_sliding_window": False}
    names = set(TransformerForCausalLM(config).state_dict())
    assert {"model.embed_tokens.weight", "model.layers.0.self_attn.q_proj.bias", "model.layers.0.mlp.gate_proj.weight",
            "model.layers.0.post_attention_layernorm.weight", "model.norm.weight", "lm_head.weight"} <= names


def test_cache_overflow_is_an_error() -> None:
    config = TransformerConfig(vocab_size=10, hidden_size=16, intermediate_size=16, num_hidden_layers=1,
                               num_attention_heads=2, num_key_value_heads=1)
    model = TransformerForCausalLM(config)
    cache = model.new_cache(1, capacity=4)
    with pytest.raises(ValueError, match="holds 4 tokens"):
        model.prefill(torch.zeros(1, 5, dtype=torch.long), cache)
