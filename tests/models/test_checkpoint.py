"""Model folders: our own round trip, and folders written the way the official checkpoints are (research/rodimus.md
9.2 config keys, 9.3 state-dict names), in fp16 / bf16, tied and untied, single file and sharded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from models.checkpoint import load_model, save_model
from tests.models.conftest import VOCAB, tiny_model, token_ids

D_MODEL, D_INNER, MEM, RANK, HEADS, HEAD_DIM, FFN = 32, 64, 8, 16, 2, 16, 48


def official_config(tied: bool) -> dict[str, object]:
    """Shaped like Rodimus-Plus-Coder-1.6B-Base's config.json, shrunk."""
    return {
        "architectures": ["RodimusForCausalLM"],
        "auto_map": {"AutoConfig": "configuration_rodimus.RodimusConfig",
                     "AutoModelForCausalLM": "modeling_rodimus.RodimusForCausalLM"},
        "model_type": "rodimus", "block_type": "rodimus_plus", "d_model": D_MODEL, "n_layer": 2,
        "vocab_size": VOCAB, "bos_token_id": 1, "eos_token_id": 2, "pad_token_id": None,
        "max_position_embeddings": 4096, "norm_epsilon": 1e-5, "residual_in_fp32": True,
        "rescale_prenorm_residual": True, "tie_word_embeddings": tied, "use_fast_path": True,
        "use_fused_cross_entropy": True, "use_norm_embedding": False, "use_scale_embedding": False,
        "initializer_range": 0.02, "dropout": 0.0, "activation_dropout": 0.0, "attention_dropout": 0.0,
        "use_cache": True, "torch_dtype": "float32", "transformers_version": "4.42.0",
        "mixer_cfg": {"expand_ratio": 2.0, "mem_size": MEM, "input_gate_low_rank": "auto", "mode": "fused_chunk",
                      "normalize_epsilon": 1e-5},
        "attn_cfg": {"num_heads": HEADS, "num_heads_k": 1, "num_heads_v": HEADS, "window_size": 16,
                     "rotary_emb_dim": -1, "rotary_emb_scale_base": None, "ffn_expand_ratio": 1.5},
    }


def official_state_dict(tied: bool, dtype: torch.dtype) -> dict[str, torch.Tensor]:
    shapes = {"model.embeddings.weight": (VOCAB, D_MODEL), "model.norm_f.weight": (D_MODEL,)}
    for i in range(2):
        p = f"model.layers.{i}."
        shapes.update({
            p + "mixer_norm.weight": (D_MODEL,),
            p + "mixer.fc.weight": (2 * D_INNER, D_MODEL),
            p + "mixer.out_proj.weight": (D_MODEL, D_INNER),
            p + "mixer.act_norm.weight": (D_INNER,),
            p + "mixer.inner_mixer.short_conv.conv1d.weight": (D_INNER, 1, 4),
            p + "mixer.inner_mixer.short_conv.conv1d.bias": (D_INNER,),
            p + "mixer.inner_mixer.residual_weight": (D_INNER,),
            p + "mixer.inner_mixer.in_proj.weight": (2 * MEM, D_INNER),
            p + "mixer.inner_mixer.ch_gate_proj.0.weight": (RANK, D_INNER),
            p + "mixer.inner_mixer.ch_gate_proj.1.weight": (D_INNER, RANK),
            p + "mixer.inner_mixer.ch_gate_proj.1.bias": (D_INNER,),
            p + "mixer.inner_mixer.mem_gate_proj.weight": (2 * MEM, D_INNER),
            p + "mixer.inner_mixer.mem_gate_proj.bias": (2 * MEM,),
            p + "attn_norm.weight": (D_MODEL,),
            p + "attn.q_proj.weight": (HEADS * HEAD_DIM, D_MODEL),
            p + "attn.k_proj.weight": (HEAD_DIM, D_MODEL),
            p + "attn.v_proj.weight": (HEADS * HEAD_DIM, D_MODEL),
            p + "attn.out_proj.weight": (D_MODEL, HEADS * HEAD_DIM),
            p + "ffn_norm.weight": (D_MODEL,),
            p + "ffn.fc.weight": (2 * FFN, D_MODEL),
            p + "ffn.out_proj.weight": (D_MODEL, FFN),
        })
    if not tied:
        shapes["lm_head.weight"] = (VOCAB, D_MODEL)
    gen = torch.Generator().manual_seed(0)
    tensors = {name: (torch.randn(shape, generator=gen) * 0.1).to(dtype) for name, shape in shapes.items()}
    # a persistent decode-cache buffer the official model leaves in state_dict() after generating
    tensors["model.layers.0.mixer.inner_mixer.ssm_state_0"] = torch.zeros(1, 1, MEM, D_INNER, dtype=dtype)
    return tensors


def write_official(path: Path, tied: bool, dtype: torch.dtype, shards: int = 1) -> dict[str, torch.Tensor]:
    path.mkdir(parents=True, exist_ok=True)
    (path / "config.json").write_text(json.dumps(official_config(tied)))
    tensors = official_state_dict(tied, dtype)
    if shards == 1:
        save_file(tensors, str(path / "model.safetensors"))
        return tensors
    names = sorted(tensors)
    weight_map = {}
    for s in range(shards):
        shard = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        part = names[s::shards]
        save_file({n: tensors[n] for n in part}, str(path / shard))
        weight_map.update({n: shard for n in part})
    (path / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    return tensors


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["fp16", "bf16"])
@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
def test_loads_official_layout(tmp_path: Path, dtype: torch.dtype, tied: bool) -> None:
    written = write_official(tmp_path, tied, dtype)
    model, tokenizer = load_model(tmp_path)
    assert tokenizer is None
    assert model.config.block_type == "rodimus_plus" and model.config.left_window == 8
    params = dict(model.named_parameters(remove_duplicate=False))
    for name, tensor in written.items():
        if name.endswith("ssm_state_0"):
            continue
        assert torch.equal(params[name].detach(), tensor.float()), name
    assert params["model.layers.0.mixer.inner_mixer.residual_weight"].dtype == torch.float32
    assert (model.lm_head.weight is model.model.embeddings.weight) == tied
    with torch.no_grad():
        logits = model(token_ids(1, 10))
    assert torch.isfinite(logits).all()


def test_loads_sharded_in_bf16(tmp_path: Path) -> None:
    write_official(tmp_path, tied=True, dtype=torch.float16, shards=3)
    model, _ = load_model(tmp_path, dtype=torch.bfloat16)
    assert model.model.embeddings.weight.dtype == torch.bfloat16
    assert model.model.layers[1].mixer.inner_mixer.residual_weight.dtype == torch.float32
    with torch.no_grad():
        state = model.new_state()
        assert torch.isfinite(model.prefill(token_ids(1, 6), state)).all()
        assert torch.isfinite(model.step(token_ids(1, 1)[:, 0], state)).all()


def test_missing_weight_is_reported(tmp_path: Path) -> None:
    write_official(tmp_path, tied=True, dtype=torch.float16)
    config = json.loads((tmp_path / "config.json").read_text())
    config["tie_word_embeddings"] = False  # an untied model needs its own lm_head.weight
    (tmp_path / "config.json").write_text(json.dumps(config))
    with pytest.raises(ValueError, match=r"missing \['lm_head.weight'\]"):
        load_model(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="model.safetensors"):
        load_model(tmp_path)


@pytest.mark.parametrize("block_type", ["rodimus", "rodimus_plus"])
@pytest.mark.parametrize("tied", [True, False], ids=["tied", "untied"])
def test_save_load_round_trip(tmp_path: Path, block_type: str, tied: bool) -> None:
    model = tiny_model(block_type, tie_word_embeddings=tied)
    save_model(model, None, tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["model_type"] == "rodimus" and saved["block_type"] == block_type
    assert saved["mixer_cfg"]["mem_size"] == 8 and saved["attn_cfg"]["window_size"] == 12
    loaded, _ = load_model(tmp_path)
    assert loaded.config == model.config
    ids = token_ids(2, 15)
    with torch.no_grad():
        assert torch.equal(loaded(ids), model(ids))


def test_save_in_half_precision(tmp_path: Path) -> None:
    model = tiny_model("rodimus_plus")
    save_model(model, None, tmp_path, dtype=torch.bfloat16)
    assert json.loads((tmp_path / "config.json").read_text())["torch_dtype"] == "bfloat16"
    loaded, _ = load_model(tmp_path, dtype=torch.bfloat16)
    ids = token_ids(1, 12)
    with torch.no_grad():
        assert (loaded(ids) - model(ids)).abs().max().item() < 0.1
