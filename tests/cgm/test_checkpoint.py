"""Reader folders: our own round-trips, and a CodeFuse-CGM-style checkpoint (Qwen2 base in shards + PEFT LoRA +
adapter) written here in that layout loads with the LoRA merged and gives the unmerged model's logits."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from models.cgm.checkpoint import load_codefuse_checkpoint, load_reader, save_reader
from models.cgm.config import LoraConfig
from models.cgm.lora import apply_lora
from models.cgm.model import CGMForCausalLM
from models.tokenizer import TOKENIZER_FILES, Tokenizer
from tests.cgm.conftest import tiny_config, tiny_reader

OWNER, EDGES = [0, 1, 1], [(0, 1)]


def logits(model: CGMForCausalLM, ids: list[int]) -> torch.Tensor:
    vectors = torch.randn(len(OWNER), model.config.embedding_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        return model.lm(inputs_embeds=model.embed(vectors, torch.tensor(ids)),
                        attention_mask=model.mask(OWNER, EDGES, len(ids), 0))


def test_reader_folder_round_trip(tmp_path: Path, tokenizer: Tokenizer) -> None:
    model = tiny_reader(tokenizer.vocab_size)
    save_reader(model, tokenizer, tmp_path, dtype=torch.float32)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["model_type"] == "cgm" and config["llm"]["model_type"] == "qwen2"
    loaded, loaded_tokenizer = load_reader(tmp_path)
    assert loaded.config == model.config and loaded_tokenizer.vocab_size == tokenizer.vocab_size
    assert torch.equal(logits(loaded, [3, 5, 8]), logits(model, [3, 5, 8]))


def test_a_shared_token_table_is_read_from_its_file_not_saved(tmp_path: Path, tokenizer: Tokenizer) -> None:
    model = tiny_reader(tokenizer.vocab_size, token_table="../backbone.safetensors:model.embeddings.weight")
    table = model.lm.model.embed_tokens.weight.detach().clone()
    save_file({"model.embeddings.weight": table}, str(tmp_path / "backbone.safetensors"))
    save_reader(model, tokenizer, tmp_path / "reader", dtype=torch.float32)
    with safe_open(str(tmp_path / "reader" / "model.safetensors"), "pt") as saved:
        assert not any("embed_tokens" in key for key in saved.keys())
    loaded, _ = load_reader(tmp_path / "reader")
    assert torch.equal(logits(loaded, [3, 5, 8]), logits(model, [3, 5, 8]))
    (tmp_path / "backbone.safetensors").unlink()
    with pytest.raises(FileNotFoundError, match="token table"):
        load_reader(tmp_path / "reader")


def test_a_reader_sharing_its_token_table_may_share_its_tokenizer(tmp_path: Path, tokenizer: Tokenizer) -> None:
    model = tiny_reader(tokenizer.vocab_size, token_table="../backbone.safetensors:model.embeddings.weight")
    save_file({"model.embeddings.weight": model.lm.model.embed_tokens.weight.detach().clone()},
              str(tmp_path / "backbone.safetensors"))
    tokenizer.save(tmp_path)  # the backbone's folder holds the tokenizer ...
    save_reader(model, tokenizer, tmp_path / "reader", dtype=torch.float32)
    for name in TOKENIZER_FILES:  # ... and the reader folder none (as `train --mode reader --export` leaves it)
        (tmp_path / "reader" / name).unlink()
    _, loaded = load_reader(tmp_path / "reader")
    assert loaded.encode("def f(x): return x") == tokenizer.encode("def f(x): return x")


def test_saving_merges_lora(tmp_path: Path, tokenizer: Tokenizer) -> None:
    model = tiny_reader(tokenizer.vocab_size)
    apply_lora(model.lm, model.config.lora)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if "lora_B" in name:
                param.normal_(0.0, 0.05)
    save_reader(model, tokenizer, tmp_path, dtype=torch.float32)
    loaded, _ = load_reader(tmp_path)
    assert torch.allclose(logits(loaded, [3, 5, 8]), logits(model, [3, 5, 8]), atol=1e-5)


def write_codefuse_layout(root: Path, tokenizer: Tokenizer) -> CGMForCausalLM:
    """base/ (Qwen2 config + two safetensors shards with an index) and ckpt/ (PEFT LoRA, adapter, tokenizer), as
    CodeFuse-CGM's trainer writes them (adapter.pth converted to adapter.safetensors). Returns the reference
    model: base weights with the LoRA layers unmerged."""
    config = tiny_config(tokenizer.vocab_size, lora=LoraConfig(rank=4, alpha=16.0, dropout=0.05), reverse_edges=False)
    torch.manual_seed(7)
    reference = CGMForCausalLM(config).eval()
    base, ckpt = root / "base", root / "ckpt"
    base.mkdir()
    ckpt.mkdir()
    llm_config = {**config.llm.to_dict(), "model_type": "qwen2", "torch_dtype": "float32"}
    (base / "config.json").write_text(json.dumps(llm_config))
    llm_state = {k: v.clone() for k, v in reference.lm.state_dict().items() if k != "lm_head.weight"}
    names = sorted(llm_state)
    shards = {"model-00001-of-00002.safetensors": names[: len(names) // 2],
              "model-00002-of-00002.safetensors": names[len(names) // 2:]}
    for shard, keys in shards.items():
        save_file({k: llm_state[k] for k in keys}, str(base / shard))
    weight_map = {k: shard for shard, keys in shards.items() for k in keys}
    (base / "model.safetensors.index.json").write_text(json.dumps({"metadata": {}, "weight_map": weight_map}))
    apply_lora(reference.lm, config.lora)
    lora = {}
    with torch.no_grad():
        for name, param in reference.lm.named_parameters():
            if "lora_" in name:
                param.normal_(0.0, 0.1)
                lora["base_model.model." + name] = param.detach().clone()
            elif name.endswith("q_proj.bias"):  # bias="lora_only": the wrapped layers' biases are trained too
                param.add_(0.5)
                lora["base_model.model." + name] = param.detach().clone()
    save_file(lora, str(ckpt / "adapter_model.safetensors"))
    (ckpt / "adapter_config.json").write_text(json.dumps({
        "peft_type": "LORA", "r": 4, "lora_alpha": 16, "lora_dropout": 0.05, "bias": "lora_only",
        "target_modules": ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]}))
    save_file({k: v.clone() for k, v in reference.adapter.state_dict().items()}, str(ckpt / "adapter.safetensors"))
    tokenizer.save(ckpt)
    return reference.eval()


def test_codefuse_checkpoint_loads_with_lora_merged(tmp_path: Path, tokenizer: Tokenizer) -> None:
    reference = write_codefuse_layout(tmp_path, tokenizer)
    model, loaded_tokenizer = load_codefuse_checkpoint(tmp_path / "ckpt", tmp_path / "base")
    assert not any("lora" in name for name in model.state_dict())
    assert model.config.chat_template and not model.config.reverse_edges
    assert model.config.embedding_dim == 16 and model.config.lora.rank == 4
    assert torch.allclose(logits(model, [3, 5, 8, 13]), logits(reference, [3, 5, 8, 13]), atol=1e-5)
    assert loaded_tokenizer.vocab_size == tokenizer.vocab_size


def test_codefuse_pickled_adapter_is_refused(tmp_path: Path, tokenizer: Tokenizer) -> None:
    write_codefuse_layout(tmp_path, tokenizer)
    (tmp_path / "ckpt" / "adapter.safetensors").rename(tmp_path / "ckpt" / "adapter.pth")
    with pytest.raises(FileNotFoundError, match="convert its adapter.pth"):
        load_codefuse_checkpoint(tmp_path / "ckpt", tmp_path / "base")
